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
// process (sweepDeadTemps). Where a rename cannot reach project/ from it
// (another file system, or a bind mount of the same one), no folder is built
// here and the staged files are copied into a landing folder in project/.
//
// Every file a placement renames into project/ is on project/'s file system
// before project/ changes (makeCopies): a staged content placed at several
// paths gets a copy per path, and across file systems every staged file is
// copied into the landing folder. Made while placing, after the removals had
// begun, those copies left project/ half restored when the disk filled.

import { chmodSync, copyFileSync, lstatSync, mkdirSync, promises as fs, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { errorCode, tempSuffix } from './durableFiles.js';
import { Breather } from './tree.js';
import type { StageTarget } from './verify.js';

/** Prefix of a staging folder's name; the rest is tempSuffix(), which sweepDeadTemps reads. */
export const STAGING_PREFIX = '.restore.';
/** Where in the staging folder new folders are built (beside the 16 sub-folders by hex digit). */
const BUILT = 'built';
/**
 * Prefix of the names a restore gives what it makes in project/: the landing
 * folder, the probe of open(), a copy beside its target. Not in any manifest,
 * so one a killed restore left is removed by the next restore as an extra item.
 */
export const PROJECT_TEMP_PREFIX = '.megatest-restore.';

export class RestoreStaging {
  /** Placements counted per staged blob (expect). */
  private readonly uses = new Map<string, number>();
  /** Per staged blob, the files ready to be renamed into place, one per placement (makeCopies). */
  private readonly ready = new Map<string, string[]>();
  /** The folder in project/ the placements' files are copied into when renames from the staging folder cannot reach project/. */
  private landing: string | null = null;
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
    return new RestoreStaging(dir, staging.dev !== target.dev || !renameReaches(dir, root));
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
    this.uses.set(sha256, (this.uses.get(sha256) ?? 0) + 1);
  }

  /**
   * Makes a file for every placement counted by expect, on root's file
   * system, before project/ changes: a disk that fills fails the restore
   * here. The staged file serves one placement and a copy of it in the
   * staging folder each other; where renames cannot reach project/, every
   * placement gets a copy in a landing folder in root.
   */
  async makeCopies(root: string): Promise<void> {
    if (this.crossDevice && this.uses.size > 0) {
      this.landing = path.join(root, `${PROJECT_TEMP_PREFIX}${tempSuffix()}`);
      mkdirSync(this.landing, { mode: 0o700 });
    }
    const breather = new Breather();
    let copies = 0;
    for (const [sha256, uses] of this.uses) {
      const staged = this.pathOf(sha256);
      const files = this.landing === null ? [staged] : [];
      while (files.length < uses) {
        const copy = this.landing === null ? `${staged}.${files.length}` : `${this.landing}/${copies}`;
        copies += 1;
        copyFileSync(staged, copy);
        files.push(copy);
        await breather.breathe();
      }
      this.ready.set(sha256, files);
    }
  }

  /**
   * Puts a file makeCopies made for sha256 at absolute with mode, whole or
   * not at all: a rename (a copy beside absolute, then a rename, where a
   * mount inside project/ refuses it).
   */
  place(sha256: string, absolute: string, mode: number): void {
    const file = this.ready.get(sha256)?.pop();
    if (file === undefined) throw new Error(`restore: no staged file left for ${sha256} (placed more often than expected)`);
    chmodSync(file, mode);
    try {
      renameSync(file, absolute);
    } catch (error) {
      if (errorCode(error) !== 'EXDEV') throw error;
      copyInto(file, absolute, mode);
    }
  }

  /** Removes the folder and what is left in it (blobs staged for files that turned out to match). */
  async remove(): Promise<void> {
    if (this.landing !== null) await fs.rm(this.landing, { recursive: true, force: true });
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}

async function makeStagingDir(parent: string): Promise<string> {
  await fs.mkdir(parent, { recursive: true });
  const dir = path.join(parent, `${STAGING_PREFIX}${tempSuffix()}`);
  await fs.mkdir(dir, { mode: 0o700 });
  return dir;
}

/**
 * Whether a rename from the staging folder reaches root: not across a bind
 * mount, even of the same device (EXDEV). Tried with an empty folder, renamed
 * into root and back at once. When root cannot be written to try it, as if
 * it could (the placements then meet the same refusal as before).
 */
function renameReaches(dir: string, root: string): boolean {
  const probe = `${dir}/probe`;
  mkdirSync(probe, { mode: 0o700 });
  const there = path.join(root, `${PROJECT_TEMP_PREFIX}${tempSuffix()}`);
  try {
    renameSync(probe, there);
  } catch (error) {
    rmSync(probe, { recursive: true, force: true });
    return errorCode(error) !== 'EXDEV';
  }
  // Back at once: the walk of root that follows must not see it (one a kill left there goes as an extra item).
  renameSync(there, probe);
  return true;
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
  const temp = path.join(path.dirname(absolute), `${PROJECT_TEMP_PREFIX}${tempSuffix()}`);
  try {
    copyFileSync(staged, temp);
    chmodSync(temp, mode);
    renameSync(temp, absolute);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
