// Walking project/ and checking manifests: what a snapshot sees and what a
// restore may write. Paths are relative to the project root, '/'-separated.

import { lstatSync, promises as fs, readdirSync, readlinkSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { assertNever } from '../contract/assertNever.js';
import { isTaggedCache } from './cacheDirTag.js';
import { splitUnnamed } from './folderNames.js';
import { lstatAll, STAT_FIELDS, StatFields, StatKind, statInto, type ItemStat } from './statHelper.js';
import type { FileEntry } from './types.js';
import { keepable, stampClockMs, stillListed, type FolderListing, type FolderStamp, type WalkMemo } from './walkMemo.js';

/** Folder names never snapshotted nor touched by a restore, at any depth. */
export const EXCLUDED_DIR_NAMES: readonly string[] = ['.git', 'node_modules'];

export interface FoundItem {
  path: string;
  type: FileEntry['type'];
  stats: ItemStat;
  /** readlink of a symlink. */
  target?: string;
}

export interface TreeScan {
  items: FoundItem[];
  /** Relative paths of the excluded folders met, sorted. */
  excluded: string[];
  /** Relative paths, bytes escaped, of the items left out because their names are not UTF-8 (folderNames.ts), sorted. */
  unnamed: string[];
}

/**
 * Runs fn over items with at most `limit` at a time; stops handing out work
 * after the first failure, and throws it once the calls still running have
 * ended (so a caller cleaning up after a failed snapshot sees every temp
 * file they wrote).
 */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const lanes = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, lane));
  const failure = lanes.find((settled): settled is PromiseRejectedResult => settled.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Lets the event loop run between stretches of synchronous file system calls.
 * A walk or a restore makes one small call per item: made synchronously they
 * cost a fraction of what a promise through the thread pool costs each (2-4x
 * less on this machine), and the pauses keep the process answering (control
 * API, agent output) while thousands are made.
 */
export class Breather {
  private since = performance.now();
  /**
   * The pause under way, shared by every caller: the lanes of a forEachLimit
   * all wait for the same turn of the event loop. Each waiting on a turn of
   * its own, the lanes came back one after another in one turn, each for a
   * slice of its own: 32 lanes checking blobs held the loop 0.3-0.5 s.
   */
  private pause: Promise<void> | null = null;

  constructor(private readonly sliceMs = 10) {}

  breathe(): Promise<void> {
    if (this.pause !== null) return this.pause;
    if (performance.now() - this.since < this.sliceMs) return NOTHING_TO_WAIT_FOR;
    this.pause = new Promise<void>((resolve) =>
      setImmediate(() => {
        this.pause = null;
        this.since = performance.now();
        resolve();
      }),
    );
    return this.pause;
  }
}

const NOTHING_TO_WAIT_FOR: Promise<void> = Promise.resolve();

/**
 * Every dir, file and symlink under root (root itself excluded), sorted by
 * path. Sockets, fifos and devices are not project content and are left out.
 * Items that vanish while the walk runs (an agent deleting them) are skipped.
 * The folders are listed first (their entries' types from readdir), then
 * every entry is lstat'ed, shared with a second thread in a big tree
 * (statHelper.ts); a folder that an lstat found where readdir saw none (it
 * changed meanwhile) is walked in a further round. With a memo, a folder
 * whose stamp has not changed since the memo's walk read it is not read
 * again (walkMemo.ts), and the memo then holds this walk. `meanwhile` runs
 * once, on this thread while the second one starts on the first lstats (or
 * before them, when there is no second thread).
 */
export async function scanTree(root: string, memo?: WalkMemo, meanwhile?: () => Promise<void>): Promise<TreeScan> {
  // Run once, while the first lstats are on the second thread (statHelper.ts), or at the end.
  let notYet = meanwhile;
  const runMeanwhile = async (): Promise<void> => {
    const work = notYet;
    notYet = undefined;
    await work?.();
  };
  // the root may itself be a symlink to the project; below it nothing is followed
  const rootSeenAtMs = stampClockMs();
  const rootStats = await fs.stat(root).catch((error: unknown) => {
    if (isMissing(error)) return null;
    throw error;
  });
  if (rootStats === null) {
    await runMeanwhile();
    return { items: [], excluded: [], unnamed: [] };
  }
  if (!rootStats.isDirectory()) throw new Error(`project folder ${root} is not a directory`);

  if (memo !== undefined && memo.root !== root) {
    memo.root = root;
    memo.folders = new Map();
  }
  const walk: FolderWalk = { before: memo?.folders ?? new Map(), next: new Map(), unstamped: new Map(), read: 0, reused: 0 };
  // The root's stamp was taken before anything of it was read.
  const rootStamp = { mtimeMs: rootStats.mtimeMs, ctimeMs: rootStats.ctimeMs, ino: rootStats.ino, size: rootStats.size };
  const items: FoundItem[] = [];
  const excluded: string[] = [];
  const unnamed: string[] = [];
  const breather = new Breather();
  const breathe = () => breather.breathe();
  for (let starts = ['']; starts.length > 0; ) {
    const { paths, listedDirs, stamped } = await listFolders(root, starts, { excluded, unnamed }, breathe, walk, { stamp: rootStamp, seenAtMs: rootSeenAtMs });
    const stats = await lstatAllBut(root, paths, stamped, breathe, runMeanwhile);
    starts = [];
    for (let i = 0; i < paths.length; i += 1) {
      const relative = paths[i]!;
      const at = i * STAT_FIELDS;
      let kind = stats[at]!;
      let kept: ItemStat = new StatFields(stats, at);
      if (kind === StatKind.ERROR) {
        // Seen again here, so the error (not ENOENT) is thrown as a synchronous walk would.
        const again = new Float64Array(STAT_FIELDS);
        statInto(again, 0, path.join(root, relative));
        if (again[0] === StatKind.ERROR) lstatSync(path.join(root, relative));
        kind = again[0]!;
        kept = new StatFields(again, 0);
      }
      switch (kind) {
        case StatKind.DIR: {
          items.push({ path: relative, type: 'dir', stats: kept });
          if (!listedDirs.has(relative)) starts.push(relative);
          // A folder read before its stamp was taken: kept if that stamp is older than the read (walkMemo.ts).
          const listing = walk.unstamped.get(relative);
          if (listing !== undefined && keepable(kept, listing.readAtMs)) {
            walk.next.set(relative, { ...listing, stamp: { mtimeMs: kept.mtimeMs, ctimeMs: kept.ctimeMs, ino: kept.ino, size: kept.size } });
          }
          break;
        }
        case StatKind.FILE:
          items.push({ path: relative, type: 'file', stats: kept });
          break;
        case StatKind.SYMLINK:
          try {
            items.push({ path: relative, type: 'symlink', stats: kept, target: readlinkSync(path.join(root, relative)) });
          } catch (error) {
            if (!isMissing(error) && (error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
          }
          break;
        default:
          // gone, or not project content
          break;
      }
      if (i % 256 === 255) await breather.breathe();
    }
  }
  await runMeanwhile();
  items.sort((a, b) => compareStrings(a.path, b.path));
  excluded.sort(compareStrings);
  unnamed.sort(compareStrings);
  if (memo !== undefined) {
    memo.folders = walk.next;
    memo.lastRead = walk.read;
    memo.lastReused = walk.reused;
  }
  return { items, excluded, unnamed };
}

/** The listings a walk starts from and those it keeps, with the folders it read but could not stamp yet. */
interface FolderWalk {
  before: ReadonlyMap<string, FolderListing>;
  next: Map<string, FolderListing>;
  unstamped: Map<string, Omit<FolderListing, 'stamp'>>;
  read: number;
  reused: number;
}

/**
 * Every entry under the start folders (excluded folders left out and noted),
 * folders found by their readdir type; listedDirs are the folders listed.
 * A folder the memo knows is lstat'ed first and, if its stamp is unchanged,
 * not read: those lstats are returned in `stamped` (by path), so the pass
 * over every entry does not make them again.
 */
async function listFolders(
  root: string,
  starts: string[],
  { excluded, unnamed }: { excluded: string[]; unnamed: string[] },
  breathe: () => Promise<void>,
  walk: FolderWalk,
  rootSeen: { stamp: FolderStamp; seenAtMs: number },
): Promise<{ paths: string[]; listedDirs: Set<string>; stamped: Map<string, Float64Array> }> {
  let paths: string[] = [];
  const dirs = [...starts];
  const stamped = new Map<string, Float64Array>();
  // Tagged cache folders met: left out of `paths`, where their parents' listings put them.
  const caches = new Set<string>();
  for (let next = 0; next < dirs.length; next += 1) {
    const dir = dirs[next]!;
    const absolute = dir === '' ? root : root.endsWith('/') ? `${root}${dir}` : `${root}/${dir}`;
    const before = walk.before.get(dir);
    let stamp: FolderStamp | null = null;
    let seenAtMs = stampClockMs();
    if (dir === '') {
      ({ stamp, seenAtMs } = rootSeen);
    } else if (before !== undefined) {
      const own = new Float64Array(STAT_FIELDS);
      statInto(own, 0, absolute);
      stamped.set(dir, own);
      // No longer a folder, or gone: the pass over the entries takes it as what it is now.
      if (own[0] !== StatKind.DIR) continue;
      stamp = { mtimeMs: own[3]!, ctimeMs: own[4]!, ino: own[5]!, size: own[2]! };
    }
    if (before !== undefined && stamp !== null && stillListed(before, stamp, seenAtMs)) {
      walk.reused += 1;
      walk.next.set(dir, before);
      for (let index = 0; index < before.paths.length; index += 1) {
        paths.push(before.paths[index]!);
        if (before.dirs[index]) dirs.push(before.paths[index]!);
      }
      for (const relative of before.excluded) excluded.push(relative);
      for (const relative of before.unnamed ?? []) unnamed.push(relative);
      if (before.cache) caches.add(dir);
      continue;
    }
    let names: Dirent[];
    try {
      names = readdirSync(absolute, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) continue;
      throw error;
    }
    walk.read += 1;
    const listing: Omit<FolderListing, 'stamp'> = { readAtMs: seenAtMs, paths: [], dirs: [], excluded: [] };
    if (dir !== '' && isTaggedCache(absolute, names)) {
      caches.add(dir);
      excluded.push(dir);
      listing.excluded.push(dir);
      listing.cache = true;
      names = [];
      if (stamp === null) {
        // Never lstat'ed by the pass over the entries (it is left out of them): stamped here, after the read, so
        // that its listing is kept only if the folder did not change since (keepable below).
        const own = new Float64Array(STAT_FIELDS);
        statInto(own, 0, absolute);
        if (own[0] === StatKind.DIR) stamp = { mtimeMs: own[3]!, ctimeMs: own[4]!, ino: own[5]!, size: own[2]! };
      }
    }
    // A tagged cache's names were dropped above with it: nothing to say of them.
    const split = splitUnnamed(absolute, names);
    if (split.unnamed.length > 0) {
      names = split.named;
      listing.unnamed = split.unnamed.map((name) => (dir === '' ? name : `${dir}/${name}`));
      for (const relative of listing.unnamed) unnamed.push(relative);
    }
    for (const dirent of names) {
      const relative = dir === '' ? dirent.name : `${dir}/${dirent.name}`;
      if (EXCLUDED_DIR_NAMES.includes(dirent.name)) {
        excluded.push(relative);
        listing.excluded.push(relative);
        continue;
      }
      const isDir = dirent.isDirectory();
      paths.push(relative);
      listing.paths.push(relative);
      listing.dirs.push(isDir);
      if (isDir) dirs.push(relative);
    }
    if (stamp === null) walk.unstamped.set(dir, listing);
    else if (keepable(stamp, seenAtMs)) walk.next.set(dir, { ...listing, stamp });
    await breathe();
  }
  if (caches.size > 0) paths = paths.filter((relative) => !caches.has(relative));
  return { paths, listedDirs: new Set(dirs), stamped };
}

/** lstatAll of paths, but for those already lstat'ed (`stamped`), whose numbers are copied in. */
async function lstatAllBut(root: string, paths: readonly string[], stamped: ReadonlyMap<string, Float64Array>, breathe: () => Promise<void>, meanwhile: () => Promise<void>): Promise<Float64Array> {
  if (stamped.size === 0) return lstatAll(root, paths, breathe, meanwhile);
  const rest: string[] = [];
  const restAt: number[] = [];
  const out = new Float64Array(paths.length * STAT_FIELDS);
  for (let i = 0; i < paths.length; i += 1) {
    const own = stamped.get(paths[i]!);
    if (own !== undefined) {
      out.set(own, i * STAT_FIELDS);
    } else {
      rest.push(paths[i]!);
      restAt.push(i);
    }
  }
  const stats = await lstatAll(root, rest, breathe, meanwhile);
  // Copied number by number: a subarray a path to copy from was 50,000 typed-array objects at 50,000 files.
  for (let j = 0; j < rest.length; j += 1) {
    const from = j * STAT_FIELDS;
    const to = restAt[j]! * STAT_FIELDS;
    for (let field = 0; field < STAT_FIELDS; field += 1) out[to + field] = stats[from + field]!;
  }
  return out;
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const ENTRY_TYPES: readonly FileEntry['type'][] = ['file', 'symlink', 'dir'];
export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

/**
 * Why a manifest cannot be restored safely, or null. A restore writes only
 * below the root: no absolute paths, no '..', nothing inside an excluded
 * folder, and every entry's parent is a dir entry of the same manifest (so
 * nothing is written through a symlink).
 */
export function manifestProblem(entries: unknown): string | null {
  if (!Array.isArray(entries)) return 'file_system_state.entries is not an array';
  const dirs = new Set<string>(['']);
  // A snapshot's manifest comes sorted: checked in one pass, it is not copied and sorted again.
  const pathOf = (entry: unknown): string => String((entry as FileEntry | null)?.path);
  let sorted = true;
  for (let index = 1; index < entries.length && sorted; index += 1) sorted = compareStrings(pathOf(entries[index - 1]), pathOf(entries[index])) <= 0;
  const inOrder = sorted ? (entries as unknown[]) : [...(entries as unknown[])].sort((a, b) => compareStrings(pathOf(a), pathOf(b)));
  let previous: string | null = null;
  for (const entry of inOrder as FileEntry[]) {
    if (entry === null || typeof entry !== 'object') return `an entry is not an object: ${JSON.stringify(entry)}`;
    const where = (): string => `entry ${JSON.stringify(entry.path)}`;
    if (typeof entry.path !== 'string' || entry.path === '') return `an entry has no path: ${JSON.stringify(entry)}`;
    if (UNSAFE_PATH.test(entry.path)) return `${where()}: a path must be relative, '/'-separated, without empty, '.' or '..' parts`;
    if (EXCLUDED_SEGMENT.test(entry.path)) return `${where()}: lies in an excluded folder (${EXCLUDED_DIR_NAMES.join(', ')})`;
    // Sorted, so an entry listed twice follows itself.
    if (entry.path === previous) return `${where()}: listed twice`;
    previous = entry.path;
    const slash = entry.path.lastIndexOf('/');
    const parent = slash < 0 ? '' : entry.path.slice(0, slash);
    if (!dirs.has(parent)) return `${where()}: its folder ${JSON.stringify(parent)} is not a dir entry of the manifest`;
    if (!Number.isInteger(entry.mode) || entry.mode < 0 || entry.mode > 0o7777) return `${where()}: mode must be an integer 0..0o7777, got ${JSON.stringify(entry.mode)}`;
    if (!Number.isSafeInteger(entry.size) || entry.size < 0) return `${where()}: size must be a non-negative integer, got ${JSON.stringify(entry.size)}`;
    if (!ENTRY_TYPES.includes(entry.type)) return `${where()}: type must be file, symlink or dir, got ${JSON.stringify(entry.type)}`;
    switch (entry.type) {
      case 'dir':
        dirs.add(entry.path);
        break;
      case 'file':
        if (typeof entry.sha256 !== 'string' || !SHA256_PATTERN.test(entry.sha256)) return `${where()}: a file needs sha256 as 64 lowercase hex digits`;
        break;
      case 'symlink':
        if (typeof entry.target !== 'string' || entry.target === '' || entry.target.includes('\0')) return `${where()}: a symlink needs a non-empty target`;
        break;
      default:
        assertNever(entry.type, 'file entry type');
    }
  }
  return null;
}

/** A NUL anywhere, or an empty, '.' or '..' segment. (A backslash is a character of a name like any other here, not a separator.) */
const UNSAFE_PATH = /\0|(?:^|\/)\.{0,2}(?:\/|$)/;
/** A segment that is an excluded folder's name. */
const EXCLUDED_SEGMENT = new RegExp(`(?:^|/)(?:${EXCLUDED_DIR_NAMES.map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})(?:/|$)`);
