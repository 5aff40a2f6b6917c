// The replay controller over the real file source, moved by any sequence of
// keys (steps, minutes, marks, start/end, seeks), holds at every stop the fold
// of the events before its cursor: the same state however it got there (a
// step folds forward itself, a jump asks the source). The log has lines of an
// unknown event type in it, which take their seq only (no seq gap past them).

import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseEventLine, unknownEventLine } from '../../../src/contract/events.js';
import { openReplaySource } from '../../../src/replay/source.js';
import { foldEvents } from '../../../src/state/fold.js';
import { skipUnknownEvent } from '../../../src/state/reduce.js';
import { initialRunState, type RunState } from '../../../src/state/runState.js';
import { ReplayController } from '../../../src/ui/replay/controller.js';
import { fixtureLines, linesText, removeTempDirs, runDirWith } from '../../replay/runDirs.js';

afterAll(removeTempDirs);

/** restore_session.jsonl with a line of an unknown type after every 37th line (seqs renumbered so none is a gap). */
function linesWithUnknown(): string[] {
  const out: string[] = [];
  let seq = 0;
  for (const [i, line] of fixtureLines('restore_session.jsonl').entries()) {
    const value = JSON.parse(line) as { seq: number; ts: string };
    value.seq = ++seq;
    out.push(JSON.stringify(value));
    if (i % 37 === 36) out.push(JSON.stringify({ seq: ++seq, ts: value.ts, type: 'agent_dreamed', agent: 'agent-2' }));
  }
  return out;
}

/** The state after each cursor, folded here line by line: an event folds, an unknown line gives its seq before the next event. */
function prefixStates(lines: readonly string[]): RunState[] {
  const states: RunState[] = [initialRunState()];
  let state = initialRunState();
  for (const line of lines) {
    const event = parseEventLine(line);
    if (event !== null) {
      state = foldEvents(state, [event]);
      states.push(state);
    } else {
      const unknown = unknownEventLine(line);
      if (unknown !== null) state = skipUnknownEvent(state, unknown.seq);
    }
  }
  // The end holds what follows the last event too.
  states[states.length - 1] = state;
  return states;
}

type Move = 'right' | 'left' | 'minute' | 'minuteBack' | 'n' | 'N' | 'e' | 'E' | 'g' | 'G' | { seq: number };

describe('replay controller over a log with unknown-type lines', () => {
  const lines = linesWithUnknown();
  const expected = prefixStates(lines);
  const dir = runDirWith(linesText(lines));

  it('any sequence of moves stops at the fold of the events before the cursor', async () => {
    const source = await openReplaySource(dir, { snapshotEvery: 16, entryEvery: 4 });
    expect(source.count()).toBe(expected.length - 1);
    const lastSeq = expected[expected.length - 1]!.lastSeq;
    const move: fc.Arbitrary<Move> = fc.oneof(
      fc.constantFrom<Move>('right', 'right', 'right', 'left', 'left', 'minute', 'minuteBack', 'n', 'N', 'e', 'E', 'g', 'G'),
      fc.integer({ min: 0, max: lastSeq + 2 }).map((seq) => ({ seq })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(move, { minLength: 1, maxLength: 25 }), async (moves) => {
        const controller = await ReplayController.open(source, { follow: false });
        try {
          for (const m of moves) {
            if (typeof m === 'object') await controller.goTo({ kind: 'seq', seq: m.seq });
            else {
              const keys = { right: 'stepForward', left: 'stepBack', minute: 'minuteForward', minuteBack: 'minuteBack', n: 'nextCheckpoint', N: 'previousCheckpoint', e: 'nextError', E: 'previousError', g: 'toStart', G: 'toEnd' } as const;
              controller[keys[m]]();
              await controller.idle();
            }
            const { cursor } = controller.position.getState();
            const state = controller.runState();
            expect({ cursor, seqGaps: state.seqGaps, lastSeq: state.lastSeq }).toEqual({ cursor, seqGaps: expected[cursor]!.seqGaps, lastSeq: expected[cursor]!.lastSeq });
            expect(state).toStrictEqual(expected[cursor]);
          }
        } finally {
          controller.close();
        }
      }),
      { numRuns: 80 },
    );
    await source.close();
  });
});
