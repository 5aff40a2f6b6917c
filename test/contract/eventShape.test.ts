// A line whose body lacks what every reader goes into (the phases it maps,
// the criteria it counts, the agents of a metrics snapshot) is a damaged
// line, not an event: before, one such line was a TypeError in the fold,
// and status, report, replay and `ls` of every run beside it stopped.

import { describe, expect, it } from 'vitest';
import { parseEventLine } from '../../src/contract/events.js';
import { foldEvents } from '../../src/state/fold.js';
import { initialRunState } from '../../src/state/runState.js';

const line = (body: Record<string, unknown>) => JSON.stringify({ seq: 2, ts: '2026-12-06T13:22:22Z', ...body });

describe('parseEventLine: the structure readers go into', () => {
  it('refuses a metrics, session_started, phase_started or phase_ended line without it', () => {
    for (const body of [
      { type: 'metrics', metrics: null },
      { type: 'metrics' },
      { type: 'metrics', metrics: {} },
      { type: 'metrics', metrics: { agents: [null] } },
      { type: 'session_started', session_id: 's' },
      { type: 'session_started', phases: [1, 2] },
      { type: 'session_started', phases: [], resumed_from: 'r1' },
      { type: 'phase_started', phase: 'development', index: 0, tasks: 'a task' },
      { type: 'phase_ended', phase: 'development', index: 0, passed: true },
      { type: 'phase_ended', phase: 'development', index: 0, passed: true, criteria: [null] },
    ]) {
      expect(parseEventLine(line(body)), JSON.stringify(body)).toBeNull();
    }
  });

  it('takes them with it, and leaves scalars to the readers (a missing number is a gap, not a crash)', () => {
    const events = [
      { type: 'session_started', session_id: 's', phases: [{ name: 'development', duration_seconds: 60, tasks: ['a'] }] },
      { type: 'phase_started', phase: 'development', index: 0, tasks: ['a'] },
      { type: 'phase_started', phase: 'development', index: 0 },
      { type: 'metrics', metrics: { agents: [{ name: 'agent-1' }] } },
      { type: 'phase_ended', phase: 'development', index: 0, passed: true, criteria: [{ id: 'c', passed: true }] },
      { type: 'tool_call' },
    ].map((body) => parseEventLine(line(body)));
    expect(events.every((event) => event !== null)).toBe(true);
    expect(() => foldEvents(initialRunState(), events.map((event) => event!))).not.toThrow();
  });
});
