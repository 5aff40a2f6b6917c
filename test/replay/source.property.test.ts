// Seeking is folding (issue 10 §2): the state at any cursor, reached from
// the nearest snapshot through the seek index, in any order of seeks, on a
// first open or from the kept events.idx, equals foldAll over the events
// before that cursor. So do eventAt, cursorOfSeq and cursorAtMs against
// naive readings of the same list. Checked on the recorded logs and on
// random synthetic ones (seq gaps and repeats, times going back, restores).

import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { MegatestEvent } from '../../src/contract/events.js';
import { openReplaySource } from '../../src/replay/source.js';
import { foldAll } from '../../src/state/fold.js';
import type { RunState } from '../../src/state/runState.js';
import { eventsOf, fixtureLines, linesText, logArb, naivePrefixCursor, removeTempDirs, runDirWith } from './runDirs.js';

afterAll(removeTempDirs);

const prefixStates = (events: readonly MegatestEvent[]): RunState[] => events.map((_, c) => foldAll(events.slice(0, c))).concat([foldAll(events)]);

describe.each(['restore_session.jsonl', 'sim_session.jsonl'] as const)('replay of %s', (file) => {
  const lines = fixtureLines(file);
  const events = eventsOf(lines);
  const expected = prefixStates(events);
  const dir = runDirWith(linesText(lines));

  it('every cursor, in order, then from the kept index: the fold of the events before it', async () => {
    const first = await openReplaySource(dir, { snapshotEvery: 16, entryEvery: 5 });
    expect(first.index?.opened).toBe('built');
    expect(first.count()).toBe(events.length);
    for (let c = 0; c <= events.length; c++) expect(await first.stateAt(c)).toStrictEqual(expected[c]);
    await first.close();
    const second = await openReplaySource(dir, { snapshotEvery: 16, entryEvery: 5 });
    expect(second.index?.opened).toBe('loaded');
    expect(second.index?.eventsRead).toBe(0);
    for (let c = events.length; c >= 0; c--) expect(await second.stateAt(c)).toStrictEqual(expected[c]);
    await second.close();
  });

  it('seeks in any order (jumps, steps back and forth) give the same states', async () => {
    const source = await openReplaySource(dir, { snapshotEvery: 16, entryEvery: 5 });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.nat(events.length), fc.integer({ min: -3, max: 3 })), { minLength: 1, maxLength: 30 }), async (moves) => {
        let cursor = 0;
        for (const move of moves) {
          // Naturals jump; small integers step from where the last seek left off.
          cursor = move > 3 ? move : Math.max(0, Math.min(events.length, cursor + move));
          expect(await source.stateAt(cursor)).toStrictEqual(expected[cursor]);
        }
      }),
      { numRuns: 60 },
    );
    await source.close();
  });

  it('eventAt, cursorOfSeq, cursorAtMs and timeAt agree with the list', async () => {
    const source = await openReplaySource(dir, { snapshotEvery: 16, entryEvery: 5 });
    const seqs = events.map((e) => e.seq);
    const times = events.map((e) => Date.parse(e.ts));
    for (let i = 0; i < events.length; i++) expect(await source.eventAt(i)).toStrictEqual(events[i]);
    expect(await source.eventAt(events.length)).toBeUndefined();
    expect(await source.eventAt(-1)).toBeUndefined();
    for (const seq of [0, ...seqs, seqs[seqs.length - 1]! + 5]) expect(await source.cursorOfSeq(seq)).toBe(naivePrefixCursor(seqs, seq));
    for (const ms of [times[0]! - 1, ...times, ...times.map((t) => t + 1), Math.max(...times) + 1]) expect(await source.cursorAtMs(ms)).toBe(naivePrefixCursor(times, ms));
    expect(source.startMs()).toBe(times[0]);
    expect(source.endMs()).toBe(Math.max(...times));
    expect(await source.timeAt(events.length)).toBe(Math.max(...times));
    expect(await source.timeAt(1)).toBe(times[0]);
    await source.close();
  });
});

describe('replay of random synthetic logs', () => {
  it('any cursor, any snapshot and row interval: the fold of the prefix; seq and time cursors are prefixes', async () => {
    await fc.assert(
      fc.asyncProperty(logArb(250), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 12 }), fc.array(fc.nat(), { maxLength: 25 }), async (events, snapshotEvery, entryEvery, picks) => {
        const dir = runDirWith(linesText(events.map((e) => JSON.stringify(e))));
        const source = await openReplaySource(dir, { snapshotEvery, entryEvery });
        expect(source.count()).toBe(events.length);
        for (const pick of [...picks, events.length, 0]) {
          const cursor = pick % (events.length + 1);
          expect(await source.stateAt(cursor)).toStrictEqual(foldAll(events.slice(0, cursor)));
          const seq = events[pick % events.length]!.seq;
          expect(await source.cursorOfSeq(seq)).toBe(naivePrefixCursor(events.map((e) => e.seq), seq));
          const ms = Date.parse(events[pick % events.length]!.ts);
          expect(await source.cursorAtMs(ms)).toBe(naivePrefixCursor(events.map((e) => Date.parse(e.ts)), ms));
        }
        await source.close();
        // The kept index answers the same.
        const again = await openReplaySource(dir, { snapshotEvery, entryEvery });
        expect(again.index?.opened).toBe('loaded');
        const cursor = (picks[0] ?? 0) % (events.length + 1);
        expect(await again.stateAt(cursor)).toStrictEqual(foldAll(events.slice(0, cursor)));
        await again.close();
      }),
      { numRuns: 40 },
    );
  });
});
