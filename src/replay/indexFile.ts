// events.idx: the seek index kept beside the run, so the second open of a
// run reads a header and one snapshot instead of the whole log.
//
//   "MTRPIDX\n" | u32 version | u32 0 | snapshot blobs … | header (JSON) |
//   f64 header offset | u32 header length | u32 crc32(header) | "MTRPEND\n"
//
// The header holds the index's columns, the marks and damage, where each
// blob is (with its crc32), a crc32 of the whole blob area, and the key of
// the files it was built from: size, mtime, the indexed length and hashes of
// the first KB and of the KB before the indexed end. Nothing is trusted
// blindly: a wrong magic, version, length or checksum makes the file
// corrupt (the caller rebuilds it and reports the damage). It is written to
// a temp file beside it and renamed over it (src/io/atomic.ts's temp name),
// so a reader sees the old index or the new one, never half of one.

import { createHash } from 'node:crypto';
import { promises as fs, readSync, writeSync, closeSync, openSync, unlinkSync, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { tempName } from '../io/atomic.js';
import type { ScanCarry } from './seekIndex.js';
import type { TimelineData } from './timeline.js';
import type { LogIndexData } from './logIndex.js';

export const INDEX_FILE = 'events.idx';
/**
 * 2: the folded states' agents carry their series and alerts the agent they name.
 * 3: snapshots write a series that extends an earlier one as its new numbers (snapshotCodec.ts).
 * 4: the folded states' measured figures say whether a build failed after the last test run.
 * 5: the folded states say who paused the session and why (RunState.pause).
 * 6: the folded states' measured figures hold the last benchmark's (benchmark events), and a pause or continue
 *    sets the status at its command event, not at the next snapshot.
 * 7: the folded states' measured figures say why the last test run gave no results (test_run's problem).
 * 8: the folded states keep each snapshot figure as the latest snapshot that recorded it (RunState.recordedFigures).
 * 9: the folded states' checkpoints say which were found damaged (an alert's checkpoint).
 * 10: the folded states' alerts keep errors past routine ones (a full list drops its oldest info alert first), and a
 *    context limit met is an info alert.
 * An index of another version is built again (IndexOutdated: no damage).
 */
export const INDEX_VERSION = 10;
const MAGIC = Buffer.from('MTRPIDX\n');
const END_MAGIC = Buffer.from('MTRPEND\n');
const PREAMBLE = 16;
const TRAILER = 24;
const KEY_BYTES = 1024;

/** Which version of a file an index was built from. */
export interface FileKey {
  size: number;
  mtimeMs: number;
  /** Bytes the index covers (complete lines). */
  indexed: number;
  head: string;
  tail: string;
}

/** A blob's place in the file: [offset, length, crc32]. */
export type BlobPlace = [number, number, number];

export interface IndexHeader {
  version: number;
  /** snapshotEvery and entryEvery asked for when built (a different ask rebuilds). */
  askedSnapshotEvery: number;
  askedEntryEvery: number;
  entryEvery: number;
  snapshotEvery: number;
  events: FileKey;
  carry: ScanCarry;
  /** Columns of the entry rows; maxMs null for -Infinity. */
  entries: { offset: number[]; line: number[]; maxSeq: number[]; maxMs: (number | null)[] };
  /** [cursor, keyframe cursor, offset, line, blob offset, blob length, blob crc] per snapshot. */
  snapshots: [number, number, number, number, number, number, number][];
  tail: BlobPlace;
  timeline: TimelineData;
  log: { key: FileKey; data: LogIndexData } | null;
  blobArea: { end: number; crc: number };
}

export type KeyVerdict = 'same' | 'grown' | 'changed';

const hash = (bytes: Buffer) => createHash('sha1').update(bytes).digest('hex');

function readRange(fd: number, from: number, to: number): Buffer {
  const buffer = Buffer.alloc(Math.max(0, to - from));
  let got = 0;
  while (got < buffer.length) {
    const n = readSync(fd, buffer, got, buffer.length - got, from + got);
    if (n === 0) break;
    got += n;
  }
  return buffer.subarray(0, got);
}

/** The key of a file whose first `indexed` bytes an index covers. */
export function fileKey(fd: number, stat: Stats, indexed: number): FileKey {
  return {
    size: stat.size,
    mtimeMs: stat.mtimeMs,
    indexed,
    head: hash(readRange(fd, 0, Math.min(KEY_BYTES, indexed))),
    tail: hash(readRange(fd, Math.max(0, indexed - KEY_BYTES), indexed)),
  };
}

/** Same file, the same file grown (appended to), or changed (shrunk, rewritten, replaced). */
export function compareKey(fd: number, stat: Stats, key: FileKey): KeyVerdict {
  if (stat.size < key.indexed) return 'changed';
  if (stat.size === key.size && stat.mtimeMs !== key.mtimeMs) return 'changed';
  const now = fileKey(fd, stat, key.indexed);
  if (now.head !== key.head || now.tail !== key.tail) return 'changed';
  return stat.size > key.indexed ? 'grown' : 'same';
}

export class IndexCorrupt extends Error {}
/** An index written by another version of megatest: sound, but not readable by this one. */
export class IndexOutdated extends IndexCorrupt {}

export interface OpenedIndex {
  handle: FileHandle;
  header: IndexHeader;
}

/** Opens and checks an index file; null when there is none, IndexCorrupt when it cannot be trusted. */
export async function openIndexFile(file: string): Promise<OpenedIndex | null> {
  let handle: FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new IndexCorrupt(`cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    const header = await readHeader(handle);
    return { handle, header };
  } catch (error) {
    await handle.close();
    throw error instanceof IndexCorrupt ? error : new IndexCorrupt((error as Error).message);
  }
}

async function readHeader(handle: FileHandle): Promise<IndexHeader> {
  const { size } = await handle.stat();
  if (size < PREAMBLE + TRAILER) throw new IndexCorrupt(`too short (${size} bytes)`);
  const preamble = Buffer.alloc(PREAMBLE);
  await handle.read(preamble, 0, PREAMBLE, 0);
  if (!preamble.subarray(0, 8).equals(MAGIC)) throw new IndexCorrupt('not a megatest seek index (bad magic)');
  const version = preamble.readUInt32LE(8);
  if (version !== INDEX_VERSION) throw new IndexOutdated(`version ${version}, this megatest reads version ${INDEX_VERSION}`);
  const trailer = Buffer.alloc(TRAILER);
  await handle.read(trailer, 0, TRAILER, size - TRAILER);
  if (!trailer.subarray(16).equals(END_MAGIC)) throw new IndexCorrupt('no end marker (cut short)');
  const headerAt = trailer.readDoubleLE(0);
  const headerLength = trailer.readUInt32LE(8);
  if (!Number.isInteger(headerAt) || headerAt < PREAMBLE || headerAt + headerLength !== size - TRAILER) throw new IndexCorrupt('header out of place');
  const bytes = Buffer.alloc(headerLength);
  await handle.read(bytes, 0, headerLength, headerAt);
  if (crc32(bytes) !== trailer.readUInt32LE(12)) throw new IndexCorrupt('header checksum mismatch');
  const header = JSON.parse(bytes.toString('utf8')) as IndexHeader;
  if (header.version !== INDEX_VERSION || header.blobArea.end !== headerAt) throw new IndexCorrupt('header does not match the file');
  // The blobs, streamed: a flipped bit in any snapshot is found now, not in the middle of a replay.
  const chunk = Buffer.allocUnsafe(1 << 20);
  let crc = 0;
  for (let at = PREAMBLE; at < headerAt; ) {
    const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, headerAt - at), at);
    if (bytesRead === 0) throw new IndexCorrupt('cut short');
    crc = crc32(chunk.subarray(0, bytesRead), crc);
    at += bytesRead;
  }
  if (crc !== header.blobArea.crc) throw new IndexCorrupt('snapshot checksum mismatch');
  return header;
}

/** Throws IndexCorrupt unless the header's parts agree with each other. */
export function checkHeader(h: IndexHeader): void {
  const whole = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0;
  const c = h.carry;
  const bad = (what: string) => new IndexCorrupt(`inconsistent header (${what})`);
  if (!whole(h.entryEvery) || h.entryEvery < 1 || !whole(h.snapshotEvery) || h.snapshotEvery < 1) throw bad('strides');
  if (!c || !whole(c.count) || !whole(c.offset) || c.offset !== h.events?.indexed) throw bad('carry');
  const rows = Math.floor(c.count / h.entryEvery) + 1;
  const e = h.entries;
  if (!e || [e.offset, e.line, e.maxSeq, e.maxMs].some((col) => !Array.isArray(col) || col.length !== rows)) throw bad('entries');
  let last = 0;
  let group = -1;
  for (const row of h.snapshots) {
    if (!Array.isArray(row) || row.length !== 7 || !row.every(whole) || row[0] <= last || row[0] > c.count) throw bad('snapshots');
    // A group is a keyframe and the deltas right after it.
    if (row[1] === row[0]) group = row[0];
    else if (row[1] !== group) throw bad('a delta snapshot apart from its group');
    last = row[0];
  }
  if (!Array.isArray(h.tail) || h.tail[0] + h.tail[1] > h.blobArea.end) throw bad('tail');
}

/** Reads one blob and checks it. */
export async function readBlob(handle: FileHandle, place: BlobPlace): Promise<Buffer> {
  const [off, len, crc] = place;
  const bytes = Buffer.alloc(len);
  const { bytesRead } = await handle.read(bytes, 0, len, off);
  if (bytesRead !== len || crc32(bytes) !== crc) throw new IndexCorrupt(`snapshot at byte ${off} fails its checksum`);
  return bytes;
}

/**
 * A new index file, written blob by blob to a temp file beside the target
 * and renamed over it on commit. Throws on a folder that cannot be written
 * (the caller then keeps the index in memory).
 */
export class IndexWriter {
  private readonly temp: string;
  private fd: number;
  private at = PREAMBLE;
  private crc = 0;

  constructor(readonly target: string) {
    this.temp = tempName(target);
    this.fd = openSync(this.temp, 'w+', 0o644);
    const preamble = Buffer.alloc(PREAMBLE);
    MAGIC.copy(preamble, 0);
    preamble.writeUInt32LE(INDEX_VERSION, 8);
    try {
      this.write(preamble);
    } catch (error) {
      // A disk full already: no writer comes of it, so nothing would abort it, and an empty temp file stayed behind.
      closeSync(this.fd);
      this.fd = -1;
      try {
        unlinkSync(this.temp);
      } catch {
        // gone
      }
      throw error;
    }
  }

  /** Appends a blob; its place in the file to come. */
  add(bytes: Buffer): BlobPlace {
    const place: BlobPlace = [this.at, bytes.length, crc32(bytes)];
    this.write(bytes);
    this.crc = crc32(bytes, this.crc);
    this.at += bytes.length;
    return place;
  }

  /** Writes the header and renames the file into place; on failure the caller reads back or aborts. */
  async commit(header: Omit<IndexHeader, 'blobArea' | 'version'>): Promise<void> {
    const full: IndexHeader = { version: INDEX_VERSION, ...header, blobArea: { end: this.at, crc: this.crc } };
    const bytes = Buffer.from(JSON.stringify(full));
    const trailer = Buffer.alloc(TRAILER);
    trailer.writeDoubleLE(this.at, 0);
    trailer.writeUInt32LE(bytes.length, 8);
    trailer.writeUInt32LE(crc32(bytes), 12);
    END_MAGIC.copy(trailer, 16);
    this.write(bytes);
    this.write(trailer);
    // Renamed while still open: should the rename fail, the caller can still read the blobs back.
    await fs.rename(this.temp, this.target);
    closeSync(this.fd);
    this.fd = -1;
  }

  /** A blob written here, read back (when the file cannot be committed). */
  readBack([off, len]: BlobPlace): Buffer {
    return readRange(this.fd, off, off + len);
  }

  async abort(): Promise<void> {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    await fs.unlink(this.temp).catch(() => undefined);
  }

  private write(bytes: Buffer): void {
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, null);
  }
}
