// checkpoints/stat-cache.json: the index of the project folder last
// snapshotted or restored (path -> size, mtime, ctime, inode, mode ->
// sha256), kept on disk as git keeps its index, so the first checkpoint after
// a restart recognises unchanged files by lstat instead of hashing them all.
//
// It is only a cache: written atomically (temp + rename) but not fsynced,
// checked against its own sha256 when read, and ignored whole if damaged,
// of another folder or of another version; a record is used only when its
// stat matches the file exactly. Only records trusted when they were made
// are kept (fileIndex.ts: a file changed in the same second as it was
// hashed is hashed again, git's racy-clean rule), each with the size of its
// blob in objects/, which stands in for the frame or trailer check a blob
// stored by another process gets before it is reused.
//
// Saving costs what changed: after the first save a process appends only the
// records that changed since (and the paths gone) to
// stat-cache.changes.jsonl, one line per save, each line naming the base it
// extends and checked against its own sha256; the base is written whole
// again (and the changes file removed) only when the changes outgrow half of
// it. Rewriting the whole cache took a checkpoint with 1% of 5,000 files
// changed 10-20 ms of its ~110, and about 100 ms at 50,000 files. Any subset
// of the lines is safe to apply, as every record is checked against the
// file's stat before use: a torn last line (cut off before the next append),
// a damaged line, or the lines of an older base are passed over.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { appendWholeLine } from '../io/lineAppender.js';
import { sha256Hex } from './canonical.js';
import { sameRecord, type FileIndex, type IndexRecord } from './fileIndex.js';
import { SHA256_PATTERN } from './tree.js';

export const STAT_CACHE_FILE = 'stat-cache.json';
export const STAT_CACHE_CHANGES_FILE = 'stat-cache.changes.jsonl';
// {"format":"megatest stat cache 1","sha256":"<hex of CACHE>","cache":CACHE}: valid JSON, its checksum over the text of CACHE as written.
const HEAD = '{"format":"megatest stat cache 1","sha256":"';
const MIDDLE = '","cache":';
// Each line of the changes file: {"base":"<sha256 of the base's CACHE>","sha256":"<hex of CHANGE>","change":CHANGE}.
const LINE_HEAD = '{"base":"';
const LINE_MIDDLE = '","sha256":"';
const LINE_CHANGE = '","change":';
/** The changes file may grow to half the base (or to this many characters, for a small one) before the base is written whole again. */
const CHANGES_MIN_LIMIT = 64 * 1024;

/** [path, size, mtimeMs, ctimeMs, ino, mode, sha256, contentSize, storedBytes] */
type Row = [string, number, number, number, number, number, string, number, number];

/** A line of the changes file: records set (new or changed) and paths dropped. */
interface Change {
  set: Row[];
  drop: string[];
}

/** What is on disk: the index the cache (base and changes) holds with its blob sizes, the base it is on, and the length of both. */
export interface StatCacheOnDisk {
  root: string;
  files: FileIndex;
  storedSizes: Map<string, number>;
  baseSha256: string;
  /** Characters of the base and of the changes file (bytes, but for paths not in ASCII). */
  baseLength: number;
  changesLength: number;
}

export interface LoadedStatCache {
  files: FileIndex;
  /** Bytes each named blob took in objects/ when the cache was written. */
  storedSizes: Map<string, number>;
  onDisk: StatCacheOnDisk;
}

/** The cache of root kept in checkpointsDir, or null when there is none usable. */
export async function loadStatCache(checkpointsDir: string, root: string): Promise<LoadedStatCache | null> {
  let text: string;
  try {
    text = await fs.readFile(path.join(checkpointsDir, STAT_CACHE_FILE), 'utf8');
  } catch {
    return null;
  }
  const sha256 = text.slice(HEAD.length, HEAD.length + 64);
  const json = text.slice(HEAD.length + 64 + MIDDLE.length, -1);
  // The cache of another folder (a restore elsewhere) is passed over before its hash and parse: the root comes first.
  if (!json.startsWith(`{"root":${JSON.stringify(root)},`)) return null;
  if (!text.startsWith(HEAD) || text.slice(HEAD.length + 64, HEAD.length + 64 + MIDDLE.length) !== MIDDLE || !text.endsWith('}') || sha256Hex(json) !== sha256) return null;
  let parsed: { root?: unknown; rows?: unknown };
  try {
    parsed = JSON.parse(json) as typeof parsed;
  } catch {
    return null;
  }
  if (parsed.root !== root || !Array.isArray(parsed.rows)) return null;
  const files: FileIndex = new Map();
  const storedSizes = new Map<string, number>();
  for (const row of parsed.rows as unknown[]) {
    if (!isRow(row)) return null;
    setRow(files, storedSizes, row);
  }
  const changes = await fs.readFile(path.join(checkpointsDir, STAT_CACHE_CHANGES_FILE), 'utf8').catch(() => '');
  for (const line of changes.split('\n')) {
    const change = changeOf(line, sha256);
    if (change === null) continue;
    for (const row of change.set) setRow(files, storedSizes, row);
    for (const relative of change.drop) files.delete(relative);
  }
  return { files, storedSizes, onDisk: { root, files, storedSizes: new Map(storedSizes), baseSha256: sha256, baseLength: text.length, changesLength: changes.length } };
}

/** Fewer characters than a row takes (a path, eight numbers, a sha256: 150-200), to guess from the cache's size how many files it holds. */
const MIN_ROW_LENGTH = 100;

/** Whether the cache in checkpointsDir may hold `files` files or more, by its size alone (not read). */
export async function statCacheMayHold(checkpointsDir: string, files: number): Promise<boolean> {
  const stats = await fs.stat(path.join(checkpointsDir, STAT_CACHE_FILE)).catch(() => null);
  return stats !== null && stats.size >= files * MIN_ROW_LENGTH;
}

function setRow(files: FileIndex, storedSizes: Map<string, number>, row: Row): void {
  const [relative, size, mtimeMs, ctimeMs, ino, mode, sha, contentSize, storedBytes] = row;
  files.set(relative, { size, mtimeMs, ctimeMs, ino, mode, sha256: sha, contentSize, trusted: true });
  storedSizes.set(sha, storedBytes);
}

/** The change a line of the changes file holds, or null when it is empty, torn, damaged or of another base. */
function changeOf(line: string, baseSha256: string): Change | null {
  const shaAt = LINE_HEAD.length + 64 + LINE_MIDDLE.length;
  const changeAt = shaAt + 64 + LINE_CHANGE.length;
  if (!line.startsWith(LINE_HEAD) || line.slice(LINE_HEAD.length, LINE_HEAD.length + 64) !== baseSha256 || !line.endsWith('}')) return null;
  if (line.slice(LINE_HEAD.length + 64, shaAt) !== LINE_MIDDLE || line.slice(shaAt + 64, changeAt) !== LINE_CHANGE) return null;
  const json = line.slice(changeAt, -1);
  if (sha256Hex(json) !== line.slice(shaAt, shaAt + 64)) return null;
  let parsed: { set?: unknown; drop?: unknown };
  try {
    parsed = JSON.parse(json) as typeof parsed;
  } catch {
    return null;
  }
  if (!Array.isArray(parsed.set) || !Array.isArray(parsed.drop) || !parsed.set.every(isRow) || !parsed.drop.every((item) => typeof item === 'string')) return null;
  return { set: parsed.set, drop: parsed.drop as string[] };
}

function isRow(row: unknown): row is Row {
  if (!Array.isArray(row) || row.length !== 9 || typeof row[0] !== 'string' || typeof row[6] !== 'string' || !SHA256_PATTERN.test(row[6])) return false;
  for (const index of [1, 2, 3, 4, 5, 7, 8]) if (typeof row[index] !== 'number' || !Number.isFinite(row[index])) return false;
  return true;
}

/**
 * Saves files as the cache of root: with `onDisk` (what the cache of root
 * holds now, as this process last loaded or saved it) by appending what
 * changed since to the changes file, else (or when the changes outgrow the
 * base) by writing the base whole. Writes the trusted records of files
 * whose blob size is known (the others are hashed again next time anyway).
 * Returns what is on disk afterwards.
 */
export async function saveStatCache(
  checkpointsDir: string,
  root: string,
  files: FileIndex,
  storedSize: (sha256: string) => number | undefined,
  onDisk: StatCacheOnDisk | null,
  changedAt?: readonly string[],
): Promise<StatCacheOnDisk> {
  if (onDisk !== null && onDisk.root === root) {
    const change = changesSince(onDisk, files, storedSize, changedAt);
    if (change.set.length === 0 && change.drop.length === 0) return { ...onDisk, files };
    const json = JSON.stringify(change);
    const line = `${LINE_HEAD}${onDisk.baseSha256}${LINE_MIDDLE}${sha256Hex(json)}${LINE_CHANGE}${json}}\n`;
    const changesLength = onDisk.changesLength + line.length;
    if (changesLength <= Math.max(CHANGES_MIN_LIMIT, onDisk.baseLength / 2)) {
      // Small synchronous calls (see Breather, tree.ts): five through the thread pool cost more than the line. A torn last line is cut off first.
      appendWholeLine(path.join(checkpointsDir, STAT_CACHE_CHANGES_FILE), line);
      for (const row of change.set) onDisk.storedSizes.set(row[6], row[8]);
      return { ...onDisk, files, changesLength };
    }
  }
  const rows: Row[] = [];
  const storedSizes = new Map<string, number>();
  for (const [relative, record] of files) {
    const row = rowOf(relative, record, storedSize(record.sha256));
    if (row === null) continue;
    rows.push(row);
    storedSizes.set(row[6], row[8]);
  }
  const json = JSON.stringify({ root, rows });
  const baseSha256 = sha256Hex(json);
  const text = `${HEAD}${baseSha256}${MIDDLE}${json}}`;
  await fs.mkdir(checkpointsDir, { recursive: true });
  await writeFileAtomic(path.join(checkpointsDir, STAT_CACHE_FILE), text);
  // Its lines name the base before: passed over if this removal does not happen (a kill), and gone otherwise.
  await fs.rm(path.join(checkpointsDir, STAT_CACHE_CHANGES_FILE), { force: true });
  return { root, files, storedSizes, baseSha256, baseLength: text.length, changesLength: 0 };
}

/**
 * The rows of records new or changed since the cache on disk (or whose
 * blob's size is not the one it recorded: a blob written again), and the
 * paths whose trusted record is gone or no longer trusted. With `changedAt`,
 * the paths where `after` may differ from the cache's records (every other
 * record of after is the cache's own, at the same path, its blob the same
 * size), only those are compared: a 1% change of 50,000 files compared them
 * all in about 90 ms.
 */
function changesSince(onDisk: StatCacheOnDisk, after: FileIndex, storedSize: (sha256: string) => number | undefined, changedAt?: readonly string[]): Change {
  const before = onDisk.files;
  const set: Row[] = [];
  const drop: string[] = [];
  let comparedAfter = 0;
  let comparedBefore = 0;
  for (const relative of changedAt ?? after.keys()) {
    const record = after.get(relative);
    if (record === undefined) continue;
    comparedAfter += 1;
    const old = before.get(relative);
    if (old !== undefined) comparedBefore += 1;
    const storedBytes = storedSize(record.sha256);
    if ((old === record || (old !== undefined && sameRecord(old, record))) && (!old.trusted || storedBytes === onDisk.storedSizes.get(record.sha256))) continue;
    const row = rowOf(relative, record, storedBytes);
    if (row !== null) set.push(row);
    else if (old?.trusted === true) drop.push(relative);
  }
  // after's other records are before's, at the same paths: when they and the paths compared account for all of before, none is gone.
  const noneGone = changedAt !== undefined && after.size - comparedAfter + comparedBefore === before.size;
  if (!noneGone) for (const [relative, record] of before) if (record.trusted && !after.has(relative)) drop.push(relative);
  return { set, drop };
}

function rowOf(relative: string, record: IndexRecord, storedBytes: number | undefined): Row | null {
  if (!record.trusted || storedBytes === undefined) return null;
  return [relative, record.size, record.mtimeMs, record.ctimeMs, record.ino, record.mode, record.sha256, record.contentSize, storedBytes];
}
