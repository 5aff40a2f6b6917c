// Restoring a manifest into project/: decide every change and, meanwhile,
// read back every blob the manifest names and check it against its sha256,
// so a missing or corrupt blob is reported before project/ is touched; the
// contents to be written go into a staging folder as they pass
// (restoreStaging.ts), the folders project/ lacks built whole there, and a
// file made on project/'s file system for every placement. Only then
// remove, move the built folders in, rename the other staged files into
// place, link, and set modes last.

import { chmodSync, copyFileSync, createReadStream, lstatSync, mkdirSync, promises as fs, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { assertNever } from '../contract/assertNever.js';
import { sha256Hex } from './canonical.js';
import { HASH_CONCURRENCY, STREAM_THRESHOLD_BYTES, type BlobStore } from './blobStore.js';
import { OpenedFolders } from './restoreAccess.js';
import { RestoreStaging } from './restoreStaging.js';
import { errorCode } from './durableFiles.js';
import { BadBlobsError, verifyEntryBlobs, type StagePath, type StageTarget } from './verify.js';
import { makeRecord, sameStat, untrustedRecord, type FileIndex } from './fileIndex.js';
import { Breather, compareStrings, forEachLimit, manifestProblem, type FoundItem, type TreeScan } from './tree.js';
import type { FileEntry } from './types.js';
import type { WalkMemo } from './walkMemo.js';


export interface RestoreResult {
  /** Files and symlinks whose content was written. */
  written: number;
  /** Items of project/ removed because the checkpoint does not have them (or has another kind there). */
  deleted: number;
  ms: number;
}

/**
 * Makes root hold exactly the manifest, and returns the index of what is on
 * disk afterwards. `previous` is the index of root's last snapshot or restore.
 */
export async function restoreTree(
  root: string,
  entries: FileEntry[],
  blobs: BlobStore,
  previous: FileIndex,
  stageIn: string = blobs.checkpointsDir,
  walkMemo?: WalkMemo,
): Promise<{ result: RestoreResult; index: FileIndex }> {
  const started = performance.now();
  const problem = manifestProblem(entries);
  if (problem !== null) throw new Error(`restore: the manifest cannot be restored safely: ${problem}`);
  await fs.mkdir(root, { recursive: true });
  const staging = await RestoreStaging.open(stageIn, root);
  let verifying: Promise<unknown> = Promise.resolve();
  const opened = new OpenedFolders(root);
  let leftOut = new Set<string>();
  try {
    const scan = await opened.scan(walkMemo);
    // A folder root leaves out now (a cache tagged since the checkpoint) is left alone, with the
    // manifest's entries in it: they are build output, and the folder was not to be replaced whole.
    leftOut = new Set(scan.excluded);
    const sorted = [...entries].filter((entry) => !leftOut.has(entry.path) && !hasAncestorIn(entry.path, leftOut)).sort((a, b) => compareStrings(a.path, b.path));
    const built = staging.buildsFolders ? newFolders(sorted, scan) : new BuiltFolders(new Set());
    // All before the first blob is read: each staged file then lands in its folder with no check per file (made as their first files came, they cost this thread a lookup each).
    if (built.topmost.size > 0) staging.makeBuiltFolders(sorted.filter((entry) => entry.type === 'dir' && built.holds(entry.path)).map((entry) => entry.path), built.topmost);
    // Every blob the manifest names is read back and checked, not only those
    // to be written: a checkpoint with a bad blob is unusable whatever
    // project/ holds now. The check runs beside the comparison below; the
    // contents likely to be written (all but the files the index knows
    // unchanged) are staged as they pass, so each blob is inflated once: at
    // their own paths in a built folder, else by hash (placed later).
    const likelyPlaced = new Set<string>();
    const firstBuilt = new Map<string, FileEntry>();
    for (const entry of sorted) {
      if (entry.type !== 'file') continue;
      const sha256 = entry.sha256 as string;
      if (built.holds(entry.path)) {
        if (!firstBuilt.has(sha256)) firstBuilt.set(sha256, entry);
      } else if (previous.get(entry.path)?.sha256 !== sha256) {
        likelyPlaced.add(sha256);
      }
    }
    const stageAt: StagePath = (sha256) => {
      if (likelyPlaced.has(sha256)) return staging.targetOf(sha256);
      const entry = firstBuilt.get(sha256);
      return entry === undefined ? null : { path: staging.builtPath(entry.path), mode: entry.mode };
    };
    const checking = verifyEntryBlobs(blobs, entries, { stageAt });
    verifying = checking;
    checking.catch(() => undefined);
    const changed = await changeTree(root, sorted, scan, built, blobs, previous, staging, checking, stageAt, likelyPlaced, started);
    // The folders the restore left alone (project/ itself, a tagged cache) get back the modes it opened them from.
    opened.putBack((relative) => relative !== '' && !leftOut.has(relative) && !hasAncestorIn(relative, leftOut));
    return changed;
  } catch (error) {
    opened.putBack();
    throw error;
  } finally {
    // Nothing may still be writing into the folder when it goes.
    await verifying.catch(() => undefined);
    await staging.remove();
  }
}

/** The new folders a restore builds in its staging folder, by their topmost: each of those is moved into project/ with one rename. */
class BuiltFolders {
  constructor(readonly topmost: ReadonlySet<string>) {}

  /** Whether the manifest path is built (a topmost folder or inside one). */
  holds(relative: string): boolean {
    return this.topmost.has(relative) || hasAncestorIn(relative, this.topmost);
  }
}

/**
 * The folders of the manifest that root lacks (or has as another kind) and
 * whose parent it has: each is built whole in the staging folder, its
 * folders made first (makeBuiltFolders), its files staged into it as their
 * blobs pass the check (builtPath), its links once they all have
 * (finishBuilding).
 */
function newFolders(sorted: FileEntry[], scan: TreeScan): BuiltFolders {
  const dirsThere = new Set(scan.items.filter((item) => item.type === 'dir').map((item) => item.path));
  const topmost = new Set<string>();
  // Sorted: a folder comes before what is in it, so an absent folder with no topmost above it has its parent there.
  for (const entry of sorted) {
    if (entry.type === 'dir' && !dirsThere.has(entry.path) && !hasAncestorIn(entry.path, topmost)) topmost.add(entry.path);
  }
  return new BuiltFolders(topmost);
}

/** Makes the built links; still in the staging folder. */
async function finishBuilding(sorted: FileEntry[], built: BuiltFolders, staging: RestoreStaging): Promise<number> {
  let links = 0;
  const breather = new Breather();
  for (const entry of sorted) {
    if (entry.type !== 'symlink' || !built.holds(entry.path)) continue;
    symlinkSync(entry.target as string, staging.builtPath(entry.path));
    links += 1;
    await breather.breathe();
  }
  return links;
}

async function changeTree(
  root: string,
  sorted: FileEntry[],
  scan: TreeScan,
  built: BuiltFolders,
  blobs: BlobStore,
  previous: FileIndex,
  staging: RestoreStaging,
  verifying: ReturnType<typeof verifyEntryBlobs>,
  stageAt: StagePath,
  likelyPlaced: ReadonlySet<string>,
  started: number,
): Promise<{ result: RestoreResult; index: FileIndex }> {
  const wanted = new Map(sorted.map((entry) => [entry.path, entry]));
  const current = new Map(scan.items.map((item) => [item.path, item]));
  const nextIndex: FileIndex = new Map();

  // Decide everything first, and check the blobs to be written exist, so a
  // missing blob is reported before project/ is touched.
  const toRemove: FoundItem[] = [];
  for (const item of scan.items) {
    const entry = wanted.get(item.path);
    if (entry === undefined || entry.type !== item.type) toRemove.push(item);
  }
  const removedPaths = new Set(toRemove.map((item) => item.path));
  const linked = hardLinked(scan, wanted, removedPaths);
  const toCompare: { entry: FileEntry; item: FoundItem }[] = [];
  const toWrite: FileEntry[] = [];
  const toLink: FileEntry[] = [];
  const toChmod: FileEntry[] = [];
  const builtFiles: FileEntry[] = [];
  for (const entry of sorted) {
    if (built.holds(entry.path)) {
      if (entry.type === 'file') builtFiles.push(entry);
      continue;
    }
    const item = removedPaths.has(entry.path) ? undefined : current.get(entry.path);
    switch (entry.type) {
      case 'dir':
        if (item === undefined || (item.stats.mode & 0o7777) !== entry.mode) toChmod.push(entry);
        break;
      case 'symlink':
        if (item === undefined || item.target !== entry.target) toLink.push(entry);
        break;
      case 'file': {
        // A file sharing its inode with another path of project/ (an agent's `ln A B`) is written anew even if its content
        // matches: kept, a chmod of one path would set the other's mode too, and both would stay one file.
        if (item === undefined || linked.has(item.stats.ino)) {
          toWrite.push(entry);
          break;
        }
        const record = previous.get(entry.path);
        if (record !== undefined && record.trusted && sameStat(record, item.stats)) {
          if (record.sha256 === entry.sha256) {
            nextIndex.set(entry.path, record);
            if ((item.stats.mode & 0o7777) !== entry.mode) toChmod.push(entry);
          } else {
            toWrite.push(entry);
          }
        } else if (item.stats.size === entry.size) {
          toCompare.push({ entry, item });
        } else {
          toWrite.push(entry);
        }
        break;
      }
      default:
        assertNever(entry.type, 'entry type');
    }
  }
  await forEachLimit(toCompare, HASH_CONCURRENCY, async ({ entry, item }) => {
    const hashedAt = Date.now();
    const hashed = await hashFile(path.join(root, entry.path), item.stats.size).catch((error: unknown) => {
      // A file its owner cannot read (chmod 000) is replaced from the checkpoint, as one that differs.
      if (errorCode(error) === 'EACCES') return null;
      throw error;
    });
    if (hashed === null) {
      toWrite.push(entry);
      return;
    }
    const { sha256, contentSize } = hashed;
    if (sha256 === entry.sha256 && contentSize === item.stats.size) {
      nextIndex.set(entry.path, makeRecord(item.stats, sha256, contentSize, hashedAt));
      if ((item.stats.mode & 0o7777) !== entry.mode) toChmod.push(entry);
    } else {
      toWrite.push(entry);
    }
  });
  const verified = await verifying;
  // A blob missing makes the checkpoint unusable as a corrupt one does (whether or not its file is to be written): the store then names the checkpoint invalid, and a resume or recovery falls back from it.
  if (verified.bad.length > 0) throw new BadBlobsError(verified.bad);
  // A file the index took for unchanged that is gone or differs: its blob was checked, not staged by hash. Staged now, still before project/ changes.
  const unstaged = toWrite.filter((entry) => !likelyPlaced.has(entry.sha256 as string) || !verified.staged.has(entry.sha256 as string));
  if (unstaged.length > 0) {
    const late = await verifyEntryBlobs(blobs, unstaged, { stageAt: (sha256) => staging.targetOf(sha256) });
    if (late.bad.length > 0) throw new BadBlobsError(late.bad);
  }
  for (const entry of toWrite) staging.expect(entry.sha256 as string);
  // A built file whose content was staged for another path gets a copy of it, in the staging folder still.
  for (const entry of builtFiles) {
    const at = staging.builtPath(entry.path);
    const stagedAt = (stageAt(entry.sha256 as string) as StageTarget).path;
    if (stagedAt !== at) {
      copyFileSync(stagedAt, at);
      chmodSync(at, entry.mode);
    }
    nextIndex.set(entry.path, untrustedRecord(entry.sha256 as string, entry.size));
  }
  const builtLinks = await finishBuilding(sorted, built, staging);
  // Every file a placement renames in is made now, on project/'s file system: a disk that fills fails the restore here, project/ untouched.
  await staging.makeCopies(root);

  // Every blob is verified and staged: from here on project/ changes, with
  // one small synchronous call per item (see Breather), pausing for the event loop.
  const breather = new Breather();
  // Folders that would refuse changes inside them (no owner rwx) are opened
  // up first; the manifest's modes are set last, deepest first.
  const lockedDirs = scan.items.filter((item) => item.type === 'dir' && (item.stats.mode & 0o700) !== 0o700);
  for (const item of lockedDirs) chmodSync(path.join(root, item.path), (item.stats.mode & 0o7777) | 0o700);

  // A removed folder takes its contents with it.
  let deleted = 0;
  const removedDirs = new Set<string>();
  for (const item of toRemove) {
    deleted += 1;
    if (hasAncestorIn(item.path, removedDirs)) continue;
    rmSync(path.join(root, item.path), { recursive: true, force: true });
    if (item.type === 'dir') removedDirs.add(item.path);
    await breather.breathe();
  }

  const dirModesToSet = new Set(toChmod.filter((entry) => entry.type === 'dir').map((entry) => entry.path));
  for (const item of lockedDirs) if (!removedPaths.has(item.path)) dirModesToSet.add(item.path);
  let written = builtFiles.length;
  for (const entry of sorted) {
    if (entry.type !== 'dir' || (current.has(entry.path) && !removedPaths.has(entry.path))) continue;
    if (built.topmost.has(entry.path)) staging.moveIn(entry.path, root);
    else if (!built.holds(entry.path)) mkdirSync(path.join(root, entry.path), { mode: 0o700 });
    dirModesToSet.add(entry.path);
    await breather.breathe();
  }

  for (const entry of toWrite) {
    staging.place(entry.sha256 as string, path.join(root, entry.path), entry.mode);
    // Just written, so not to be trusted by its stat (fileIndex.ts): the record only carries the content's hash.
    nextIndex.set(entry.path, untrustedRecord(entry.sha256 as string, entry.size));
    await breather.breathe();
  }
  written += toWrite.length + builtLinks;
  for (const entry of toLink) {
    const absolute = path.join(root, entry.path);
    rmSync(absolute, { force: true });
    symlinkSync(entry.target as string, absolute);
    written += 1;
  }
  for (const entry of toChmod) {
    if (entry.type === 'file') {
      const absolute = path.join(root, entry.path);
      chmodSync(absolute, entry.mode);
      // chmod moves ctime: keep the index entry matching what is on disk now
      const record = nextIndex.get(entry.path);
      if (record !== undefined) nextIndex.set(entry.path, makeRecord(lstatSync(absolute), record.sha256, record.contentSize, Date.now()));
      await breather.breathe();
    }
  }
  for (const entry of [...sorted].reverse()) {
    if (entry.type === 'dir' && dirModesToSet.has(entry.path)) chmodSync(path.join(root, entry.path), entry.mode);
  }

  return { result: { written, deleted, ms: performance.now() - started }, index: nextIndex };
}

/**
 * The inodes of project/ that several of the files the restore would keep
 * share (hard links; the files removed do not count). Told by the inode
 * numbers of the walk, with no call more: a link to a file outside project/
 * is not seen, and changes nothing in project/. Two files on different
 * mounts inside project/ with one number are written anew for nothing.
 */
function hardLinked(scan: TreeScan, wanted: ReadonlyMap<string, FileEntry>, removedPaths: ReadonlySet<string>): Set<number> {
  const seen = new Set<number>();
  const linked = new Set<number>();
  for (const item of scan.items) {
    if (item.type !== 'file' || removedPaths.has(item.path) || wanted.get(item.path) === undefined) continue;
    if (seen.has(item.stats.ino)) linked.add(item.stats.ino);
    else seen.add(item.stats.ino);
  }
  return linked;
}

function hasAncestorIn(relative: string, dirs: ReadonlySet<string>): boolean {
  if (dirs.size === 0) return false;
  for (let slash = relative.indexOf('/'); slash !== -1; slash = relative.indexOf('/', slash + 1)) {
    if (dirs.has(relative.slice(0, slash))) return true;
  }
  return false;
}

async function hashFile(file: string, expectedSize: number): Promise<{ sha256: string; contentSize: number }> {
  if (expectedSize <= STREAM_THRESHOLD_BYTES) {
    const content = readFileSync(file);
    return { sha256: sha256Hex(content), contentSize: content.length };
  }
  const hash = createHash('sha256');
  let contentSize = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    contentSize += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), contentSize };
}
