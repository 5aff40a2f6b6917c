// The in-memory index (path -> stat + sha256) of the project folder last
// snapshotted or restored: it lets unchanged files be recognised by lstat
// alone, so a snapshot or restore hashes only what may have changed.

import type { Stats } from 'node:fs';

export interface IndexRecord {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  mode: number;
  sha256: string;
  /** Bytes actually hashed (differs from size if the file changed while read). */
  contentSize: number;
  /**
   * False when the file was modified so shortly before it was hashed that a
   * later write in the same timestamp tick could leave lstat unchanged: such
   * a file is hashed again next time (git's "racily clean" problem).
   */
  trusted: boolean;
}

/** Index records by project-relative path. */
export type FileIndex = Map<string, IndexRecord>;

/**
 * Timestamps tick coarsely (a jiffy on Linux, 1-2 s on FAT or some network
 * file systems); a file changed within that long before it was hashed may be
 * changed again without lstat noticing, so it is not trusted next time.
 */
function isSettled(stats: Stats, hashedAtMs: number): boolean {
  const changed = Math.max(stats.mtimeMs, stats.ctimeMs);
  const coarse = stats.mtimeMs % 1000 === 0;
  return hashedAtMs - changed > (coarse ? 2500 : 100);
}

export function sameStat(record: IndexRecord, stats: Stats): boolean {
  return (
    record.size === stats.size &&
    record.mtimeMs === stats.mtimeMs &&
    record.ctimeMs === stats.ctimeMs &&
    record.ino === stats.ino &&
    record.mode === (stats.mode & 0o7777)
  );
}

export function makeRecord(stats: Stats, sha256: string, contentSize: number, hashedAtMs: number): IndexRecord {
  return {
    size: stats.size,
    mtimeMs: stats.mtimeMs,
    ctimeMs: stats.ctimeMs,
    ino: stats.ino,
    mode: stats.mode & 0o7777,
    sha256,
    contentSize,
    trusted: contentSize === stats.size && isSettled(stats, hashedAtMs),
  };
}
