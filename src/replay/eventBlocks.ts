// Events read back from the log by position, a block of `entryEvery` events
// at a time from the offset the seek index recorded for it. A few blocks
// stay decoded (LRU) so that stepping, playing and folding forward from a
// snapshot read each stretch of the file once.
//
// A line of an event type this build does not know (a newer megatest's) is
// no event here, as it is none in the index; but the index took its seq
// (skipUnknownEvent), so its snapshots and its tail count no seq gap after
// it. The block keeps such seqs beside the event they sit before, and
// foldRange takes them the same way, so a state folded from a snapshot or
// stepped to agrees with the index's at every cursor.

import type { FileHandle } from 'node:fs/promises';
import { parseEventLine, unknownEventLine, type MegatestEvent } from '../contract/events.js';
import { foldEvents } from '../state/fold.js';
import { skipUnknownEvent } from '../state/reduce.js';
import type { RunState } from '../state/runState.js';
import { scanLines } from './lineScan.js';
import { Lru } from './lru.js';
import type { SeekIndex } from './seekIndex.js';
import { isoTimeMs } from './isoTime.js';

export interface EventBlock {
  events: MegatestEvent[];
  /** Each event's time in ms (NaN where ts is not a time). */
  ms: number[];
  /** Seqs of unknown-type lines, by the block position of the event they sit before (absent when none). */
  unknownBefore?: Map<number, number[]>;
}

export class EventBlocks {
  private readonly cache = new Lru<number, EventBlock>(4);
  private index: SeekIndex | null = null;
  private entryEvery = 0;
  /** Set when the file no longer holds what the index says (it changed while open). */
  shortRead: string | null = null;

  constructor(private readonly handle: FileHandle) {}

  get cachedBlocks(): number {
    return this.cache.size;
  }

  /** The block holding event `index` (0-based). */
  async blockOf(index: SeekIndex, cursor: number): Promise<{ block: EventBlock; first: number }> {
    this.follow(index);
    const b = Math.floor(cursor / index.entryEvery);
    const blocks = await this.ensure(index, b, b);
    return { block: blocks.get(b) ?? { events: [], ms: [] }, first: b * index.entryEvery };
  }

  /**
   * `state` with events [from, to) folded onto it, each unknown-type line
   * among them taken as the index took it (its seq only, before the event it
   * sits before).
   */
  async foldRange<S extends RunState>(index: SeekIndex, state: S, from: number, to: number): Promise<S> {
    if (to <= from) return state;
    this.follow(index);
    const every = index.entryEvery;
    const b0 = Math.floor(from / every);
    const b1 = Math.floor((to - 1) / every);
    const blocks = await this.ensure(index, b0, b1);
    let folded = state;
    let batch: MegatestEvent[] = [];
    for (let b = b0; b <= b1; b++) {
      const block = blocks.get(b);
      if (!block) continue;
      const first = b * every;
      const stop = Math.min(block.events.length, to - first);
      for (let j = Math.max(0, from - first); j < stop; j++) {
        const skipped = block.unknownBefore?.get(j);
        if (skipped) {
          folded = foldEvents(folded, batch);
          batch = [];
          for (const seq of skipped) folded = skipUnknownEvent(folded, seq) as S;
        }
        batch.push(block.events[j]!);
      }
    }
    return foldEvents(folded, batch);
  }

  clear(): void {
    this.cache.clear();
  }

  /** A rebuilt index, or one whose rows doubled their stride, makes the blocks held meaningless. */
  private follow(index: SeekIndex): void {
    if (index !== this.index || index.entryEvery !== this.entryEvery) {
      this.cache.clear();
      this.index = index;
      this.entryEvery = index.entryEvery;
    }
    this.cache.capacity = Math.max(4, Math.ceil(index.snapshotEvery / index.entryEvery) + 2);
  }

  private expected(index: SeekIndex, b: number): number {
    return Math.max(0, Math.min(index.entryEvery, index.carry.count - b * index.entryEvery));
  }

  /** Blocks b0..b1: those held, and the rest loaded, each run of missing ones in one read. */
  private async ensure(index: SeekIndex, b0: number, b1: number): Promise<Map<number, EventBlock>> {
    const blocks = new Map<number, EventBlock>();
    const held = (b: number) => {
      const block = this.cache.get(b);
      return block && block.events.length === this.expected(index, b) ? block : undefined;
    };
    let b = b0;
    while (b <= b1) {
      const block = held(b);
      if (block) {
        blocks.set(b, block);
        b += 1;
        continue;
      }
      let end = b;
      while (end < b1 && !held(end + 1)) end += 1;
      await this.load(index, b, end, blocks);
      b = end + 1;
    }
    return blocks;
  }

  private async load(index: SeekIndex, b0: number, b1: number, into: Map<number, EventBlock>): Promise<void> {
    const every = index.entryEvery;
    const stop = Math.min((b1 + 1) * every, index.carry.count);
    let cursor = b0 * every;
    if (cursor >= stop) return;
    let b = b0;
    let current: EventBlock = { events: [], ms: [] };
    let unknownSeqs: number[] = [];
    await scanLines(
      this.handle,
      index.entries.offset[b0]!,
      index.carry.offset,
      (text) => {
        const event = text === null ? null : parseEventLine(text);
        if (event === null) {
          const unknown = text === null || text.trim() === '' ? null : unknownEventLine(text);
          if (unknown !== null) unknownSeqs.push(unknown.seq);
          return true;
        }
        if (unknownSeqs.length > 0) {
          (current.unknownBefore ??= new Map()).set(current.events.length, unknownSeqs);
          unknownSeqs = [];
        }
        current.events.push(event);
        current.ms.push(isoTimeMs(event.ts));
        cursor += 1;
        if (cursor % every === 0 || cursor === stop) {
          this.cache.set(b, current);
          into.set(b, current);
          b += 1;
          current = { events: [], ms: [] };
        }
        return cursor < stop;
      },
      { chunkBytes: 256 * 1024 },
    );
    if (cursor < stop) {
      if (current.events.length > 0) into.set(b, current);
      this.shortRead = `events.jsonl holds fewer events than indexed (changed while open: ${cursor} of ${stop} read)`;
    }
  }
}
