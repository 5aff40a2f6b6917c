// Snapshots write a numbers array that extends one the group wrote before
// (a chart series one metrics snapshot later: the oldest points gone, new
// ones appended) as a reference and its new numbers. Any arrays at all must
// decode to themselves, whether they extend, shrink, repeat or only look like
// an earlier one; and on a long run, where every series is at its bound,
// deltas must stay small.

import { inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { MegatestEvent } from '../../src/contract/events.js';
import type { SessionMetrics } from '../../src/contract/metrics.js';
import { GroupDecoder, SnapshotEncoder } from '../../src/replay/snapshotCodec.js';
import { foldAll, foldEvents } from '../../src/state/fold.js';
import { MAX_SERIES_POINTS } from '../../src/state/limits.js';
import { initialRunState, type RunState } from '../../src/state/runState.js';

/** As JSON writes it (-0 becomes 0): what the codec promises to give back. */
const viaJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function withSeries(base: RunState, lists: number[][]): RunState {
  const [a = [], b = [], c = []] = lists;
  return { ...base, series: { ...base.series, errors: a, coverage: b, linesOfCode: c } };
}

describe('numbers arrays in a group of snapshots', () => {
  it('decode to themselves however they relate to the arrays before them', () => {
    const value = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(-0));
    const list = fc.array(value, { maxLength: 40 });
    // Each step: a new array, or the previous one with some dropped and some appended (a series at its bound).
    const step = fc.oneof(
      list.map((l) => ({ kind: 'new' as const, l })),
      fc.tuple(fc.nat(12), fc.array(value, { maxLength: 6 })).map(([drop, add]) => ({ kind: 'extend' as const, drop, add })),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(step, step, step), { minLength: 1, maxLength: 10 }), fc.integer({ min: 1, max: 6 }), (steps, groupSize) => {
        const encoder = new SnapshotEncoder(groupSize);
        let decoder = new GroupDecoder();
        let lists: number[][] = [[], [], []];
        const base = foldAll([]);
        for (const triple of steps) {
          lists = triple.map((s, i) => (s.kind === 'new' ? s.l : [...lists[i]!.slice(s.drop), ...s.add]));
          const state = withSeries(base, lists);
          const { bytes, keyframe } = encoder.encode(state);
          if (keyframe) decoder = new GroupDecoder();
          expect(decoder.next(bytes)).toStrictEqual(viaJson(state));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('on a long run, with every series at its bound, a delta holds the new points rather than the series again', () => {
    const t0 = Date.parse('2026-03-01T12:00:00.000Z');
    const agents = ['agent-1', 'agent-2', 'agent-3', 'agent-4'];
    const metricsAt = (seq: number, ms: number, tokens: number): SessionMetrics =>
      ({
        session_id: 's',
        timestamp: new Date(ms).toISOString(),
        elapsed_seconds: seq,
        estimated_remaining: 0,
        phase: 'p',
        status: 'running',
        total_tokens: tokens,
        tokens_per_minute: 1000 + (seq % 977),
        tasks_completed: 0,
        tasks_remaining: 0,
        test_pass_rate: 0.5 + (seq % 50) / 100,
        tests_passed: 1,
        tests_failed: 1,
        lines_of_code: 100 + seq,
        test_coverage: 40 + (seq % 400) / 10,
        doc_coverage: null,
        files_modified: 1,
        tool_calls: 0,
        checkpoint_count: 0,
        errors_encountered: seq % 13,
        recoveries: 0,
        consensus_votes_cast: 0,
        memory_usage_mb: 1,
        disk_usage_bytes: 1,
        agents: [],
      }) as SessionMetrics;
    const events: MegatestEvent[] = [];
    let tokens = 0;
    for (let i = 1; events.length < 12_000; i++) {
      const ms = t0 + i * 500;
      const ts = new Date(ms).toISOString();
      const seq = events.length + 1;
      if (i % 10 === 0) events.push({ seq, ts, type: 'metrics', metrics: metricsAt(seq, ms, tokens) });
      else {
        const spent = 100 + ((i * 7919) % 900);
        tokens += spent;
        events.push({ seq, ts, type: 'tokens', agent: agents[i % agents.length]!, input: spent, output: 0, model: 'm' });
      }
    }
    const encoder = new SnapshotEncoder(16);
    let decoder = new GroupDecoder();
    let state = initialRunState();
    const deltas: string[] = [];
    for (let at = 0; at < events.length; at += 50) {
      state = foldEvents(state, events.slice(at, at + 50));
      const { bytes, keyframe } = encoder.encode(state);
      if (keyframe) decoder = new GroupDecoder();
      expect(decoder.next(bytes)).toStrictEqual(state);
      if (!keyframe && state.series.tokensPerMinute.length === MAX_SERIES_POINTS) deltas.push(inflateRawSync(bytes.subarray(1)).toString('utf8'));
    }
    expect(deltas.length).toBeGreaterThan(20);
    // No series written in full ("§n…"): each as the one before it and its new points.
    for (const text of deltas) expect(text.match(/.{60}\u00a7n.{40}/g)).toBeNull();
    // Every series in full, as a delta without this encoding would carry it: the whole delta is well under that.
    const series = [...Object.values(state.series), ...state.agents.flatMap((a) => [a.series.tokens, a.series.toolCalls])];
    const full = series.map((s) => s.join(',')).join(';').length;
    expect(Math.max(...deltas.map((text) => text.length))).toBeLessThan(full / 2);
  });
});
