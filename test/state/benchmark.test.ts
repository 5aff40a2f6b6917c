// The project's benchmark in the fold: the last run's figure, or why it gave
// none; a failed build after it leaves that figure to older code, as it
// leaves the tests'. And its sentence in the headless log.

import { describe, expect, it } from 'vitest';
import type { MegatestEvent } from '../../src/contract/events.js';
import { eventSentence } from '../../src/state/eventSentence.js';
import { foldAll } from '../../src/state/fold.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const start = {
  type: 'session_started',
  session_id: 's',
  project: 'p',
  project_name: 'P',
  agent_kind: 'sim',
  simulated: true,
  agents: 1,
  duration_seconds: 60,
  phases: [{ name: 'p0', duration_seconds: 60, tasks: ['t1'] }],
  megatest_version: 't',
};

/** A log of these bodies, seq and ts added one second apart. */
function log(...bodies: object[]): MegatestEvent[] {
  return [start, ...bodies].map((body, index) => ({ ...body, seq: index + 1, ts: new Date(T0 + index * 1000).toISOString() }) as MegatestEvent);
}

const build = (ok: boolean) => ({ type: 'build', ok, duration_ms: 10, command: 'make' });
const bench = (ops: number | null, problem?: string) => ({ type: 'benchmark', ok: ops !== null, ops_per_second: ops, duration_ms: 1500, command: 'sh bench.sh', ...(problem ? { problem } : {}) });

describe('the benchmark in the fold', () => {
  it('none before the first run; then the last run figure, or its problem', () => {
    expect(foldAll(log(build(true))).measured.lastBenchmark).toBeNull();
    expect(foldAll(log(build(true), bench(1200), build(true), bench(5000))).measured.lastBenchmark).toEqual({ opsPerSecond: 5000, problem: null });
    expect(foldAll(log(build(true), bench(5000), build(true), bench(null, 'failed with exit 3: boom'))).measured.lastBenchmark).toEqual({ opsPerSecond: null, problem: 'failed with exit 3: boom' });
  });

  it('a build that failed after it leaves no figure of the code as it is', () => {
    expect(foldAll(log(build(true), bench(5000), build(false))).measured.lastBenchmark).toEqual({ opsPerSecond: null, problem: 'was not run after the last build, which failed' });
    // A failed build before any benchmark says nothing of one.
    expect(foldAll(log(build(false))).measured.lastBenchmark).toBeNull();
  });

  it('reads as a sentence: the figure, or what went wrong', () => {
    const [, , ok, , failed] = log(build(true), bench(12_345.6), build(true), bench(null, 'failed with exit 3: boom'));
    expect(eventSentence(ok!)).toBe('benchmark 12,346 ops/s in 1.5 s');
    expect(eventSentence(failed!)).toBe('benchmark failed with exit 3: boom (after 1.5 s)');
    expect(eventSentence(log(bench(2.345))[1]!)).toBe('benchmark 2.35 ops/s in 1.5 s');
  });
});
