// A restore's staging folder. Every blob a restore is about to write is read
// back, inflated and checked once, straight into a file here (verify.ts),
// while project/ is not touched; once every blob of the manifest has passed,
// each staged file is renamed into place. Before, a restore kept verified
// contents in memory up to a budget and inflated the rest a second time to
// write them.
//
// A folder project/ lacks is built whole in the staging folder (its files
// staged at their own paths in it) and moved in with one rename: a restore
// into an empty folder renames a few folders instead of making every folder
// and renaming every file (on this VM a fifth of such a restore's time).
//
// The folder is `.restore.<pid>.<n>.tmp` in checkpoints/ (or in a folder the
// caller names), so one left by a killed restore is swept by the next
// process (sweepDeadTemps). On another file system than project/, a rename
// cannot cross: the staged file is copied beside its target and renamed, and
// no folder is built here.

import { chmodSync, copyFileSync, lstatSync, mkdirSync, promises as fs, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { errorCode, tempSuffix } from './durableFiles.js';
import type { StageTarget } from './verify.js';

/** Prefix of a staging folder's name; the rest is tempSuffix(), which sweepDeadTemps reads. */
export const STAGING_PREFIX = '.restore.';
/** Where in the staging folder new folders are built (beside the 16 sub-folders by hex digit). */
const BUILT = 'built';

export class RestoreStaging {
  /** Placements still to come per staged blob: the last one takes the staged file itself. */
  private readonly usesLeft = new Map<string, number>();
  private readonly madeDirs = new Set<string>();

  private constructor(
    readonly dir: string,
    private crossDevice: boolean,
  ) {}

  /**
   * Makes a staging folder in parent, for a restore into root (which
   * exists); in the system's temp folder when parent cannot be written (a
   * read-only checkpoints/ still restores into a writable folder).
   */
  static async open(parent: string, root: string): Promise<RestoreStaging> {
    let dir: string;
    try {
      dir = await makeStagingDir(parent);
    } catch (error) {
      if (!['EACCES', 'EPERM', 'EROFS'].includes(errorCode(error) ?? '')) throw error;
      dir = await makeStagingDir(tmpdir());
    }
    const [staging, target] = await Promise.all([fs.stat(dir), fs.stat(root)]);
    return new RestoreStaging(dir, staging.dev !== target.dev);
  }

  /**
   * Where the content of sha256 is staged: in one of 16 sub-folders by its
   * first hex digit, made when first needed. Two threads write staged
   * files at once (blobReadBack.ts); in one flat folder they waited on each
   * other's creates (the folder's lock).
   */
  pathOf(sha256: string): string {
    const sub = `${this.dir}/${sha256.slice(0, 1)}`;
    if (!this.madeDirs.has(sub)) {
      mkdirSync(sub, { recursive: true, mode: 0o700 });
      this.madeDirs.add(sub);
    }
    return `${sub}/${sha256.slice(1)}`;
  }

  /** pathOf as a staging target: mode 600 until it is placed (place sets the mode). */
  targetOf(sha256: string): StageTarget {
    return { path: this.pathOf(sha256), mode: 0o600 };
  }

  /** Whether folders can be built here and renamed into project/ (not when the staging folder is on another file system). */
  get buildsFolders(): boolean {
    return !this.crossDevice;
  }

  /** Where the item at `relative` (a manifest path) is built, inside the new folder that holds it. */
  builtPath(relative: string): string {
    // A manifest path is relative and normal (manifestProblem), so plain joining gives what path.join would, without its normalising pass.
    return `${this.dir}/${BUILT}/${relative}`;
  }

  /**
   * Makes the built folders (mode 700 until the restore sets modes last),
   * parents before children (sorted manifest order): a topmost one with the
   * folders above it in the staging folder, each other with one mkdir.
   */
  makeBuiltFolders(sortedDirs: readonly string[], topmost: ReadonlySet<string>): void {
    for (const relative of sortedDirs) mkdirSync(this.builtPath(relative), { mode: 0o700, recursive: topmost.has(relative) });
  }

  /**
   * Moves the built folder `relative` to root/relative with one rename
   * (where a bind mount refuses it, EXDEV, item by item as place copies).
   * Nothing may be there.
   */
  moveIn(relative: string, root: string): void {
    const built = this.builtPath(relative);
    const absolute = path.join(root, relative);
    if (!this.crossDevice) {
      try {
        renameSync(built, absolute);
        return;
      } catch (error) {
        if (errorCode(error) !== 'EXDEV') throw error;
        this.crossDevice = true;
      }
    }
    copyFolderInto(built, absolute);
  }

  /** Counts one more placement of the staged blob sha256 (see place). */
  expect(sha256: string): void {
    this.usesLeft.set(sha256, (this.usesLeft.get(sha256) ?? 0) + 1);
  }

  /**
   * Puts the staged content of sha256 at absolute with mode, whole or not at
   * all: the last placement renames the staged file there; one before it
   * (another path with the same content) copies it beside absolute first.
   */
  place(sha256: string, absolute: string, mode: number): void {
    const staged = this.pathOf(sha256);
    const left = (this.usesLeft.get(sha256) ?? 1) - 1;
    this.usesLeft.set(sha256, left);
    if (left > 0 || this.crossDevice) {
      copyInto(staged, absolute, mode);
      return;
    }
    chmodSync(staged, mode);
    try {
      renameSync(staged, absolute);
    } catch (error) {
      // A bind mount of the same device still refuses a rename across it.
      if (errorCode(error) !== 'EXDEV') throw error;
      this.crossDevice = true;
      copyInto(staged, absolute, mode);
    }
  }

  /** Removes the folder and what is left in it (blobs staged for files that turned out to match). */
  async remove(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}

async function makeStagingDir(parent: string): Promise<string> {
  await fs.mkdir(parent, { recursive: true });
  const dir = path.join(parent, `${STAGING_PREFIX}${tempSuffix()}`);
  await fs.mkdir(dir, { mode: 0o700 });
  return dir;
}

/** A built folder copied item by item: folders made (their modes are set last by the restore), files whole (copyInto), links made. */
function copyFolderInto(built: string, absolute: string): void {
  mkdirSync(absolute, { mode: 0o700 });
  for (const item of readdirSync(built, { withFileTypes: true })) {
    const from = path.join(built, item.name);
    const to = path.join(absolute, item.name);
    if (item.isDirectory()) copyFolderInto(from, to);
    else if (item.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
    else copyInto(from, to, lstatSync(from).mode & 0o7777);
  }
}

/** A copy under a temp name beside absolute, then a rename: absolute is whole or as it was. */
function copyInto(staged: string, absolute: string, mode: number): void {
  const temp = path.join(path.dirname(absolute), `.megatest-restore.${tempSuffix()}`);
  try {
    copyFileSync(staged, temp);
    chmodSync(temp, mode);
    renameSync(temp, absolute);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
