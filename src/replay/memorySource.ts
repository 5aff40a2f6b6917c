// A ReplaySource over events held in memory: a legacy run folder converted
// on the fly (those runs are small: minutes of metrics files, not a million
// events), or a run whose events.jsonl cannot be read (nothing but its
// damage and its log to show). The same answers as the file source: cursors
// are prefixes, times and seqs their running maxima.

import type { MegatestEvent } from '../contract/events.js';
import { foldEvents } from '../state/fold.js';
import { initialRunState, type RunState } from '../state/runState.js';
import { lineTimeMs } from './logIndex.js';
import { markOf, TimelineCollector } from './timeline.js';
import type { ReplayDamage, ReplaySource, TimelineMark } from './types.js';
import type { OpenedReplaySource, ReplayStats } from './source.js';
import { isoTimeMs } from './isoTime.js';

const SNAPSHOT_EVERY = 1000;

/** The largest c with prefix[c] <= value (prefix is non-decreasing, prefix[0] = -Infinity). */
function lastAtOrBelow(prefix: Float64Array, value: number): number {
  let lo = 0;
  let hi = prefix.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (prefix[mid]! <= value) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function memoryReplaySource(
  runDir: string,
  events: readonly MegatestEvent[],
  logLines: readonly string[],
  damage: readonly ReplayDamage[],
  legacy: boolean,
): OpenedReplaySource {
  const count = events.length;
  const maxSeq = new Float64Array(count + 1);
  const maxMs = new Float64Array(count + 1);
  maxSeq[0] = -Infinity;
  maxMs[0] = -Infinity;
  const timeline = new TimelineCollector();
  const snapshots: RunState[] = [initialRunState()];
  let state = initialRunState();
  let firstMs = 0;
  for (let i = 0; i < count; i++) {
    const event = events[i]!;
    const ms = isoTimeMs(event.ts);
    if (firstMs === 0 && !Number.isNaN(ms)) firstMs = ms;
    maxSeq[i + 1] = Math.max(maxSeq[i]!, event.seq);
    maxMs[i + 1] = Number.isNaN(ms) ? maxMs[i]! : Math.max(maxMs[i]!, ms);
    const mark = markOf(event, i, Number.isFinite(maxMs[i + 1]!) ? maxMs[i + 1]! : 0);
    if (mark) timeline.addMark(mark);
    if ((i + 1) % SNAPSHOT_EVERY === 0) {
      state = foldEvents(state, events.slice(i + 1 - SNAPSHOT_EVERY, i + 1));
      snapshots.push(state);
    }
  }
  const tail = foldEvents(state, events.slice(Math.floor(count / SNAPSHOT_EVERY) * SNAPSHOT_EVERY));
  // Damage sits before the event at atIndex: marked where the file source marks it, at the latest time (and seq) before
  // that event (the first event's time for damage before it, or none given), not at time 0 (the timeline's first column).
  for (const d of damage) {
    const at = Math.max(0, Math.min(count, d.atIndex ?? 0));
    timeline.addDamage(d, Number.isFinite(maxMs[at]!) ? maxMs[at]! : firstMs, Number.isFinite(maxSeq[at]!) ? maxSeq[at]! : 0);
  }
  // Log lines take the running maximum of the times before them; untimed lines at the start show at every time.
  const logMax = new Float64Array(logLines.length + 1);
  logMax[0] = -Infinity;
  logLines.forEach((line, i) => {
    const ms = lineTimeMs(line);
    logMax[i + 1] = Number.isNaN(ms) ? logMax[i]! : Math.max(logMax[i]!, ms);
  });
  const clamp = (cursor: number) => (Number.isFinite(cursor) ? Math.max(0, Math.min(count, Math.floor(cursor))) : cursor > 0 ? count : 0);
  const endMs = count > 0 && Number.isFinite(maxMs[count]!) ? maxMs[count]! : 0;

  const source: OpenedReplaySource & ReplaySource = {
    runDir,
    legacy,
    index: null,
    count: () => count,
    startMs: () => firstMs,
    endMs: () => endMs,
    marks: (): readonly TimelineMark[] => timeline.marks(),
    damage: () => damage,
    async stateAt(cursor) {
      const c = clamp(cursor);
      if (c === count) return tail;
      const k = Math.floor(c / SNAPSHOT_EVERY);
      return foldEvents(snapshots[k]!, events.slice(k * SNAPSHOT_EVERY, c));
    },
    async foldForward(state, from, to) {
      return foldEvents(state, events.slice(clamp(from), clamp(to)));
    },
    async eventAt(index) {
      return Number.isInteger(index) ? events[index] : undefined;
    },
    async cursorOfSeq(seq) {
      return Number.isNaN(seq) ? 0 : lastAtOrBelow(maxSeq, seq);
    },
    async cursorAtMs(ms) {
      return Number.isNaN(ms) ? 0 : lastAtOrBelow(maxMs, ms);
    },
    async timeAt(cursor) {
      const c = clamp(cursor);
      return Number.isFinite(maxMs[c]!) ? maxMs[c]! : firstMs;
    },
    async logLinesAt(ms, n) {
      if (n <= 0) return [];
      const cut = lastAtOrBelow(logMax, ms);
      return logLines.slice(Math.max(0, cut - n), cut);
    },
    async refresh() {
      // Converted once: a legacy runner writes no more.
    },
    async close() {},
    stats: (): ReplayStats => ({ decodedSnapshots: snapshots.length, cachedBlocks: 0, snapshots: snapshots.length, entryRows: 0, snapshotEvery: SNAPSHOT_EVERY, entryEvery: 0 }),
  };
  return source;
}
