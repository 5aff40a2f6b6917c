// events.idx: the seek index kept beside the run, so the second open of a
// run reads its header records and one snapshot instead of the whole log.
//
//   "MTRPIDX\n" | u32 version | u32 0 | commit slot 0 | commit slot 1 |
//   snapshot blobs and header records (JSON), appended …
//   slot (32 bytes): f64 generation | f64 record offset | u32 record length |
//                    u32 crc32(record) | u32 0 | u32 crc32(the slot's first 28 bytes)
//
// A commit appends the new blobs and a header record (indexRecord.ts: whole,
// or what changed since the record before it, which it names), then
// rewrites the older of the two slots to name that record: a refresh of a
// long run writes what the log gained, not the whole index again. A kill at
// any byte leaves the slots naming the last record written whole (the bytes
// after it are ignored, and the next commit writes over them), or one slot
// torn, which fails its checksum, so the other names the commit before.
// Every record carries a crc32 of all bytes before it, so a reader checks
// every blob and record of the file; nothing is trusted blindly: a wrong
// magic, version, place or checksum makes the file corrupt (the caller
// rebuilds it and reports the damage). A new file (the first build, or a
// compaction of one grown mostly of dead bytes) is written to a temp file
// beside it and renamed over it (src/io/atomic.ts's temp name).

import { createHash } from 'node:crypto';
import { promises as fs, readSync, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { applyRecord, type IndexRecord } from './indexRecord.js';
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
 * 11: commit slots and appended header records (a refresh appends what changed instead of rewriting the file).
 * An index of another version is built again (IndexOutdated: no damage).
 */
// 12: an event line of an unknown type (a newer megatest's) takes its seq in the folded state instead of leaving a gap.
// 13: the folded states' measured figures keep the last test run's flaky count (Measured.testsFlaky).
// 14: the folded states' counters keep the limit events per kind (Counters.limitsByKind).
export const INDEX_VERSION = 14;
export const MAGIC = Buffer.from('MTRPIDX\n');
export const PREAMBLE = 16;
export const SLOT = 32;
/** Where the blobs and records begin, after the preamble and the two commit slots. */
export const DATA_START = PREAMBLE + 2 * SLOT;
/** Records read back from the newest to the whole one before it, at most (a writer writes a whole one well before). */
const MAX_CHAIN = 100_000;
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

export function readRange(fd: number, from: number, to: number): Buffer {
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

/** The commit a reader found: where a writer carries the file on from. */
export interface CommitPoint {
  generation: number;
  /** The newest record, and the end of the committed bytes (just after it). */
  record: BlobPlace;
  end: number;
  /** crc32 of the committed bytes from DATA_START to `end`. */
  crc: number;
  /** Records from the newest back to the whole one (1: it is whole), their bytes, and the whole one's. */
  chain: { records: number; bytes: number; wholeBytes: number };
}

export interface OpenedIndex {
  handle: FileHandle;
  header: IndexHeader;
  commit: CommitPoint;
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
    return { handle, ...(await readHeader(handle)) };
  } catch (error) {
    await handle.close();
    throw error instanceof IndexCorrupt ? error : new IndexCorrupt((error as Error).message);
  }
}

/** A commit slot's bytes. */
export function slotBytes(generation: number, record: BlobPlace): Buffer {
  const slot = Buffer.alloc(SLOT);
  slot.writeDoubleLE(generation, 0);
  slot.writeDoubleLE(record[0], 8);
  slot.writeUInt32LE(record[1], 16);
  slot.writeUInt32LE(record[2], 20);
  slot.writeUInt32LE(crc32(slot.subarray(0, 28)), 28);
  return slot;
}

function readSlot(slot: Buffer): { generation: number; record: BlobPlace } | null {
  if (crc32(slot.subarray(0, 28)) !== slot.readUInt32LE(28)) return null;
  return { generation: slot.readDoubleLE(0), record: [slot.readDoubleLE(8), slot.readUInt32LE(16), slot.readUInt32LE(20)] };
}

async function readExactly(handle: FileHandle, [off, len]: BlobPlace): Promise<Buffer> {
  const bytes = Buffer.alloc(len);
  const { bytesRead } = await handle.read(bytes, 0, len, off);
  if (bytesRead !== len) throw new IndexCorrupt('cut short');
  return bytes;
}

async function readHeader(handle: FileHandle): Promise<{ header: IndexHeader; commit: CommitPoint }> {
  const { size } = await handle.stat();
  if (size < DATA_START) throw new IndexCorrupt(`too short (${size} bytes)`);
  const front = await readExactly(handle, [0, DATA_START, 0]);
  if (!front.subarray(0, 8).equals(MAGIC)) throw new IndexCorrupt('not a megatest seek index (bad magic)');
  const version = front.readUInt32LE(8);
  if (version !== INDEX_VERSION) throw new IndexOutdated(`version ${version}, this megatest reads version ${INDEX_VERSION}`);
  // The newer slot that is whole: a slot torn by a kill fails its checksum, and the other names the commit before.
  const slots = [readSlot(front.subarray(PREAMBLE, PREAMBLE + SLOT)), readSlot(front.subarray(PREAMBLE + SLOT, DATA_START))];
  const newest = slots.reduce((a, b) => (b !== null && (a === null || b.generation > a.generation) ? b : a), null);
  if (newest === null) throw new IndexCorrupt('no commit slot passes its checksum (never committed, or cut short)');
  const at = (place: BlobPlace, before: number) => Number.isInteger(place[0]) && place[0] >= DATA_START && place[0] + place[1] <= before;
  // The size taken after the slots: the orchestrator appends a record, then names it in a slot; a size taken before
  // the slots missed a commit made between the two reads, and a live run's index read as cut short (then rebuilt).
  const { size: sizeNow } = await handle.stat();
  if (!at(newest.record, sizeNow)) throw new IndexCorrupt('header out of place (cut short)');
  // The records from the newest back to the whole one, each checked against the place that names it.
  const records: IndexRecord[] = [];
  const chain = { records: 0, bytes: 0, wholeBytes: 0 };
  let place: BlobPlace | null = newest.record;
  let newestBytes: Buffer | null = null;
  while (place !== null) {
    const bytes = await readExactly(handle, place);
    if (crc32(bytes) !== place[2]) throw new IndexCorrupt('header checksum mismatch');
    newestBytes ??= bytes;
    const record = JSON.parse(bytes.toString('utf8')) as IndexRecord;
    if (record.version !== INDEX_VERSION) throw new IndexCorrupt('header does not match the file');
    records.push(record);
    chain.records += 1;
    chain.bytes += place[1];
    if (record.prev === null) chain.wholeBytes = place[1];
    else if (!Array.isArray(record.prev) || !at(record.prev, place[0]) || records.length > MAX_CHAIN) throw new IndexCorrupt('header out of place');
    place = record.prev;
  }
  // Every byte before the newest record, streamed: a flipped bit in any snapshot is found now, not in the middle of a replay.
  const recordAt = newest.record[0];
  const chunk = Buffer.allocUnsafe(1 << 20);
  let crc = 0;
  for (let pos = DATA_START; pos < recordAt; ) {
    const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, recordAt - pos), pos);
    if (bytesRead === 0) throw new IndexCorrupt('cut short');
    crc = crc32(chunk.subarray(0, bytesRead), crc);
    pos += bytesRead;
  }
  if (crc !== records[0]!.crc) throw new IndexCorrupt('snapshot checksum mismatch');
  let header: IndexHeader | null = null;
  try {
    for (let i = records.length - 1; i >= 0; i--) header = applyRecord(header, records[i]!, recordAt, crc);
  } catch (error) {
    throw new IndexCorrupt((error as Error).message);
  }
  const end = recordAt + newest.record[1];
  return { header: header!, commit: { generation: newest.generation, record: newest.record, end, crc: crc32(newestBytes!, crc), chain } };
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
