// The marks a replay timeline shows (checkpoints, restores, errors,
// recoveries, damage) and the damage list, gathered while the index reads
// the log. Bounded whatever the run: a run with an error storm would
// otherwise keep one mark per error. Each kind keeps at most MAX_MARKS_PER_KIND
// marks, spread evenly over the run: when a kind reaches the cap, every other
// mark of it is dropped and from then on only every 2nd (4th, 8th …) one is
// kept. A timeline a few hundred columns wide cannot show more, and `n`/`e`
// then step through the marks kept. Damage beyond MAX_DAMAGE entries is
// counted, not listed.

import type { MegatestEvent } from '../contract/events.js';
import type { ReplayDamage, TimelineMark, TimelineMarkKind } from './types.js';

export const MAX_MARKS_PER_KIND = 2000;
export const MAX_DAMAGE = 1000;
const MAX_LABEL = 160;

interface KindMarks {
  marks: TimelineMark[];
  /** Keep one mark in `stride`. */
  stride: number;
  /** Marks of this kind met so far (kept or not). */
  seen: number;
}

export interface TimelineData {
  kinds: Partial<Record<TimelineMarkKind, KindMarks>>;
  damage: ReplayDamage[];
  damageNotListed: number;
}

const clip = (text: string) => (text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text);

/** The mark an event makes on the timeline, if any. */
export function markOf(event: MegatestEvent, index: number, atMs: number): TimelineMark | null {
  const at = { index, seq: event.seq, atMs };
  if (event.type === 'checkpoint_created') return { ...at, kind: 'checkpoint', label: `checkpoint ${event.id} (${event.trigger}, ${event.phase})` };
  if (event.type === 'checkpoint_restored') return { ...at, kind: 'restore', label: `restore ${event.id}${event.reason ? ` (${event.reason})` : ''}` };
  if (event.type === 'error') {
    return { ...at, kind: 'error', label: clip(`${event.class} (${event.severity})${event.agent ? ` ${event.agent}` : ''}: ${event.message}`) };
  }
  if (event.type === 'recovery') {
    return { ...at, kind: 'recovery', label: clip(`${event.action} #${event.attempt} ${event.outcome}${event.agent ? ` ${event.agent}` : ''}`) };
  }
  return null;
}

export class TimelineCollector {
  private data: TimelineData;
  private sorted: TimelineMark[] | null = null;

  constructor(data?: TimelineData) {
    this.data = data ?? { kinds: {}, damage: [], damageNotListed: 0 };
  }

  addMark(mark: TimelineMark): void {
    let kind = this.data.kinds[mark.kind];
    if (kind === undefined) {
      kind = { marks: [], stride: 1, seen: 0 };
      this.data.kinds[mark.kind] = kind;
    }
    const keep = kind.seen % kind.stride === 0;
    kind.seen += 1;
    if (!keep) return;
    kind.marks.push(mark);
    this.sorted = null;
    if (kind.marks.length >= MAX_MARKS_PER_KIND) {
      kind.marks = kind.marks.filter((_, i) => i % 2 === 0);
      kind.stride *= 2;
    }
  }

  addDamage(damage: ReplayDamage, atMs: number, seq: number): void {
    if (this.data.damage.length >= MAX_DAMAGE) {
      this.data.damageNotListed += 1;
    } else {
      this.data.damage.push(damage);
    }
    this.addMark({ index: damage.atIndex ?? 0, seq, atMs, kind: 'damage', label: clip(`${damage.file}${damage.line ? `:${damage.line}` : ''} ${damage.problem}`) });
  }

  /** Every kept mark, in log order. */
  marks(): readonly TimelineMark[] {
    if (this.sorted === null) {
      const all: TimelineMark[] = [];
      for (const kind of Object.values(this.data.kinds)) if (kind) all.push(...kind.marks);
      all.sort((a, b) => a.index - b.index || a.seq - b.seq);
      this.sorted = all;
    }
    return this.sorted;
  }

  damage(): ReplayDamage[] {
    const listed = this.data.damage.slice();
    if (this.data.damageNotListed > 0) {
      listed.push({ file: 'events.jsonl', problem: `${this.data.damageNotListed} more damaged places not listed` });
    }
    return listed;
  }

  toJSON(): TimelineData {
    return this.data;
  }
}
