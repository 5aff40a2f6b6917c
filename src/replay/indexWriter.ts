// Writes events.idx (indexFile.ts has the layout): a new file, blob by blob
// into a temp file beside the target and renamed over it on its first
// commit; then, for a keeper that carries its index on in place, appended
// to: each commit writes the new blobs, a header record of what changed
// and a commit slot, so a refresh costs what the log gained. Writes at open
// (a build, a copy) are synchronous, as the fold they come from is; a
// commit's writes are not, so a refresh never holds the event loop on IO.

import { closeSync, fstatSync, ftruncateSync, openSync, promises as fs, readdirSync, rmSync, unlinkSync, write as writeCallback, writeSync } from 'node:fs';
import path from 'node:path';
import { isPidAlive } from '../io/processAlive.js';
import { crc32 } from 'node:zlib';
import { tempName } from '../io/atomic.js';
import { DATA_START, INDEX_VERSION, MAGIC, PREAMBLE, readBlob, readRange, SLOT, slotBytes, type BlobPlace, type CommitPoint } from './indexFile.js';
import type { FileHandle } from 'node:fs/promises';
import { RecordShape, type RecordParts } from './indexRecord.js';
import type { BlobRef, SnapshotRow } from './seekIndex.js';

/** A blob placed in the index file being written (not yet committed). */
export interface WriterRef extends BlobRef {
  inWriter?: boolean;
}

/** Records after a whole one, at most, before the next is written whole (an open reads them all back). */
const MAX_DELTAS = 256;

const toRef = ([off, len, crc]: BlobPlace) => ({ off, len, crc });

function writeAsync(fd: number, bytes: Buffer, offset: number, at: number): Promise<number> {
  return new Promise((resolve, reject) => writeCallback(fd, bytes, offset, bytes.length - offset, at, (error, n) => (error ? reject(error) : resolve(n))));
}

/**
 * Removes the temp files of `target` that processes now dead left beside it
 * (`tempName`: `.events.idx.<pid>.<n>.tmp`): a replay interrupted while it
 * built the index left one, megabytes on a big run, that only an
 * orchestrator's start removed.
 */
export function removeDeadTemps(target: string): void {
  const prefix = `.${path.basename(target)}.`;
  let names: string[];
  try {
    names = readdirSync(path.dirname(target));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/^\d+(?=\.\d+\.tmp$)/.exec(name.slice(prefix.length))?.[0]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isPidAlive(pid)) rmSync(path.join(path.dirname(target), name), { force: true });
  }
}

export class IndexWriter {
  private fd: number;
  /** The temp file until the first commit renames it over the target; null once it is the target. */
  private temp: string | null;
  private at = DATA_START;
  /** crc32 of the bytes from DATA_START to `at`. */
  private crc = 0;
  private generation = 0;
  /** The newest committed record; null before the first commit. */
  private prev: BlobPlace | null = null;
  /** The records from the newest back to the whole one: their count and bytes, and the whole one's bytes. */
  private chain = { records: 0, bytes: 0, wholeBytes: 0 };
  private readonly shape = new RecordShape();
  /** Bytes this writer has written (blobs, records, slots): what its commits cost. */
  written = 0;

  /** A new index file (a temp file beside the target); throws on a folder that cannot be written. */
  constructor(readonly target: string, resume?: { fd: number; commit: CommitPoint }) {
    if (resume) {
      this.fd = resume.fd;
      this.temp = null;
      this.at = resume.commit.end;
      this.crc = resume.commit.crc;
      this.generation = resume.commit.generation;
      this.prev = resume.commit.record;
      this.chain = { ...resume.commit.chain };
      return;
    }
    this.temp = tempName(target);
    this.fd = openSync(this.temp, 'w+', 0o644);
    const front = Buffer.alloc(DATA_START);
    MAGIC.copy(front, 0);
    front.writeUInt32LE(INDEX_VERSION, 8);
    try {
      this.writeSyncAt(front, 0);
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

  /**
   * Carries on the committed index a reader found at `target`, in place;
   * null when the path no longer names the file read (`ino`), or it cannot
   * be opened for writing. Bytes past the commit (a kill mid-commit) go.
   */
  static resume(target: string, ino: number, commit: CommitPoint): IndexWriter | null {
    let fd = -1;
    try {
      fd = openSync(target, 'r+');
      if (fstatSync(fd).ino !== ino) throw new Error('replaced');
      ftruncateSync(fd, commit.end);
      return new IndexWriter(target, { fd, commit });
    } catch {
      if (fd >= 0) closeSync(fd);
      return null;
    }
  }

  /** Bytes of the file: committed, and appended since. */
  get end(): number {
    return this.at;
  }

  /** Bytes of the records a reader reads back (the newest to the whole one). */
  get recordBytes(): number {
    return this.chain.bytes;
  }

  /** Committed at least once, so the target is this file. */
  get inPlace(): boolean {
    return this.temp === null;
  }

  /**
   * Copies the snapshots of `rows` (in memory, or in the committed file
   * `from`) into this file, synchronously (at open, beside the fold); the
   * rows whose bytes fail their checksum, not copied.
   */
  copyInSync(rows: SnapshotRow[], from: FileHandle | null): SnapshotRow[] {
    const bad: SnapshotRow[] = [];
    for (const row of rows) {
      const { off, len, crc, data } = row.blob;
      const bytes = data ?? readRange(from!.fd, off, off + len);
      if (!data && (bytes.length !== len || crc32(bytes) !== crc)) bad.push(row);
      else row.blob = { ...toRef(this.addSync(bytes)), inWriter: true, data } as WriterRef;
    }
    return bad;
  }

  /** copyInSync off the event loop (a compaction while a run goes on). */
  async copyIn(rows: SnapshotRow[], from: FileHandle | null): Promise<SnapshotRow[]> {
    const bad: SnapshotRow[] = [];
    for (const row of rows) {
      const { off, len, crc, data } = row.blob;
      const bytes = data ?? (await readBlob(from!, [off, len, crc]).catch(() => null));
      if (bytes === null) bad.push(row);
      else row.blob = { ...toRef(await this.add(bytes)), inWriter: true, data } as WriterRef;
    }
    return bad;
  }

  /** Appends a blob, synchronously (at open, beside the fold); its place. */
  addSync(bytes: Buffer): BlobPlace {
    const place: BlobPlace = [this.at, bytes.length, crc32(bytes)];
    this.writeSyncAt(bytes, this.at);
    this.advance(bytes);
    return place;
  }

  /** Appends a blob off the event loop; its place. */
  async add(bytes: Buffer): Promise<BlobPlace> {
    const place: BlobPlace = [this.at, bytes.length, crc32(bytes)];
    for (let done = 0; done < bytes.length; ) done += await writeAsync(this.fd, bytes, done, this.at + done);
    this.advance(bytes);
    return place;
  }

  /**
   * Appends the header record of `parts` (what changed since the last
   * commit, or whole when the records since the last whole one outweigh it)
   * and names it in the older commit slot; the first commit renames the
   * file into place. On failure the caller reads back or aborts.
   */
  async commit(parts: RecordParts): Promise<void> {
    const deltas = this.chain.bytes - this.chain.wholeBytes;
    const whole = this.prev === null || deltas >= this.chain.wholeBytes || this.chain.records > MAX_DELTAS;
    const record = this.shape.record(parts, whole ? null : this.prev, this.crc);
    record.version = INDEX_VERSION;
    const place = await this.add(Buffer.from(JSON.stringify(record)));
    const generation = this.generation + 1;
    // The record is written before the slot that names it: a kill between the two leaves the commit before.
    await writeAsync(this.fd, slotBytes(generation, place), 0, PREAMBLE + SLOT * (generation % 2));
    this.written += SLOT;
    // Renamed while still open: should the rename fail, the caller can still read the blobs back.
    if (this.temp !== null) await fs.rename(this.temp, this.target);
    this.temp = null;
    this.generation = generation;
    this.prev = place;
    this.chain = whole ? { records: 1, bytes: place[1], wholeBytes: place[1] } : { records: this.chain.records + 1, bytes: this.chain.bytes + place[1], wholeBytes: this.chain.wholeBytes };
    this.shape.noteCommitted(parts);
  }

  /** The index a reader loaded is what this writer committed: later records say what grew since. */
  noteLoaded(parts: RecordParts): void {
    this.shape.noteCommitted(parts);
  }

  /** Whether the target is still this file (another reader may have written it whole and renamed it over). */
  async isTarget(): Promise<boolean> {
    if (this.temp !== null) return false;
    const here = fstatSync(this.fd);
    const there = await fs.stat(this.target).catch(() => null);
    return there !== null && there.ino === here.ino && there.dev === here.dev;
  }

  /** A blob written here, read back (when the file cannot be committed). */
  readBack([off, len]: BlobPlace): Buffer {
    return readRange(this.fd, off, off + len);
  }

  /** Lets go of the file: a temp file never committed is removed, the committed target stays. */
  async abort(): Promise<void> {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    if (this.temp !== null) await fs.unlink(this.temp).catch(() => undefined);
  }

  private advance(bytes: Buffer): void {
    this.crc = crc32(bytes, this.crc);
    this.at += bytes.length;
    this.written += bytes.length;
  }

  private writeSyncAt(bytes: Buffer, at: number): void {
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, at + done);
  }
}
