// The header records of events.idx (indexFile.ts has the layout). A commit
// appends one record; a record is whole (prev null) or says only what
// changed since the record before it, so a refresh of a long run writes
// what the log gained, not every row again: each list is "keep the first
// `from` items of the record before, then these". A list that changed in
// any other way (rows thinned past a cap, a snapshot dropped, the index
// rebuilt) is simply written whole (from 0).

import type { FileKey, IndexHeader, BlobPlace } from './indexFile.js';
import type { LogIndex } from './logIndex.js';
import type { RunState } from '../state/runState.js';
import { EntryColumns, SeekIndex, type ScanCarry, type SnapshotRow } from './seekIndex.js';
import type { ReplayDamage, TimelineMark, TimelineMarkKind } from './types.js';

type Row = IndexHeader['snapshots'][number];
interface Tail<T> {
  from: number;
  add: T[];
}

export interface IndexRecord {
  version: number;
  /** The record before this one ([offset, length, crc32]); null when this one is whole. */
  prev: BlobPlace | null;
  /** crc32 of every byte of the file from the first blob up to this record. */
  crc: number;
  askedSnapshotEvery: number;
  askedEntryEvery: number;
  entryEvery: number;
  snapshotEvery: number;
  events: FileKey;
  carry: ScanCarry;
  tail: BlobPlace;
  entries: { from: number; offset: number[]; line: number[]; maxSeq: number[]; maxMs: (number | null)[] };
  snapshots: Tail<Row>;
  timeline: { kinds: Partial<Record<TimelineMarkKind, { stride: number; seen: number } & Tail<TimelineMark>>>; damage: Tail<ReplayDamage>; damageNotListed: number };
  log: { key: FileKey; end: number; every: number; from: number; offsets: number[]; maxMs: number[] } | null;
}

const bad = (what: string) => new Error(`inconsistent header record (${what})`);

function extend<T>(before: T[] | undefined, tail: Tail<T> | undefined, what: string): T[] {
  if (!tail || !Array.isArray(tail.add) || !Number.isInteger(tail.from) || tail.from < 0 || tail.from > (before?.length ?? 0)) throw bad(what);
  return (before ?? []).slice(0, tail.from).concat(tail.add);
}

/** The header a record gives, on top of the header of the records before it (null before a whole record). */
export function applyRecord(before: IndexHeader | null, r: IndexRecord, end: number, crc: number): IndexHeader {
  const e = r.entries;
  const entriesBefore = before?.entries;
  const kinds: IndexHeader['timeline']['kinds'] = {};
  for (const [kind, k] of Object.entries(r.timeline?.kinds ?? {}) as [TimelineMarkKind, IndexRecord['timeline']['kinds'][TimelineMarkKind]][]) {
    kinds[kind] = { stride: k!.stride, seen: k!.seen, marks: extend(before?.timeline.kinds[kind]?.marks, k, 'marks') };
  }
  const log = r.log && { key: r.log.key, data: { end: r.log.end, every: r.log.every, offsets: extend(before?.log?.data.offsets, { from: r.log.from, add: r.log.offsets }, 'log'), maxMs: extend(before?.log?.data.maxMs, { from: r.log.from, add: r.log.maxMs }, 'log') } };
  return {
    version: r.version,
    askedSnapshotEvery: r.askedSnapshotEvery,
    askedEntryEvery: r.askedEntryEvery,
    entryEvery: r.entryEvery,
    snapshotEvery: r.snapshotEvery,
    events: r.events,
    carry: r.carry,
    entries: {
      offset: extend(entriesBefore?.offset, { from: e?.from, add: e?.offset }, 'entries'),
      line: extend(entriesBefore?.line, { from: e?.from, add: e?.line }, 'entries'),
      maxSeq: extend(entriesBefore?.maxSeq, { from: e?.from, add: e?.maxSeq }, 'entries'),
      maxMs: extend(entriesBefore?.maxMs, { from: e?.from, add: e?.maxMs }, 'entries'),
    },
    snapshots: extend(before?.snapshots, r.snapshots, 'snapshots'),
    tail: r.tail,
    timeline: { kinds, damage: extend(before?.timeline.damage, r.timeline?.damage, 'damage'), damageNotListed: r.timeline?.damageNotListed },
    log,
    blobArea: { end, crc },
  };
}

export interface RecordParts {
  askedSnapshotEvery: number;
  askedEntryEvery: number;
  index: SeekIndex;
  events: FileKey;
  tail: BlobPlace;
  log: { key: FileKey; index: LogIndex } | null;
}

/** What the records written so far describe: enough to tell, per list, whether it only grew since. */
export class RecordShape {
  private entries: { of: object; every: number; length: number } | null = null;
  private snapshots: { of: SnapshotRow[]; length: number } | null = null;
  private marks = new Map<TimelineMarkKind, { of: TimelineMark[]; length: number }>();
  private damage: { of: ReplayDamage[]; length: number } | null = null;
  private log: { of: number[]; every: number; length: number } | null = null;

  /** The record of `parts`: whole when `whole`, else only what grew since the last record noted. */
  record(parts: RecordParts, prev: BlobPlace | null, crc: number): IndexRecord {
    const { index } = parts;
    const whole = prev === null;
    const from = <T>(held: { of: T; length: number } | null | undefined, of: T, length: number) => (whole || held?.of !== of || held.length > length ? 0 : held.length);
    const e = index.entries;
    const entriesFrom = this.entries?.every === index.entryEvery ? from(this.entries, e, e.length) : 0;
    const column = (c: Float64Array) => Array.from(c.subarray(entriesFrom, e.length));
    const timeline = index.timeline.toJSON();
    const kinds: IndexRecord['timeline']['kinds'] = {};
    for (const [kind, k] of Object.entries(timeline.kinds) as [TimelineMarkKind, NonNullable<(typeof timeline.kinds)[TimelineMarkKind]>][]) {
      const f = from(this.marks.get(kind), k.marks, k.marks.length);
      kinds[kind] = { stride: k.stride, seen: k.seen, from: f, add: k.marks.slice(f) };
    }
    const snapshotsFrom = from(this.snapshots, index.snapshots, index.snapshots.length);
    const damageFrom = from(this.damage, timeline.damage, timeline.damage.length);
    let log: IndexRecord['log'] = null;
    if (parts.log) {
      const l = parts.log.index;
      const f = this.log?.every === l.every ? from(this.log, l.offsets, l.offsets.length) : 0;
      log = { key: parts.log.key, end: l.end, every: l.every, from: f, offsets: l.offsets.slice(f), maxMs: l.maxMs.slice(f) };
    }
    return {
      version: 0,
      prev,
      crc,
      askedSnapshotEvery: parts.askedSnapshotEvery,
      askedEntryEvery: parts.askedEntryEvery,
      entryEvery: index.entryEvery,
      snapshotEvery: index.snapshotEvery,
      events: parts.events,
      carry: { ...index.carry },
      tail: parts.tail,
      entries: { from: entriesFrom, offset: column(e.offset), line: column(e.line), maxSeq: column(e.maxSeq), maxMs: column(e.maxMs).map((ms) => (ms === -Infinity ? null : ms)) },
      snapshots: { from: snapshotsFrom, add: index.snapshots.slice(snapshotsFrom).map((row) => [row.cursor, row.key, row.offset, row.line, row.blob.off, row.blob.len, row.blob.crc]) },
      timeline: { kinds, damage: { from: damageFrom, add: timeline.damage.slice(damageFrom) }, damageNotListed: timeline.damageNotListed },
      log,
    };
  }

  /** The record of `parts` is committed: later records say what grew since it. */
  noteCommitted(parts: RecordParts): void {
    const { index } = parts;
    this.entries = { of: index.entries, every: index.entryEvery, length: index.entries.length };
    this.snapshots = { of: index.snapshots, length: index.snapshots.length };
    const timeline = index.timeline.toJSON();
    this.marks.clear();
    for (const [kind, k] of Object.entries(timeline.kinds) as [TimelineMarkKind, { marks: TimelineMark[] }][]) this.marks.set(kind, { of: k.marks, length: k.marks.length });
    this.damage = { of: timeline.damage, length: timeline.damage.length };
    this.log = parts.log ? { of: parts.log.index.offsets, every: parts.log.index.every, length: parts.log.index.offsets.length } : null;
  }
}

/** The seek index a header describes, its end state `tail`. */
export function indexFromHeader(h: IndexHeader, tail: RunState): SeekIndex {
  const entries = new EntryColumns(Math.max(1024, h.entries.offset.length));
  for (let i = 0; i < h.entries.offset.length; i++) {
    entries.push(h.entries.offset[i]!, h.entries.line[i]!, h.entries.maxSeq[i]!, h.entries.maxMs[i] ?? -Infinity);
  }
  const snapshots: SnapshotRow[] = h.snapshots.map(([cursor, key, offset, line, off, len, crc]) => ({ cursor, key, offset, line, blob: { off, len, crc } }));
  return new SeekIndex({ entryEvery: h.entryEvery, snapshotEvery: h.snapshotEvery, entries, snapshots, carry: h.carry, tail, timeline: h.timeline });
}
