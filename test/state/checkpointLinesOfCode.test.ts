// A checkpoint's lines of code in the fold. A phase gate counts the project
// just before its phase checkpoint, after the last metrics snapshot: the
// checkpoint's count is the newer one, so the fold takes it, and a restore of
// that checkpoint puts it back (it used to put back the snapshot's, which
// was 0 at a checkpoint taken in the session's first interval).

import { describe, expect, it } from 'vitest';
import type { EventInput, MegatestEvent } from '../../src/contract/events.js';
import { foldAll } from '../../src/state/fold.js';
import { loadEvents } from './foldOracle.js';

const recordedMetrics = loadEvents('sim_session.jsonl').find((e) => e.type === 'metrics');
if (!recordedMetrics || recordedMetrics.type !== 'metrics') throw new Error('sim_session.jsonl has no metrics event');

const metricsWith = (linesOfCode: number): EventInput => ({ type: 'metrics', metrics: { ...recordedMetrics.metrics, lines_of_code: linesOfCode } });

function log(inputs: EventInput[]): MegatestEvent[] {
  const start = Date.parse('2026-01-01T00:00:00Z');
  return inputs.map((input, i) => ({ ...input, seq: i + 1, ts: new Date(start + i * 1000).toISOString() }) as MegatestEvent);
}

const SNAPSHOT_LOC = 0;
const GATE_LOC = 860;
const LATER_LOC = 1_000;

const events = log([
  metricsWith(SNAPSHOT_LOC),
  { type: 'checkpoint_created', id: 'checkpoint_001', trigger: 'phase', files: 27, bytes: 69_434, ms: 18, phase: 'development', lines_of_code: GATE_LOC, test_pass_rate: 1 },
  metricsWith(LATER_LOC),
  { type: 'checkpoint_created', id: 'checkpoint_002', trigger: 'forced', files: 27, bytes: 69_434, ms: 18, phase: 'development', test_pass_rate: 1 },
  { type: 'checkpoint_restored', id: 'checkpoint_001', rolled_back_after_seq: 2, ms: 20, reason: 'restore asked by key', phase: 'development', phase_index: 1 },
]);

describe('a checkpoint’s lines of code', () => {
  it('is the fold’s count from the checkpoint on, until the next snapshot', () => {
    expect(foldAll(events.slice(0, 1)).measured.linesOfCode).toBe(SNAPSHOT_LOC);
    expect(foldAll(events.slice(0, 2)).measured.linesOfCode).toBe(GATE_LOC);
    expect(foldAll(events.slice(0, 3)).measured.linesOfCode).toBe(LATER_LOC);
  });

  it('a checkpoint that names no count leaves the fold’s as it was', () => {
    expect(foldAll(events.slice(0, 4)).measured.linesOfCode).toBe(LATER_LOC);
  });

  it('a restore puts the checkpoint’s count back, and the picker lists it', () => {
    const state = foldAll(events);
    expect(state.measured.linesOfCode).toBe(GATE_LOC);
    expect(state.checkpoints.map((c) => c.linesOfCode)).toEqual([GATE_LOC, null]);
  });
});
