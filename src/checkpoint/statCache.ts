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
// blob in objects/, which stands in for the gzip trailer check a blob
// stored by another process gets before it is reused.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { sha256Hex } from './canonical.js';
import type { FileIndex, IndexRecord } from './fileIndex.js';
import { SHA256_PATTERN } from './tree.js';

export const STAT_CACHE_FILE = 'stat-cache.json';
// {"format":"megatest stat cache 1","sha256":"<hex of CACHE>","cache":CACHE}: valid JSON, its checksum over the text of CACHE as written.
const HEAD = '{"format":"megatest stat cache 1","sha256":"';
const MIDDLE = '","cache":';

/** [path, size, mtimeMs, ctimeMs, ino, mode, sha256, contentSize, storedBytes] */
type Row = [string, number, number, number, number, number, string, number, number];

export interface LoadedStatCache {
  files: FileIndex;
  /** Bytes each named blob took in objects/ when the cache was written. */
  storedSizes: Map<string, number>;
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
    const [relative, size, mtimeMs, ctimeMs, ino, mode, sha, contentSize, storedBytes] = row;
    files.set(relative, { size, mtimeMs, ctimeMs, ino, mode, sha256: sha, contentSize, trusted: true });
    storedSizes.set(sha, storedBytes);
  }
  return { files, storedSizes };
}

function isRow(row: unknown): row is Row {
  if (!Array.isArray(row) || row.length !== 9 || typeof row[0] !== 'string' || typeof row[6] !== 'string' || !SHA256_PATTERN.test(row[6])) return false;
  for (const index of [1, 2, 3, 4, 5, 7, 8]) if (typeof row[index] !== 'number' || !Number.isFinite(row[index])) return false;
  return true;
}

/**
 * Writes the trusted records of files whose blob size is known (the others
 * are hashed again next time anyway) as the cache of root.
 */
export async function saveStatCache(checkpointsDir: string, root: string, files: FileIndex, storedSize: (sha256: string) => number | undefined): Promise<void> {
  const rows: Row[] = [];
  for (const [relative, record] of files) {
    const row = rowOf(relative, record, storedSize(record.sha256));
    if (row !== null) rows.push(row);
  }
  const json = JSON.stringify({ root, rows });
  await writeFileAtomic(path.join(checkpointsDir, STAT_CACHE_FILE), `${HEAD}${sha256Hex(json)}${MIDDLE}${json}}`);
}

function rowOf(relative: string, record: IndexRecord, storedBytes: number | undefined): Row | null {
  if (!record.trusted || storedBytes === undefined) return null;
  return [relative, record.size, record.mtimeMs, record.ctimeMs, record.ino, record.mode, record.sha256, record.contentSize, storedBytes];
}
