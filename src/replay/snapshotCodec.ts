// A folded RunState as the bytes a seek index keeps. The fold never mutates
// a state it has returned, so a state shares most of its objects with itself
// and with the states before it: every rollback point refers to the phases,
// tasks and measured figures as they were at its checkpoint, and from one
// snapshot to the next most objects (checkpoints, rollback points, alerts,
// phases) are the very same. Written as plain JSON that sharing would cost a
// copy per reference, hundreds of kB per snapshot on a long run.
//
// So snapshots come in groups: a keyframe, then deltas. Every object is
// written once per group, the first time the group meets it; after that it
// is a reference "§<n>" (n counts the group's objects in the order
// JSON.stringify visits them). A delta therefore holds only what changed
// since the snapshot before it, and costs that to encode; decoding one means
// decoding its group in order from the keyframe (the reader keeps decoded
// groups). An array of finite numbers (the chart series) is written as one
// string "§n1,2,3" rather than element by element; and when it is the
// array the group last wrote at the same place in the state with its first
// few numbers dropped and new ones appended (a series one metrics snapshot
// later), as "§s<id>:<dropped>,4,5": without that every delta would carry
// every series in full again, most of its bytes. A string that really starts with § gets a second one. Then the
// text is deflated. Decoding restores the sharing, so a decoded state is as
// cheap to fold on as the original.

import { deflateRawSync, inflateRawSync, constants } from 'node:zlib';
import type { RunState } from '../state/runState.js';

const REF = '\u00a7';
const NUMBERS = `${REF}n`;
const EXTENDS = `${REF}s`;
const KEYFRAME = 0x4b; // 'K'
const DELTA = 0x44; // 'D'
/** Snapshots in a group: a keyframe and its deltas. */
export const GROUP_SIZE = 16;

/** Numbers dropped from the front of the array before that are still looked for (a bounded series loses one per metrics snapshot). */
const MAX_DROPPED = 64;
/** Arrays sharing fewer numbers with the one before them are written in full. */
const MIN_COMMON = 8;

function finiteNumbers(list: unknown[]): list is number[] {
  if (list.length < 8) return false;
  for (const x of list) if (typeof x !== 'number' || !Number.isFinite(x)) return false;
  return true;
}

interface Extension {
  /** The earlier array's id, how many of its first numbers are gone, how many of the rest the new array starts with. */
  id: number;
  dropped: number;
  common: number;
}

/** The numbers array a group last wrote at each place in the state ("/agents/2/series/tokens"): what the next one there may extend. */
class NumberArrays {
  private readonly byPlace = new Map<string, { list: number[]; id: number }>();

  /** How `list` extends the array last written at `place`: the fewest of its numbers dropped; null when it does not by MIN_COMMON. */
  extending(place: string, list: number[]): Extension | null {
    const earlier = this.byPlace.get(place);
    if (earlier === undefined) return null;
    const before = earlier.list;
    for (let dropped = 0; dropped <= MAX_DROPPED && before.length - dropped >= MIN_COMMON; dropped++) {
      const common = before.length - dropped;
      if (before[dropped] !== list[0] || common > list.length) continue;
      let k = 1;
      while (k < common && list[k] === before[k + dropped]) k++;
      if (k === common) return { id: earlier.id, dropped, common };
    }
    return null;
  }

  set(place: string, list: number[], id: number): void {
    this.byPlace.set(place, { list, id });
  }
}

/** What a group has written so far: every object by identity (its id), and the numbers arrays by place. */
interface GroupTables {
  ids: Map<object, number>;
  numbers: NumberArrays;
}

const newTables = (): GroupTables => ({ ids: new Map(), numbers: new NumberArrays() });

/** Encodes `state`; objects already in the group's tables are written as references, new ones join them. */
function encode(state: RunState, kind: number, { ids, numbers }: GroupTables): Buffer {
  // Where each object written in this snapshot sits, for the numbers arrays below it.
  const places = new Map<object, string>();
  const json = JSON.stringify(state, function (this: object, key: string, value: unknown) {
    if (typeof value === 'string') return value.startsWith(REF) ? REF + value : value;
    if (typeof value !== 'object' || value === null) return value;
    const seen = ids.get(value);
    if (seen !== undefined) return REF + seen;
    const id = ids.size;
    ids.set(value, id);
    const place = `${places.get(this) ?? ''}/${key}`;
    if (!Array.isArray(value) || !finiteNumbers(value)) {
      places.set(value, place);
      return value;
    }
    const base = numbers.extending(place, value);
    numbers.set(place, value, id);
    if (base === null) return NUMBERS + value.join(',');
    const added = value.length > base.common ? `,${value.slice(base.common).join(',')}` : '';
    return `${EXTENDS}${base.id}:${base.dropped}${added}`;
  });
  // Level 1: the repeated keys and references compress well at the fastest level.
  const body = deflateRawSync(Buffer.from(json), { level: constants.Z_BEST_SPEED });
  const bytes = Buffer.allocUnsafe(body.length + 1);
  bytes[0] = kind;
  body.copy(bytes, 1);
  return bytes;
}

/** A self-contained snapshot (a group of one). */
export function encodeState(state: RunState): Buffer {
  return encode(state, KEYFRAME, newTables());
}

/** Encodes a series of snapshots in groups of `groupSize`: a keyframe, then deltas on the snapshots before them. */
export class SnapshotEncoder {
  private tables: GroupTables | null = null;
  private inGroup = 0;

  constructor(private readonly groupSize = GROUP_SIZE) {}

  encode(state: RunState): { bytes: Buffer; keyframe: boolean } {
    const keyframe = this.tables === null || this.inGroup >= this.groupSize;
    if (keyframe) {
      this.tables = newTables();
      this.inGroup = 0;
    }
    this.inGroup += 1;
    return { bytes: encode(state, keyframe ? KEYFRAME : DELTA, this.tables!), keyframe };
  }

  /** The next snapshot is a keyframe (the group so far was dropped). */
  reset(): void {
    this.tables = null;
  }
}

/** Decodes one group's snapshots, in order from its keyframe. */
export class GroupDecoder {
  private readonly table: unknown[] = [];
  private decoded = 0;

  /** Snapshots of the group decoded so far. */
  get count(): number {
    return this.decoded;
  }

  next(bytes: Buffer): RunState {
    const kind = bytes[0];
    if (kind !== KEYFRAME && kind !== DELTA) throw new Error('not a snapshot (unknown kind)');
    if ((kind === KEYFRAME) !== (this.decoded === 0)) throw new Error(kind === KEYFRAME ? 'a keyframe in the middle of a group' : 'a delta snapshot needs the snapshots before it');
    const root = JSON.parse(inflateRawSync(bytes.subarray(1)).toString('utf8')) as unknown;
    const table = this.table;
    // Visit in JSON.stringify's order (pre-order, keys in their own order) so
    // ids match; an object id is taken before its children are visited.
    const visit = (value: unknown): unknown => {
      if (typeof value === 'string') {
        if (!value.startsWith(REF)) return value;
        if (value.startsWith(REF + REF)) return value.slice(1);
        if (value.startsWith(NUMBERS)) {
          const list = value.slice(NUMBERS.length).split(',').map(Number);
          table.push(list);
          return list;
        }
        if (value.startsWith(EXTENDS)) {
          const list = extended(table, value.slice(EXTENDS.length));
          table.push(list);
          return list;
        }
        const target = table[Number(value.slice(REF.length))];
        if (target === undefined) throw new Error(`snapshot refers to object ${value.slice(1)}, which it does not have`);
        return target;
      }
      if (typeof value !== 'object' || value === null) return value;
      table.push(value);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) value[i] = visit(value[i]);
      } else {
        const record = value as Record<string, unknown>;
        for (const key of Object.keys(record)) record[key] = visit(record[key]);
      }
      return value;
    };
    const state = visit(root);
    if (typeof state !== 'object' || state === null || !('counters' in state) || !('agents' in state)) throw new Error('snapshot is not a run state');
    this.decoded += 1;
    return state as RunState;
  }
}

/** "<id>:<dropped>,4,5": the numbers array `id` without its first `dropped`, then 4 and 5. */
function extended(table: readonly unknown[], text: string): number[] {
  const [from, ...added] = text.split(',');
  const [id, dropped] = from!.split(':').map(Number);
  const earlier = table[id!];
  if (!Array.isArray(earlier) || !Number.isInteger(dropped) || dropped! < 0) throw new Error(`snapshot extends numbers ${from}, which it does not have`);
  const list = earlier.slice(dropped) as number[];
  for (const item of added) list.push(Number(item));
  return list;
}

/** Decodes a self-contained snapshot. */
export function decodeState(bytes: Buffer): RunState {
  return new GroupDecoder().next(bytes);
}
