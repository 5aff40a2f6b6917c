// What a walk of project/ read of each folder, so the next walk by the same
// store need not read it again: a folder whose stamp (lstat's mtime, ctime,
// inode and size) is what it was when its names were read holds the same
// names, because adding, removing or renaming an entry changes the folder's
// mtime and ctime (POSIX), and ctime cannot be set back. Its entries are
// still lstat'ed one by one (an edit inside a file does not touch its
// folder). This is git's untracked cache: in a no-change checkpoint of 5,000
// files in 520 folders, reading the folders was about a third of the walk.
//
// Two rules keep it safe:
// - A listing is kept only with a stamp taken before the names were read
//   (or, for a folder met for the first time, taken after them but older
//   than the moment the read began), and only when that stamp is settled:
//   older than the read by more than a timestamp tick and from an earlier
//   second (fileIndex.ts, git's racy-clean rule). A change made later then
//   gives the folder a later stamp.
// - A listing is read again at least every MAX_REUSE_MS whatever its stamp,
//   so a file system that does not keep folder stamps (some network and FUSE
//   ones) delays what a walk sees by that much at most.
//
// In memory only, per store: a new process reads every folder once.

import { isSettled } from './fileIndex.js';

/** A folder's listing is read again after this long, whatever its stamp. */
export const MAX_REUSE_MS = 10 * 60_000;

/** The fields of a folder's lstat that say whether its names may have changed. */
export interface FolderStamp {
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  size: number;
}

export interface FolderListing {
  stamp: FolderStamp;
  /** When the names were read (stampClockMs). */
  readAtMs: number;
  /** Relative paths of its entries, excluded ones left out, in readdir's order. */
  paths: string[];
  /** Whether readdir said each of `paths` is a folder. */
  dirs: boolean[];
  /** Relative paths of the excluded folders in it (the folder itself, when it is a tagged cache). */
  excluded: string[];
  /** Relative paths, bytes escaped, of its entries whose names are not UTF-8 (folderNames.ts), left out. */
  unnamed?: string[];
  /** The folder is a tagged cache (cacheDirTag.ts): left out of the walk with all it holds. */
  cache?: boolean;
}

export class WalkMemo {
  /** The root the listings are of; another root starts afresh. */
  root = '';
  folders = new Map<string, FolderListing>();
  /** Folders read and folders passed over by the last walk (for tests and figures). */
  lastRead = 0;
  lastReused = 0;
}

/**
 * The time to judge folder stamps by: the lesser of the wall clock and the
 * process's monotonic clock from its start, so that neither a wall clock
 * stepped back (files stamped earlier than the real time) nor a test's fake
 * Date (set ahead) makes a stamp look older than it is. After a suspend (or
 * a wall clock stepped forward) the monotonic clock lags: stamps look newer
 * than they are, and a folder's names are kept only once it has been
 * unchanged for longer than the lag. Slower, never wrong.
 */
export function stampClockMs(): number {
  return Math.min(Date.now(), performance.timeOrigin + performance.now());
}

/** Whether the listing may stand for the folder now stamped `now`, at nowMs. */
export function stillListed(listing: FolderListing, now: FolderStamp, nowMs: number): boolean {
  const then = listing.stamp;
  return then.mtimeMs === now.mtimeMs && then.ctimeMs === now.ctimeMs && then.ino === now.ino && then.size === now.size && nowMs - listing.readAtMs < MAX_REUSE_MS;
}

/** Whether names read at readAtMs of a folder stamped `stamp` may be kept (see the rules above). */
export function keepable(stamp: FolderStamp, readAtMs: number): boolean {
  return isSettled(stamp, readAtMs);
}
