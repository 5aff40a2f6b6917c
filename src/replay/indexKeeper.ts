// Keeps a run's seek index: loads events.idx when it matches events.jsonl,
// carries it on when the log only grew, rebuilds it when the log shrank or
// changed or the index is corrupt (reported as damage, never a crash), and
// writes it back beside the run. Snapshots written while reading the log go
// straight to the new index file (memory stays flat on a first open of a
// huge log); a folder that cannot be written keeps them in memory and says
// so in `info.note`. A keeper asked to append in place (the orchestrator's,
// which alone writes the index while the run goes on) appends what each
// commit adds to the file it loaded or wrote, and writes the file whole
// again only when most of it is dead bytes (old end states and records);
// any other writes it whole each time, so two writers never append to one
// file. The snapshot states it reads back are decoded in decodedSnapshots.ts.

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
  DATA_START,
  openIndexFile,
  readBlob,
  type BlobPlace,
  type FileKey,
  type IndexHeader,
} from './indexFile.js';
import { indexFromHeader, type RecordParts } from './indexRecord.js';
import { IndexWriter, removeDeadTemps, type WriterRef } from './indexWriter.js';
import { LogIndex } from './logIndex.js';
import { SeekIndex, type BlobRef, type SnapshotRow } from './seekIndex.js';
import { decodeState, encodeState } from './snapshotCodec.js';
import { DecodedSnapshots } from './decodedSnapshots.js';
import type { ReplayDamage } from './types.js';

/** Events between snapshots (tuned by bench/replay.mjs: build time against seek time). */
export const DEFAULT_SNAPSHOT_EVERY = 2000;
/** Events between offset rows: a block read by eventAt, cursorOfSeq and cursorAtMs. */
export const ENTRY_EVERY = 1000;
// Their home is decodedSnapshots.ts; exported here too, where the replay source has always found them.
export { GROUP_CACHE, MAX_DECODED_SNAPSHOTS } from './decodedSnapshots.js';
/** Snapshots made by refresh() kept in memory before the index file is written. */
const PERSIST_AFTER = 8;
/** Dead bytes an index appended in place may hold before it is written whole again (and at least as many as are live). */
const COMPACT_FLOOR = 1 << 20;

import type { IndexInfo, KeeperOptions } from './keeperOptions.js';
export type { IndexInfo, KeeperOptions };

/** An index built from another log, or with other intervals: rebuilt, and no damage. */
class Stale extends Error {}

const place = (ref: BlobRef): BlobPlace => [ref.off, ref.len, ref.crc];
const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code ?? (error as Error).message;

export class IndexKeeper {
  index: SeekIndex;
  log: LogIndex | null = null;
  readonly info: IndexInfo;
  /** Problems with the index itself (corrupt, unreadable snapshot). */
  readonly indexDamage: ReplayDamage[] = [];
  /** The snapshot states decoded lately (decodedSnapshots.ts). */
  private readonly decoded = new DecodedSnapshots();
  /** The committed index file, for snapshot reads. */
  private idx: FileHandle | null = null;
  private writer: IndexWriter | null = null;
  private writable = true;
  /** A full disk took the index off the file: the next commit tries the file again (a whole one), as the disk may have room by then. */
  private retryWhenRoom = false;
  private dirty = false;
  private pending = 0;
  private eventsKey: FileKey | null = null;
  private logKey: FileKey | null = null;
  /** Length of the end state last committed (live bytes of the file). */
  private tailLength = 0;

  private constructor(
    private readonly target: string,
    private readonly events: FileHandle,
    private readonly logHandle: FileHandle | null,
    private readonly asked: number,
    private readonly askedEntry: number,
    private readonly inPlace: boolean,
    private readonly compactFloor: number,
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
    const target = options.indexPath ?? path.join(runDir, INDEX_FILE);
    if (options.readOnly !== true) removeDeadTemps(target);
    const keeper = new IndexKeeper(target, events, logHandle, asked, askedEntry, options.appendInPlace === true, options.compactFloor ?? COMPACT_FLOOR);
    if (options.readOnly === true && options.appendInPlace !== true) keeper.keepInMemory("the run's orchestrator keeps events.idx: this reader keeps what it adds in memory");
    try {
      await keeper.load(options.onProgress);
    } catch (error) {
      // The writer a load carried on holds events.idx open: let go of it and the reader's handle.
      await keeper.writer?.abort().catch(() => undefined);
      await keeper.idx?.close().catch(() => undefined);
      throw error;
    }
    return keeper;
  }

  /** Snapshot states held decoded now (at most MAX_DECODED_SNAPSHOTS). */
  get decodedSnapshots(): number {
    return this.decoded.held;
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
    if (this.info.opened !== 'loaded' || logChanged) {
      this.dirty = true;
      await this.persist();
    }
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
      this.tailLength = header.tail[1];
      if (this.inPlace) {
        // Carried on in place; a file that cannot be written here is written whole (or said) when it must be.
        this.writer = IndexWriter.resume(this.target, (await handle.stat()).ino, opened.commit);
        this.writer?.noteLoaded(this.parts(header.tail));
      }
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
      this.decoded.clear();
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

  /** The state folded into a snapshot; null when its bytes turn out bad (reported; the caller uses an earlier one). */
  snapshotState(row: SnapshotRow): Promise<RunState | null> {
    return this.decoded.stateOf(row, this.index, (next) => this.blobBytes(next), (next, error) => this.dropBadSnapshot(next, error));
  }

  private async blobBytes(row: SnapshotRow): Promise<Buffer> {
    return row.blob.data ?? (await readBlob(this.idx!, place(row.blob)));
  }

  private dropBadSnapshot(row: SnapshotRow, error: unknown): void {
    this.indexDamage.push({ file: path.basename(this.target), problem: `snapshot at event ${row.cursor} unreadable (${(error as Error).message}); folding from an earlier one` });
    this.index.dropSnapshot(row);
    this.dirty = true;
  }

  /**
   * Writes what changed to the index file (when the folder can be written):
   * appended in place by a keeper asked to, else a new file written whole.
   */
  async persist(): Promise<void> {
    if (!this.writable && this.retryWhenRoom && this.inPlace) {
      // The orchestrator's index once kept in memory for good after one full disk: the rest of the session's log was
      // left for the next reader (and a resume) to fold. Written whole again once there is room.
      this.writable = true;
      this.retryWhenRoom = false;
      this.dirty = true;
      // Said again by abandonWriter if the disk is still full.
      this.info.path = this.target;
      this.info.note = null;
    }
    // Nothing new since the last commit (a refresh that just wrote its snapshots): no end state written again.
    if (!this.writable || (!this.dirty && this.pending === 0)) return;
    try {
      if (this.writer?.inPlace && (this.mostlyDead(this.writer) || !(await this.writer.isTarget()))) {
        // Written whole again, with asynchronous IO: another reader renamed its own over it, or most of it is dead.
        await this.writer.abort();
        this.writer = null;
      }
      if (this.writer === null) await this.startWriter();
      const writer = this.writer!;
      const fresh = !writer.inPlace;
      for (const row of this.index.snapshots) {
        const ref = row.blob as WriterRef;
        if (ref.data && !ref.inWriter) {
          const [off, len, crc] = await writer.add(ref.data);
          row.blob = { off, len, crc, inWriter: true, data: ref.data } as WriterRef;
        }
      }
      const tail = await writer.add(encodeState(this.index.tail));
      await writer.commit(this.parts(tail));
      this.tailLength = tail[1];
      for (const row of this.index.snapshots) row.blob = { off: row.blob.off, len: row.blob.len, crc: row.blob.crc };
      if (!this.inPlace) {
        this.writer = null;
        await writer.abort();
      }
      if (fresh || this.idx === null) {
        await this.idx?.close();
        this.idx = await fs.open(this.target, 'r');
      }
      this.dirty = false;
      this.pending = 0;
    } catch (error) {
      this.abandonWriter(error);
    }
  }

  /** Bytes the index file has written, by the writer now open (for a benchmark's count). */
  get bytesWritten(): number {
    return this.writer?.written ?? 0;
  }

  private parts(tail: BlobPlace): RecordParts {
    return {
      askedSnapshotEvery: this.asked,
      askedEntryEvery: this.askedEntry,
      index: this.index,
      events: this.eventsKey!,
      tail,
      log: this.log && this.logKey ? { key: this.logKey, index: this.log } : null,
    };
  }

  /** More dead bytes (end states and records written over since) than live ones, past a floor: the file is written whole. */
  private mostlyDead(writer: IndexWriter): boolean {
    let live = this.tailLength + writer.recordBytes;
    for (const row of this.index.snapshots) if (!row.blob.data || (row.blob as WriterRef).inWriter) live += row.blob.len;
    return writer.end - DATA_START - live > Math.max(live, this.compactFloor);
  }

  /** Opens a new index file and copies every snapshot kept so far into it, off the event loop. */
  private async startWriter(): Promise<void> {
    this.writer = new IndexWriter(this.target);
    this.dropBad(await this.writer.copyIn(this.index.snapshots, this.idx));
  }

  /** Never copied forward: a bad snapshot (and the deltas that need it) is dropped. */
  private dropBad(bad: SnapshotRow[]): void {
    for (const row of bad) this.dropBadSnapshot(row, new IndexCorrupt(`snapshot at byte ${row.blob.off} fails its checksum`));
  }

  async close(): Promise<void> {
    if (this.dirty || this.pending > 0) await this.persist();
    await this.writer?.abort();
    await this.idx?.close();
    this.idx = null;
  }

  private toMemory(bytes: Buffer): BlobRef {
    return { off: 0, len: bytes.length, crc: 0, data: bytes };
  }

  private toWriter(bytes: Buffer): BlobRef {
    if (!this.writable) return this.toMemory(bytes);
    try {
      this.ensureWriter();
      const [off, len, crc] = this.writer!.addSync(bytes);
      const ref: WriterRef = { off, len, crc, inWriter: true };
      return ref;
    } catch (error) {
      // A read-only folder, a full disk: what was written so far is read back into memory.
      this.abandonWriter(error);
      return this.toMemory(bytes);
    }
  }

  /** Opens the next index file and copies every snapshot kept so far into it (at open, beside the fold). */
  private ensureWriter(): void {
    if (this.writer !== null) return;
    this.writer = new IndexWriter(this.target);
    this.dropBad(this.writer.copyInSync(this.index.snapshots, this.idx));
  }

  /** Never writes the index file: what it adds stays in memory (a reader beside a running orchestrator). */
  private keepInMemory(why: string): void {
    this.writable = false;
    this.info.path = null;
    this.info.note = why;
  }

  /** Writing failed (read-only folder, disk full): keep every snapshot in memory from now on. */
  private abandonWriter(error: unknown): void {
    const writer = this.writer;
    this.writable = false;
    this.retryWhenRoom = ['ENOSPC', 'EDQUOT'].includes(errorCode(error) ?? '');
    this.info.path = null;
    const why = ['EACCES', 'EPERM', 'EROFS'].includes(errorCode(error)) ? 'the run folder is read-only' : `events.idx could not be written (${errorCode(error)})`;
    this.info.note = `${why}: the seek index is kept in memory${this.retryWhenRoom ? ', and written again once there is room' : ' for this session'}`;
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
