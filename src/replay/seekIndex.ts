// The seek index of an events.jsonl (issue 10 §2, issue 13 §4): one
// streaming pass over the log records, every `entryEvery` events, where the
// next event begins (byte offset, line) and the highest seq and time folded
// so far; every `snapshotEvery` events the folded RunState (encoded, held on
// disk by the caller's BlobSink); the timeline marks and the damage met. A
// reader then reaches any cursor from the nearest snapshot at or before it,
// reading only from that byte offset. The pass stops at the last complete
// line and carries on from there when the file grows (a run in progress).
//
// Memory stays bounded whatever the log's size: the offset rows double
// their stride (keeping every other row) past ENTRY_CAP rows, the snapshot
// table keeps every other group of snapshots past SNAPSHOT_CAP, and marks
// thin as timeline.ts says.

import type { FileHandle } from 'node:fs/promises';
import { isEventType, parseEventLine, unknownEventLine, type MegatestEvent } from '../contract/events.js';
import { foldEvents } from '../state/fold.js';
import { skipUnknownEvent } from '../state/reduce.js';
import { initialRunState, type RunState } from '../state/runState.js';
import { scanLines } from './lineScan.js';
import { SnapshotEncoder } from './snapshotCodec.js';
import { markOf, TimelineCollector, type TimelineData } from './timeline.js';
import type { ReplayDamage } from './types.js';
import { isoTimeMs } from './isoTime.js';

export const EVENTS_FILE = 'events.jsonl';
export const ENTRY_CAP = 65_536;
export const SNAPSHOT_CAP = 16_384;
const FOLD_BATCH = 4096;

/** Where an encoded snapshot is: a byte range of the index file, or (not yet written, or no writable folder) in memory. */
export interface BlobRef {
  off: number;
  len: number;
  crc: number;
  data?: Buffer;
}
export type BlobSink = (bytes: Buffer) => BlobRef;

export interface SnapshotRow {
  /** Events folded into it. */
  cursor: number;
  /** The cursor of the keyframe it is a delta of (its own cursor for a keyframe). */
  key: number;
  /** Where event `cursor` begins, and its line (lines before it). */
  offset: number;
  line: number;
  blob: BlobRef;
}

/** What the pass needs to go on from where it stopped. */
export interface ScanCarry {
  /** Bytes read: the end of the last complete line. */
  offset: number;
  /** Lines read (complete ones). */
  line: number;
  /** Events read. */
  count: number;
  lastSeq: number;
  /** Time of the last event with a readable time; null before one. */
  lastMs: number | null;
  /** Highest seq and time so far: what a cursor has folded is a prefix, and these are its running maxima. */
  maxSeq: number;
  maxMs: number | null;
  firstMs: number | null;
}

/** Rows every `entryEvery` events: row i is cursor i * entryEvery. */
export class EntryColumns {
  offset: Float64Array;
  line: Float64Array;
  maxSeq: Float64Array;
  /** -Infinity before any time. */
  maxMs: Float64Array;
  length = 0;

  constructor(capacity = 1024) {
    this.offset = new Float64Array(capacity);
    this.line = new Float64Array(capacity);
    this.maxSeq = new Float64Array(capacity);
    this.maxMs = new Float64Array(capacity);
  }

  push(offset: number, line: number, maxSeq: number, maxMs: number): void {
    if (this.length === this.offset.length) this.resize(this.length * 2);
    const i = this.length++;
    this.offset[i] = offset;
    this.line[i] = line;
    this.maxSeq[i] = maxSeq;
    this.maxMs[i] = maxMs;
  }

  /** Keeps rows 0, 2, 4 …: the stride doubles. */
  halve(): void {
    const kept = Math.ceil(this.length / 2);
    for (let i = 0; i < kept; i++) {
      this.offset[i] = this.offset[2 * i]!;
      this.line[i] = this.line[2 * i]!;
      this.maxSeq[i] = this.maxSeq[2 * i]!;
      this.maxMs[i] = this.maxMs[2 * i]!;
    }
    this.length = kept;
  }

  /** The last row whose column value is <= value (the columns only grow), or -1. */
  lastAtOrBelow(column: Float64Array, value: number): number {
    let lo = 0;
    let hi = this.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (column[mid]! <= value) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  private resize(capacity: number): void {
    const grow = (old: Float64Array) => {
      const next = new Float64Array(capacity);
      next.set(old.subarray(0, this.length));
      return next;
    };
    this.offset = grow(this.offset);
    this.line = grow(this.line);
    this.maxSeq = grow(this.maxSeq);
    this.maxMs = grow(this.maxMs);
  }
}

export interface SeekIndexParts {
  entryEvery: number;
  snapshotEvery: number;
  entries: EntryColumns;
  snapshots: SnapshotRow[];
  carry: ScanCarry;
  tail: RunState;
  timeline?: TimelineData;
}

export function emptyCarry(): ScanCarry {
  return { offset: 0, line: 0, count: 0, lastSeq: 0, lastMs: null, maxSeq: 0, maxMs: null, firstMs: null };
}

const preview = (text: string) => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);

function whyNotAnEvent(text: string): string {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null) return `not an event (a JSON ${value === null ? 'null' : typeof value}): ${preview(text)}`;
    const { seq, ts, type } = value as Record<string, unknown>;
    if (typeof seq === 'number' && typeof ts === 'string' && isEventType(type)) return `not an event (its ${type} body is missing what readers need): ${preview(text)}`;
    return `not an event (no seq, ts or known type): ${preview(text)}`;
  } catch {
    return `not an event (not JSON): ${preview(text)}`;
  }
}

export class SeekIndex {
  entryEvery: number;
  snapshotEvery: number;
  readonly entries: EntryColumns;
  snapshots: SnapshotRow[];
  readonly carry: ScanCarry;
  /** The state after every event read: stateAt(count()). */
  tail: RunState;
  readonly timeline: TimelineCollector;
  /** The last line without its newline, when there is one (recomputed by every pass). */
  torn: ReplayDamage | null = null;
  /** A new pass starts with a keyframe. */
  private readonly encoder = new SnapshotEncoder();
  private keyframe = -1;

  constructor(parts: SeekIndexParts) {
    this.entryEvery = parts.entryEvery;
    this.snapshotEvery = parts.snapshotEvery;
    this.entries = parts.entries;
    this.snapshots = parts.snapshots;
    this.carry = parts.carry;
    this.tail = parts.tail;
    this.timeline = new TimelineCollector(parts.timeline);
  }

  static empty(entryEvery: number, snapshotEvery: number): SeekIndex {
    const entries = new EntryColumns();
    entries.push(0, 0, 0, -Infinity);
    return new SeekIndex({ entryEvery, snapshotEvery, entries, snapshots: [], carry: emptyCarry(), tail: initialRunState() });
  }

  /**
   * Reads the log from where the index stopped up to byte `to`, folding as it
   * goes; a snapshot every snapshotEvery events goes to `blobs`. Returns the
   * number of events added.
   */
  async extend(handle: FileHandle, to: number, blobs: BlobSink, onProgress?: (offset: number, total: number) => void): Promise<number> {
    const c = this.carry;
    const before = c.count;
    let batch: MegatestEvent[] = [];
    const fold = () => {
      if (batch.length > 0) this.tail = foldEvents(this.tail, batch);
      batch = [];
    };
    const damage = (line: number, problem: string, atIndex: number) => {
      this.timeline.addDamage({ file: EVENTS_FILE, line, problem, atIndex }, c.maxMs ?? 0, c.lastSeq);
    };
    const end = await scanLines(
      handle,
      c.offset,
      to,
      (text, _start, lineEnd) => {
        c.line += 1;
        c.offset = lineEnd;
        if (text === null) return void damage(c.line, 'not an event (a line of over 16 MB)', c.count);
        const event = parseEventLine(text);
        if (event === null) {
          const unknown = text.trim() === '' ? null : unknownEventLine(text);
          if (unknown !== null) {
            // A newer megatest's event: listed (logStart.ts counts these apart from damage), its seq taken so the next is no gap.
            damage(c.line, `event type ${unknown.type} unknown to this megatest (written by a newer one?): skipped`, c.count);
            if (c.lastSeq > 0 && unknown.seq !== c.lastSeq + 1) {
              damage(c.line, unknown.seq > c.lastSeq ? `seq jumps from ${c.lastSeq} to ${unknown.seq} (${unknown.seq - c.lastSeq - 1} missing)` : `seq ${unknown.seq} after ${c.lastSeq} (repeated or going back)`, c.count);
            }
            fold();
            this.tail = skipUnknownEvent(this.tail, unknown.seq);
            c.lastSeq = unknown.seq;
            c.maxSeq = Math.max(c.maxSeq, unknown.seq);
            return;
          }
          if (text.trim() !== '') damage(c.line, whyNotAnEvent(text), c.count);
          return;
        }
        const index = c.count;
        const ms = isoTimeMs(event.ts);
        if (c.lastSeq > 0 && event.seq !== c.lastSeq + 1) {
          const problem =
            event.seq > c.lastSeq ? `seq jumps from ${c.lastSeq} to ${event.seq} (${event.seq - c.lastSeq - 1} missing)` : `seq ${event.seq} after ${c.lastSeq} (repeated or going back)`;
          damage(c.line, problem, index);
        }
        if (Number.isNaN(ms)) damage(c.line, `ts ${preview(event.ts)} is not a time`, index);
        else if (c.lastMs !== null && ms < c.lastMs) {
          damage(c.line, `time goes back ${c.lastMs - ms} ms (${event.ts} after ${new Date(c.lastMs).toISOString()})`, index);
        }
        if (!Number.isNaN(ms)) {
          c.lastMs = ms;
          c.firstMs ??= ms;
          c.maxMs = c.maxMs === null ? ms : Math.max(c.maxMs, ms);
        }
        const mark = markOf(event, index, c.maxMs ?? 0);
        if (mark) this.timeline.addMark(mark);
        c.lastSeq = event.seq;
        c.maxSeq = Math.max(c.maxSeq, event.seq);
        c.count += 1;
        batch.push(event);
        if (c.count % this.entryEvery === 0) this.pushEntry();
        if (c.count % this.snapshotEvery === 0) {
          fold();
          const { bytes, keyframe } = this.encoder.encode(this.tail);
          if (keyframe) this.keyframe = c.count;
          this.pushSnapshot(blobs(bytes));
        } else if (batch.length >= FOLD_BATCH) fold();
      },
      { onChunk: onProgress ? (offset) => onProgress(offset, to) : undefined },
    );
    fold();
    this.torn =
      end.tailBytes > 0
        ? {
            file: EVENTS_FILE,
            line: c.line + 1,
            problem: `last line has no newline (${end.tailBytes} bytes): torn by a crash, or still being written`,
            atIndex: c.count,
          }
        : null;
    return c.count - before;
  }

  private pushEntry(): void {
    const c = this.carry;
    this.entries.push(c.offset, c.line, c.maxSeq, c.maxMs ?? -Infinity);
    if (this.entries.length > ENTRY_CAP) {
      this.entries.halve();
      this.entryEvery *= 2;
    }
  }

  private pushSnapshot(blob: BlobRef): void {
    const c = this.carry;
    this.snapshots.push({ cursor: c.count, key: this.keyframe, offset: c.offset, line: c.line, blob });
    if (this.snapshots.length > SNAPSHOT_CAP) this.thinSnapshots();
  }

  /**
   * Past the cap every other group of snapshots goes (a delta cannot be
   * decoded without the snapshots of its group before it): seeks into a
   * dropped group fold from the group before it.
   */
  private thinSnapshots(): void {
    const keyframes = this.snapshots.filter((row) => row.key === row.cursor).map((row) => row.key);
    const dropped = new Set(keyframes.filter((_, i) => i % 2 === 1));
    this.snapshots = this.snapshots.filter((row) => !dropped.has(row.key));
    if (dropped.has(this.keyframe)) this.encoder.reset();
  }

  /** The snapshot at exactly this cursor, or null. */
  snapshotAt(cursor: number): SnapshotRow | null {
    const row = this.snapshotAtOrBefore(cursor);
    return row !== null && row.cursor === cursor ? row : null;
  }

  /** The snapshots of a group from its keyframe up to `row`, in order. */
  groupUpTo(row: SnapshotRow): SnapshotRow[] {
    const rows: SnapshotRow[] = [];
    for (let i = Math.max(0, this.rowAtOrBefore(row.key)); i < this.snapshots.length; i++) {
      const r = this.snapshots[i]!;
      if (r.cursor > row.cursor) break;
      if (r.key === row.key) rows.push(r);
    }
    return rows;
  }

  /** Drops a snapshot whose bytes turned out bad, and the rest of its group (which cannot be decoded without it). */
  dropSnapshot(bad: SnapshotRow): void {
    this.snapshots = this.snapshots.filter((row) => row.key !== bad.key || row.cursor < bad.cursor);
    if (bad.key === this.keyframe) this.encoder.reset();
  }

  /** The snapshot with the largest cursor <= cursor, or null (the empty state at 0). */
  snapshotAtOrBefore(cursor: number): SnapshotRow | null {
    const i = this.rowAtOrBefore(cursor);
    return i < 0 ? null : this.snapshots[i]!;
  }

  private rowAtOrBefore(cursor: number): number {
    let lo = 0;
    let hi = this.snapshots.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.snapshots[mid]!.cursor <= cursor) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Damage as listed: what the pass met, then a torn last line. */
  damage(): ReplayDamage[] {
    const listed = this.timeline.damage();
    if (this.torn) listed.push(this.torn);
    return listed;
  }
}
