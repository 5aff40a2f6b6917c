// A well-formed event of a type this build does not know (a newer megatest's)
// is skipped and listed apart; it is no seq gap at any cursor, not only at the
// log's end. The expected gap counts are counted here off the lines.

import { afterEach, describe, expect, it } from 'vitest';
import { openReplaySource } from '../../src/replay/source.js';
import { foldEvents } from '../../src/state/fold.js';
import { initialRunState } from '../../src/state/runState.js';
import { ReplayController } from '../../src/ui/replay/controller.js';
import { eventsOf, fixtureLines, linesText, removeTempDirs, runDirWith } from './runDirs.js';

afterEach(removeTempDirs);

/** sim_session.jsonl with one line of an unknown type put in after line `at`, taking seq at+1; later seqs move up by one. */
function withUnknownAfter(at: number): string[] {
  const lines = fixtureLines('sim_session.jsonl');
  const shifted = lines.map((line, i) => {
    const value = JSON.parse(line) as { seq: number };
    if (i >= at) value.seq += 1;
    return JSON.stringify(value);
  });
  const ts = (JSON.parse(shifted[at - 1]!) as { ts: string }).ts;
  return [...shifted.slice(0, at), JSON.stringify({ seq: at + 1, ts, type: 'agent_dreamed', agent: 'agent-1' }), ...shifted.slice(at)];
}

describe('a line of an unknown event type', () => {
  // 30: inside a block of the index's rows; 32: at a row and at a snapshot (every 4 and 16 events here).
  it.each([30, 32])('is no seq gap at any cursor past it (from a snapshot, folded forward, or stepped): after line %i', async (at) => {
    const lines = withUnknownAfter(at);
    const known = eventsOf(lines);
    // The log's own gap count: consecutive seqs over all lines with a seq, unknown ones included.
    const seqs = lines.map((line) => (JSON.parse(line) as { seq: number }).seq);
    const gaps = seqs.filter((seq, i) => i > 0 && seq !== seqs[i - 1]! + 1).length;
    expect(gaps).toBe(0);
    expect(known.length).toBe(lines.length - 1);

    const source = await openReplaySource(runDirWith(linesText(lines)), { snapshotEvery: 16, entryEvery: 4 });
    try {
      expect(source.count()).toBe(known.length);
      for (let c = 0; c <= known.length; c++) {
        const state = await source.stateAt(c);
        expect({ c, gaps: state.seqGaps }).toEqual({ c, gaps: 0 });
      }
      // Stepping back and forth over it through the controller, as → and ← do.
      const controller = await ReplayController.open(source, { follow: false, at: { kind: 'seq', seq: at - 2 } });
      for (let i = 0; i < 6; i++) controller.stepForward();
      await controller.idle();
      expect(controller.runState().seqGaps).toBe(0);
      expect(controller.runState().lastSeq).toBe(at + 5); // 29, 30, 32 … 35: the unknown line took seq 31
      for (let i = 0; i < 4; i++) controller.stepBack();
      await controller.idle();
      expect(controller.runState().seqGaps).toBe(0);
      // Seeks to the end and back over it, as g/G and --at do.
      await controller.goTo({ kind: 'end' });
      expect(controller.runState().seqGaps).toBe(0);
      await controller.goTo({ kind: 'seq', seq: at + 3 });
      expect(controller.runState().seqGaps).toBe(0);
      controller.close();
      // The plain fold of the known events alone would count one: the case this guards.
      expect(foldEvents(initialRunState(), known).seqGaps).toBe(1);
    } finally {
      await source.close();
    }
  });
});

describe('lines of unknown types first and last in the log', () => {
  it('count no gap at any cursor, and the end is the index\'s own state', async () => {
    const lines = fixtureLines('sim_session.jsonl').map((line) => {
      const value = JSON.parse(line) as { seq: number };
      value.seq += 1;
      return JSON.stringify(value);
    });
    const first = JSON.parse(lines[0]!) as { ts: string };
    const last = JSON.parse(lines[lines.length - 1]!) as { seq: number; ts: string };
    const all = [JSON.stringify({ seq: 1, ts: first.ts, type: 'agent_dreamed' }), ...lines, JSON.stringify({ seq: last.seq + 1, ts: last.ts, type: 'agent_dreamed' })];
    const source = await openReplaySource(runDirWith(linesText(all)), { snapshotEvery: 16, entryEvery: 4 });
    try {
      for (let c = 0; c <= source.count(); c++) expect({ c, gaps: (await source.stateAt(c)).seqGaps }).toEqual({ c, gaps: 0 });
      // The unknown last line's seq is the end's: the controller's end is the source's.
      const controller = await ReplayController.open(source, { follow: false, at: { kind: 'seq', seq: last.seq - 3 } });
      for (let i = 0; i < 5; i++) controller.stepForward();
      await controller.idle();
      expect(controller.position.getState().cursor).toBe(source.count());
      expect(controller.runState().lastSeq).toBe(last.seq + 1);
      expect(controller.runState()).toBe(await source.stateAt(source.count()));
      controller.close();
    } finally {
      await source.close();
    }
  });
});
