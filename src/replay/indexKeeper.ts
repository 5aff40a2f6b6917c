// Keeps a run's seek index: loads events.idx when it matches events.jsonl,
// carries it on when the log only grew, rebuilds it when the log shrank or
// changed or the index is corrupt (reported as damage, never a crash), and
// writes it back beside the run. Snapshots written while reading the log go
// straight to the new index file (memory stays flat on a first open of a
// huge log); a folder that cannot be written keeps them in memory and says
// so in `info.note`.

import { readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import type { FileHandle } from 'node:fs/promises';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../config/errors.js';
import type { RunState } from '../state/runState.js';
import {
  checkHeader,
  compareKey,
  fileKey,
  INDEX_FILE,
  IndexCorrupt,
  IndexOutdated,
  IndexWriter,
  openIndexFile,
  readBlob,
  type BlobPlace,
  type FileKey,
  type IndexHeader,
} from './indexFile.js';
import { LogIndex } from './logIndex.js';
import { Lru } from './lru.js';
import { EntryColumns, SeekIndex, type BlobRef, type SnapshotRow } from './seekIndex.js';
import { decodeState, encodeState, GroupDecoder, GROUP_SIZE } from './snapshotCodec.js';
import type { ReplayDamage } from './types.js';

/** Events between snapshots (tuned by bench/replay.mjs: build time against seek time). */
export const DEFAULT_SNAPSHOT_EVERY = 2000;
/** Events between offset rows: a block read by eventAt, cursorOfSeq and cursorAtMs. */
export const ENTRY_EVERY = 1000;
/** Decoded groups of snapshots kept (each a keyframe and up to GROUP_SIZE - 1 deltas sharing its objects). */
export const GROUP_CACHE = 2;
/** The most snapshot states held decoded. */
export const MAX_DECODED_SNAPSHOTS = GROUP_CACHE * GROUP_SIZE;

interface DecodedGroup {
  decoder: GroupDecoder;
  states: Map<number, RunState>;
}
/** Snapshots made by refresh() kept in memory before the index file is rewritten. */
const PERSIST_AFTER = 8;

export interface IndexInfo {
  /** Where the index is kept; null when only in memory. */
  path: string | null;
  /** How this open got it: read as it was, carried on over what the log gained, or built by reading the whole log. */
  opened: 'loaded' | 'extended' | 'built';
  /** Time spent on the index when opening (the whole build on a first open). */
  openMs: number;
  /** Events read from the log when opening (all of them on a build). */
  eventsRead: number;
  /** Why the index is not kept on disk, when it is not. */
  note: string | null;
}

export interface KeeperOptions {
  snapshotEvery?: number;
  /** Events between offset rows (default ENTRY_EVERY; small values let tests cross many blocks). */
  entryEvery?: number;
  indexPath?: string;
  /** Progress of reading the log on open: bytes read, bytes to read. */
  onProgress?: (offset: number, total: number) => void;
}

/** An index built from another log, or with other intervals: rebuilt, and no damage. */
class Stale extends Error {}

const place = (ref: BlobRef): BlobPlace => [ref.off, ref.len, ref.crc];
const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code ?? (error as Error).message;

function indexFromHeader(h: IndexHeader, tail: RunState): SeekIndex {
  const entries = new EntryColumns(Math.max(1024, h.entries.offset.length));
  for (let i = 0; i < h.entries.offset.length; i++) {
    entries.push(h.entries.offset[i]!, h.entries.line[i]!, h.entries.maxSeq[i]!, h.entries.maxMs[i] ?? -Infinity);
  }
  const snapshots: SnapshotRow[] = h.snapshots.map(([cursor, key, offset, line, off, len, crc]) => ({ cursor, key, offset, line, blob: { off, len, crc } }));
  return new SeekIndex({ entryEvery: h.entryEvery, snapshotEvery: h.snapshotEvery, entries, snapshots, carry: h.carry, tail, timeline: h.timeline });
}

export class IndexKeeper {
  index: SeekIndex;
  log: LogIndex | null = null;
  readonly info: IndexInfo;
  /** Problems with the index itself (corrupt, unreadable snapshot). */
  readonly indexDamage: ReplayDamage[] = [];
  /** Decoded groups of snapshots, by keyframe cursor. */
  private readonly groupsDecoded = new Lru<number, DecodedGroup>(GROUP_CACHE);
  /** The committed index file, for snapshot reads. */
  private idx: FileHandle | null = null;
  private writer: IndexWriter | null = null;
  private writable = true;
  private dirty = false;
  private pending = 0;
  private eventsKey: FileKey | null = null;
  private logKey: FileKey | null = null;

  private constructor(
    private readonly target: string,
    private readonly events: FileHandle,
    private readonly logHandle: FileHandle | null,
    private readonly asked: number,
    private readonly askedEntry: number,
  ) {
    this.index = SeekIndex.empty(askedEntry, asked);
    this.info = { path: target, opened: 'built', openMs: 0, eventsRead: 0, note: null };
  }

  static async open(runDir: string, events: FileHandle, logHandle: FileHandle | null, options: KeeperOptions = {}): Promise<IndexKeeper> {
    const asked = options.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY;
    const askedEntry = options.entryEvery ?? ENTRY_EVERY;
    for (const [name, value] of [['snapshotEvery', asked], ['entryEvery', askedEntry]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new UsageError(`replay: ${name} must be a whole number of events >= 1, got ${value}`);
    }
    const keeper = new IndexKeeper(options.indexPath ?? path.join(runDir, INDEX_FILE), events, logHandle, asked, askedEntry);
    await keeper.load(options.onProgress);
    return keeper;
  }

  /** Snapshot states held decoded now (at most MAX_DECODED_SNAPSHOTS). */
  get decodedSnapshots(): number {
    let held = 0;
    this.groupsDecoded.forEach((group) => (held += group.states.size));
    return held;
  }

  private async load(onProgress?: (offset: number, total: number) => void): Promise<void> {
    const started = performance.now();
    const header = await this.loadHeader();
    const stat = await this.events.stat();
    const before = this.index.carry.count;
    const lines = this.index.carry.line;
    if (stat.size > this.index.carry.offset) await this.index.extend(this.events, stat.size, (bytes) => this.toWriter(bytes), onProgress);
    this.eventsKey = fileKey(this.events.fd, stat, this.index.carry.offset);
    const logChanged = await this.syncLog(header?.log ?? null);
    this.info.eventsRead = this.index.carry.count - before;
    if (this.info.opened === 'extended' && this.index.carry.line === lines && !logChanged) this.info.opened = 'loaded';
    if (this.info.opened !== 'loaded' || logChanged) await this.persist();
    this.info.openMs = Math.round(performance.now() - started);
  }

  /** Reads events.idx if it is sound and was built from this log (or an earlier, shorter state of it). */
  private async loadHeader(): Promise<IndexHeader | null> {
    const problem = (why: string) => this.indexDamage.push({ file: path.basename(this.target), problem: `${why}; rebuilt from events.jsonl` });
    let opened;
    try {
      opened = await openIndexFile(this.target);
    } catch (error) {
      if (!(error instanceof IndexCorrupt)) throw error;
      // An index of another megatest version is no damage: it is simply rebuilt.
      if (!(error instanceof IndexOutdated)) problem(error.message);
      return null;
    }
    if (opened === null) return null;
    const { handle, header } = opened;
    try {
      checkHeader(header);
      if (header.askedSnapshotEvery !== this.asked || header.askedEntryEvery !== this.askedEntry) throw new Stale('built with other intervals');
      if (compareKey(this.events.fd, await this.events.stat(), header.events) === 'changed') throw new Stale('events.jsonl changed');
      const tail = decodeState(await readBlob(handle, header.tail));
      this.index = indexFromHeader(header, tail);
      this.idx = handle;
      this.info.opened = 'extended';
      return header;
    } catch (error) {
      await handle.close();
      // A different log or interval is no damage: the index is simply rebuilt.
      if (!(error instanceof Stale)) problem(error instanceof IndexCorrupt ? error.message : `unreadable (${errorCode(error)})`);
      return null;
    }
  }

  /** Samples what session.log gained; true when the log index changed. */
  private async syncLog(stored: IndexHeader['log']): Promise<boolean> {
    if (this.logHandle === null) return false;
    const stat = await this.logHandle.stat();
    const verdict = stored ? compareKey(this.logHandle.fd, stat, stored.key) : 'changed';
    if (verdict === 'changed' || this.log === null) this.log = verdict === 'changed' ? new LogIndex() : new LogIndex(stored!.data);
    const before = this.log.end;
    this.log.extend(this.logHandle.fd, stat.size);
    this.logKey = fileKey(this.logHandle.fd, stat, this.log.end);
    return verdict === 'changed' || this.log.end !== before;
  }

  /** Picks up what the log gained; rebuilds when it shrank or was replaced. */
  async refresh(): Promise<{ rebuilt: boolean }> {
    const stat = await this.events.stat();
    const verdict = this.eventsKey ? compareKey(this.events.fd, stat, this.eventsKey) : 'changed';
    let rebuilt = false;
    if (verdict === 'changed') {
      this.index = SeekIndex.empty(this.askedEntry, this.asked);
      this.groupsDecoded.clear();
      rebuilt = true;
    }
    if (verdict !== 'same') {
      const count = this.index.carry.count;
      const sink = (bytes: Buffer) => {
        this.pending += 1;
        return this.toMemory(bytes);
      };
      await this.index.extend(this.events, stat.size, sink);
      this.eventsKey = fileKey(this.events.fd, stat, this.index.carry.offset);
      if (rebuilt || this.index.carry.count !== count) this.dirty = true;
    }
    if (this.logHandle !== null && this.logKey !== null) {
      const logStat = await this.logHandle.stat();
      if (compareKey(this.logHandle.fd, logStat, this.logKey) === 'changed') this.log = new LogIndex();
      const end = this.log!.end;
      this.log!.extend(this.logHandle.fd, logStat.size);
      this.logKey = fileKey(this.logHandle.fd, logStat, this.log!.end);
      if (this.log!.end !== end) this.dirty = true;
    }
    if (this.pending >= PERSIST_AFTER) await this.persist();
    return { rebuilt };
  }

  /**
   * The state folded into a snapshot; null when its bytes turn out bad
   * (reported; the caller uses an earlier one). A delta is decoded after the
   * snapshots of its group before it; a few groups stay decoded.
   */
  async snapshotState(row: SnapshotRow): Promise<RunState | null> {
    let group = this.groupsDecoded.get(row.key);
    if (group === undefined) {
      group = { decoder: new GroupDecoder(), states: new Map() };
      this.groupsDecoded.set(row.key, group);
    }
    const held = group.states.get(row.cursor);
    if (held) return held;
    const rows = this.index.groupUpTo(row);
    for (const next of rows.slice(group.decoder.count)) {
      try {
        group.states.set(next.cursor, group.decoder.next(await this.blobBytes(next)));
      } catch (error) {
        this.groupsDecoded.delete(row.key);
        this.dropBadSnapshot(next, error);
        return null;
      }
    }
    return group.states.get(row.cursor) ?? null;
  }

  private async blobBytes(row: SnapshotRow): Promise<Buffer> {
    return row.blob.data ?? (await readBlob(this.idx!, place(row.blob)));
  }

  private dropBadSnapshot(row: SnapshotRow, error: unknown): void {
    this.indexDamage.push({ file: path.basename(this.target), problem: `snapshot at event ${row.cursor} unreadable (${(error as Error).message}); folding from an earlier one` });
    this.index.dropSnapshot(row);
    this.dirty = true;
  }

  /** Writes what changed to the index file (when the folder can be written). */
  async persist(): Promise<void> {
    if (!this.writable) return;
    try {
      this.ensureWriter();
      const writer = this.writer!;
      const tail = writer.add(encodeState(this.index.tail));
      await writer.commit({
        askedSnapshotEvery: this.asked,
        askedEntryEvery: this.askedEntry,
        entryEvery: this.index.entryEvery,
        snapshotEvery: this.index.snapshotEvery,
        events: this.eventsKey!,
        carry: this.index.carry,
        entries: this.entriesJson(),
        snapshots: this.index.snapshots.map((row) => [row.cursor, row.key, row.offset, row.line, ...place(row.blob)]),
        tail,
        timeline: this.index.timeline.toJSON(),
        log: this.log && this.logKey ? { key: this.logKey, data: this.log.toJSON() } : null,
      });
      this.writer = null;
      for (const row of this.index.snapshots) row.blob = { off: row.blob.off, len: row.blob.len, crc: row.blob.crc };
      await this.idx?.close();
      this.idx = await fs.open(this.target, 'r');
      this.dirty = false;
      this.pending = 0;
    } catch (error) {
      this.abandonWriter(error);
    }
  }

  async close(): Promise<void> {
    if (this.dirty || this.pending > 0) await this.persist();
    await this.writer?.abort();
    await this.idx?.close();
    this.idx = null;
  }

  private entriesJson(): IndexHeader['entries'] {
    const e = this.index.entries;
    const list = (column: Float64Array) => Array.from(column.subarray(0, e.length));
    return { offset: list(e.offset), line: list(e.line), maxSeq: list(e.maxSeq), maxMs: list(e.maxMs).map((ms) => (ms === -Infinity ? null : ms)) };
  }

  private toMemory(bytes: Buffer): BlobRef {
    return { off: 0, len: bytes.length, crc: 0, data: bytes };
  }

  private toWriter(bytes: Buffer): BlobRef {
    if (!this.writable) return this.toMemory(bytes);
    try {
      this.ensureWriter();
      const [off, len, crc] = this.writer!.add(bytes);
      const ref: WriterRef = { off, len, crc, inWriter: true };
      return ref;
    } catch (error) {
      // A read-only folder, a full disk: what was written so far is read back into memory.
      this.abandonWriter(error);
      return this.toMemory(bytes);
    }
  }

  /** Opens the next index file and copies every snapshot kept so far into it. */
  private ensureWriter(): void {
    if (this.writer !== null) return;
    const writer = new IndexWriter(this.target);
    this.writer = writer;
    const bad: SnapshotRow[] = [];
    for (const row of this.index.snapshots) {
      const bytes = row.blob.data ?? readPlace(this.idx!.fd, place(row.blob));
      if (bytes === null || (!row.blob.data && crc32(bytes) !== row.blob.crc)) {
        bad.push(row);
        continue;
      }
      const [off, len, crc] = writer.add(bytes);
      row.blob = { off, len, crc, inWriter: true, data: row.blob.data } as WriterRef;
    }
    // Never copied forward: a bad snapshot (and the deltas that need it) is dropped.
    for (const row of bad) this.dropBadSnapshot(row, new IndexCorrupt(`snapshot at byte ${row.blob.off} fails its checksum`));
  }

  /** Writing failed (read-only folder, disk full): keep every snapshot in memory from now on. */
  private abandonWriter(error: unknown): void {
    const writer = this.writer;
    this.writable = false;
    this.info.path = null;
    const why = ['EACCES', 'EPERM', 'EROFS'].includes(errorCode(error)) ? 'the run folder is read-only' : `events.idx could not be written (${errorCode(error)})`;
    this.info.note = `${why}: the seek index is kept in memory for this session`;
    if (writer === null) return;
    for (const row of this.index.snapshots) {
      const ref = row.blob as WriterRef;
      if (ref.inWriter && !ref.data) row.blob = this.toMemory(writer.readBack([ref.off, ref.len, ref.crc]));
      else if (ref.inWriter) row.blob = this.toMemory(ref.data!);
    }
    this.writer = null;
    void writer.abort();
  }
}

/** A blob placed in the index file being written (not yet renamed into place). */
interface WriterRef extends BlobRef {
  inWriter?: boolean;
}

/** A blob of the committed index file, or null when the file no longer holds it whole. */
function readPlace(fd: number, [off, len]: BlobPlace): Buffer | null {
  const bytes = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const n = readSync(fd, bytes, got, len - got, off + got);
    if (n === 0) return null;
    got += n;
  }
  return bytes;
}

