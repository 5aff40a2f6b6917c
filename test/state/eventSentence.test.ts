// The one-line sentences of the headless log and of webhook notifications.

import { describe, expect, it } from 'vitest';
import type { MegatestEvent } from '../../src/contract/events.js';
import { eventSentence } from '../../src/state/eventSentence.js';
import { countOf } from '../../src/state/groupDigits.js';
import { loadEvents } from './foldOracle.js';

describe('eventSentence', () => {
  it("gives a phase's budget and the session's duration in whole seconds, as session.log does", () => {
    const phase = { seq: 9, ts: '2026-01-01T00:00:00.000Z', type: 'phase_started', phase: 'bootstrap', index: 0, duration_seconds: 3.977, tasks: ['a', 'b'] } as MegatestEvent;
    expect(eventSentence(phase)).toBe('phase 1 bootstrap started: 2 tasks, 4 s');
    for (const event of loadEvents('sim_session.jsonl')) {
      if (event.type !== 'session_started' && event.type !== 'phase_started') continue;
      expect(eventSentence(event)).toMatch(new RegExp(`, ${Math.round(event.duration_seconds)} s$`));
    }
  });
});

describe('eventSentence figures', () => {
  const grouped = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
  it('groups the digits of counts (tokens, bytes, lines of code), as status and the console keys do', () => {
    const events = loadEvents('sim_session.jsonl');
    const checkpoints = events.filter((e) => e.type === 'checkpoint_created');
    const snapshots = events.filter((e) => e.type === 'metrics');
    // The recorded session has counts of four digits and more, so grouping shows.
    expect(checkpoints.some((e) => e.bytes >= 1000)).toBe(true);
    expect(snapshots.some((e) => (e.metrics.total_tokens ?? 0) >= 1000)).toBe(true);
    const plural = (n: number, noun: string) => `${grouped(n)} ${noun}${n === 1 ? '' : 's'}`;
    for (const e of checkpoints) expect(eventSentence(e)).toBe(`checkpoint ${e.id} (${e.trigger}): ${plural(e.files, 'file')}, ${plural(e.bytes, 'byte')}, ${e.ms} ms`);
    const one = { ...checkpoints[0]!, files: 1, bytes: 1664 } as MegatestEvent;
    expect(eventSentence(one)).toMatch(/: 1 file, 1,664 bytes, \d+ ms$/);
    for (const e of snapshots) {
      const m = e.metrics;
      expect(eventSentence(e)).toContain(` tokens ${grouped(m.total_tokens!)} (${grouped(m.tokens_per_minute!)}/min) calls ${grouped(m.tool_calls!)} `);
      expect(eventSentence(e)).toContain(` LOC ${m.lines_of_code === null ? 'n/a' : grouped(m.lines_of_code)} `);
    }
    // Times as every other view gives them (1h02m), not raw seconds; no time left when none is estimated.
    const at = (elapsed: number | null, left: number | null) => eventSentence({ ...snapshots[0]!, metrics: { ...snapshots[0]!.metrics, elapsed_seconds: elapsed, estimated_remaining: left } } as MegatestEvent);
    expect(at(451, 86_399)).toContain(` 7m31s (23h59m left) tokens `);
    expect(at(3_725, null)).toMatch(/ 1h02m tokens /);
    expect(at(null, null)).toMatch(/ n\/a tokens /);
    // A session that ended has no time left, whatever its last snapshot estimated.
    const ended = eventSentence({ ...snapshots[0]!, metrics: { ...snapshots[0]!.metrics, status: 'completed', elapsed_seconds: 73, estimated_remaining: 107 } } as MegatestEvent);
    expect(ended).toMatch(/^\[completed\] \S+ 1m13s tokens /);
    const compress = { seq: 5, ts: '2026-01-01T00:00:00.000Z', type: 'compress', agent: 'agent-2', tokens_before: 164_000, tokens_after: 41_250 } as MegatestEvent;
    expect(eventSentence(compress)).toBe('agent-2 context compressed 164,000 -> 41,250 tokens');
  });
});

describe('eventSentence of a build', () => {
  const build = (ok: boolean, output_tail?: string) =>
    ({ seq: 3, ts: '2026-01-01T00:00:00.000Z', type: 'build', ok, duration_ms: 81, command: 'cargo build', ...(output_tail === undefined ? {} : { output_tail }) }) as MegatestEvent;
  it('a failed build quotes the last line it printed, so a CI log says why', () => {
    const tail = 'Compiling queue v0.1.0\nerror: could not find `Cargo.toml` in `/tmp/x/project` or any parent directory\n\n';
    expect(eventSentence(build(false, tail))).toBe('build FAILED in 0.1 s: error: could not find `Cargo.toml` in `/tmp/x/project` or any parent directory');
    expect(eventSentence(build(false, `error: ${'x'.repeat(500)}`))).toMatch(/^build FAILED in 0\.1 s: error: x+…$/);
    expect(eventSentence(build(false, `error: ${'x'.repeat(500)}`))!.length).toBe('build FAILED in 0.1 s: '.length + 200);
  });
  it('says nothing more for a build with no output, or one that passed', () => {
    expect(eventSentence(build(false))).toBe('build FAILED in 0.1 s');
    expect(eventSentence(build(false, ' \n\n'))).toBe('build FAILED in 0.1 s');
    expect(eventSentence(build(true, 'warning: unused variable'))).toBe('build ok in 0.1 s');
  });
});

describe('countOf', () => {
  it('groups the count and says the noun in the plural unless the count is one', () => {
    expect([0, 1, 2, 1664, 1_000_000].map((n) => countOf(n, 'file'))).toEqual(['0 files', '1 file', '2 files', '1,664 files', '1,000,000 files']);
    expect(countOf(1, 'new blob')).toBe('1 new blob');
  });
});
