// The index (path -> stat + sha256) of the project folder last snapshotted
// or restored: it lets unchanged files be recognised by lstat alone, so a
// snapshot or restore hashes only what may have changed. Kept in memory and,
// for the next process, on disk (statCache.ts).

import type { ItemStat } from './statHelper.js';

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
 * changed again without lstat noticing, so it is not trusted next time. Nor
 * is one changed in the same second as it was hashed (git's racy-clean rule,
 * which also covers tools that keep whole seconds): the record outlives the
 * process in the stat cache, where nothing else could catch such a change.
 */
export function isSettled(stats: Pick<ItemStat, 'mtimeMs' | 'ctimeMs'>, hashedAtMs: number): boolean {
  const changed = Math.max(stats.mtimeMs, stats.ctimeMs);
  const coarse = stats.mtimeMs % 1000 === 0;
  return hashedAtMs - changed > (coarse ? 2500 : 100) && Math.floor(changed / 1000) < Math.floor(hashedAtMs / 1000);
}

export function sameStat(record: IndexRecord, stats: ItemStat): boolean {
  return (
    record.size === stats.size &&
    record.mtimeMs === stats.mtimeMs &&
    record.ctimeMs === stats.ctimeMs &&
    record.ino === stats.ino &&
    record.mode === (stats.mode & 0o7777)
  );
}

export function makeRecord(stats: ItemStat, sha256: string, contentSize: number, hashedAtMs: number): IndexRecord {
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

/**
 * A file this process has just written (a restore): its content is known,
 * but a record made now could never be trusted by its stat (it changed just
 * now), so none is taken; the next snapshot hashes the file again.
 */
export function untrustedRecord(sha256: string, size: number): IndexRecord {
  return { size, mtimeMs: Number.NaN, ctimeMs: Number.NaN, ino: Number.NaN, mode: Number.NaN, sha256, contentSize: size, trusted: false };
}

/** The same record (a record kept from one index to the next is the same object; one made again compares equal). */
export function sameRecord(a: IndexRecord, b: IndexRecord): boolean {
  return a.sha256 === b.sha256 && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino && a.mode === b.mode && a.contentSize === b.contentSize && a.trusted === b.trusted;
}
