// Who paused the session and why, in the fold (RunState.pause), as status and
// the control API show it: megatest pauses right after the alert that says
// why, a person's pause has no reason but its detail, and a continue, a
// resume or the session's end clears it.

import { describe, expect, it } from 'vitest';
import type { EventInput, MegatestEvent } from '../../src/contract/events.js';
import { foldEvent, foldEvents } from '../../src/state/fold.js';
import { initialRunState, type RunState } from '../../src/state/runState.js';
import { sessionMetricsAt } from '../../src/state/snapshot.js';

function log(inputs: EventInput[]): MegatestEvent[] {
  const start = Date.parse('2026-12-05T11:48:00Z');
  return inputs.map((input, i) => ({ ...input, seq: i + 1, ts: new Date(start + i * 1000).toISOString() }) as MegatestEvent);
}

/** The fold, one event at a time and batched (they must agree), after the given events. */
function folded(events: MegatestEvent[]): RunState {
  const oneByOne = events.reduce(foldEvent, initialRunState());
  expect(foldEvents(initialRunState(), events).pause).toEqual(oneByOne.pause);
  return oneByOne;
}

const HOLD = 'every agent with tasks left waits for the usage limit to lift (the first at 2026-12-05 13:53 UTC): the session pauses until then';
const GAVE_UP = 'recovery gave up: agent-1: agent_crash persisted through 3 recovery attempts — paused; continue with `megatest continue` or the console\'s p key';

describe('the pause in the fold', () => {
  it('an automatic pause takes its reason from the alert it came with', () => {
    const events = log([
      { type: 'alert', level: 'warning', message: HOLD },
      { type: 'command', name: 'pause', source: 'engine', detail: 'automatic' },
    ]);
    expect(folded(events).pause).toEqual({ since: events[1]!.ts, by: 'engine', why: HOLD });
    const critical = log([
      { type: 'alert', level: 'critical', message: GAVE_UP },
      { type: 'command', name: 'pause', source: 'engine', detail: 'automatic' },
    ]);
    expect(folded(critical).pause?.why).toBe(GAVE_UP);
  });

  it('a person’s pause has no reason; an earlier alert or an info is not taken for one', () => {
    const events = log([
      { type: 'alert', level: 'warning', message: 'disk at 85% of limits.disk_space_limit_gb' },
      { type: 'tool_call', agent: 'agent-1', tool: 'read_file', ok: true, duration_ms: 5 },
      { type: 'command', name: 'pause', source: 'cli' },
    ]);
    expect(folded(events).pause).toEqual({ since: events[2]!.ts, by: 'cli', why: null });
    const afterInfo = log([
      { type: 'alert', level: 'info', message: 'already paused' },
      { type: 'command', name: 'pause', source: 'key' },
    ]);
    expect(folded(afterInfo).pause).toEqual({ since: afterInfo[1]!.ts, by: 'key', why: null });
  });

  it('a person’s pause during the usage-limit hold becomes theirs, saying so', () => {
    const events = log([
      { type: 'alert', level: 'warning', message: HOLD },
      { type: 'command', name: 'pause', source: 'engine', detail: 'automatic' },
      { type: 'command', name: 'pause', source: 'api', detail: 'during the usage-limit hold' },
    ]);
    expect(folded(events).pause).toEqual({ since: events[2]!.ts, by: 'api', why: 'during the usage-limit hold' });
  });

  it('a continue, a resume and the session’s end clear it', () => {
    const paused: EventInput[] = [
      { type: 'alert', level: 'warning', message: HOLD },
      { type: 'command', name: 'pause', source: 'engine', detail: 'automatic' },
    ];
    expect(folded(log([...paused, { type: 'command', name: 'continue', source: 'engine' }])).pause).toBeNull();
    expect(folded(log([...paused, { type: 'command', name: 'resume', source: 'cli' }])).pause).toBeNull();
    expect(folded(log([...paused, { type: 'session_ended', status: 'interrupted', exit_code: 130, reason: 'stopped by cli' }])).pause).toBeNull();
    expect(folded(log([{ type: 'tool_call', agent: 'agent-1', tool: 'read_file', ok: true, duration_ms: 5 }])).pause).toBeNull();
  });
});

describe('the status at a pause and a continue', () => {
  const start: EventInput[] = [
    {
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
    } as EventInput,
    { type: 'phase_started', phase: 'p0', index: 0, duration_seconds: 60, tasks: ['t1'] },
  ];

  it('changes at the command, not a snapshot later (replay showed running until the next one)', () => {
    expect(folded(log(start)).status).toBe('running');
    const paused = log([...start, { type: 'command', name: 'pause', source: 'key' }]);
    expect(folded(paused).status).toBe('paused');
    expect(folded(log([...start, { type: 'command', name: 'pause', source: 'key' }, { type: 'command', name: 'continue', source: 'key' }])).status).toBe('running');
  });

  it('a restore under way stays recovering: its snapshots say how it ends', () => {
    const base = folded(log(start));
    const recovering = { ...base, status: 'recovering' as const };
    const pause = log([...start, { type: 'command', name: 'pause', source: 'key' }]).at(-1)!;
    expect(foldEvent(recovering, pause).status).toBe('recovering');
  });
});

describe('the tokens/min of a paused session', () => {
  it('is the rate as the pause began, however long the pause lasts: a window running down printed a falling rate over nothing', () => {
    const events = log([
      { type: 'session_started', session_id: 's', project: 'task_queue', project_name: 'RedQueue', agent_kind: 'sim', simulated: true, agents: 1, duration_seconds: 600, phases: [{ name: 'p', duration_seconds: 600 }], megatest_version: '0' },
      { type: 'phase_started', phase: 'p', index: 0, duration_seconds: 600, tasks: [] },
      { type: 'tokens', agent: 'agent-1', input: 600, output: 0, model: 'm' },
      { type: 'tokens', agent: 'agent-1', input: 600, output: 0, model: 'm' },
      { type: 'command', name: 'pause', source: 'cli' },
    ]);
    const state = folded(events);
    expect(state.status).toBe('paused');
    const pausedAt = Date.parse(events[4]!.ts);
    const gauges = { status: 'paused' as const, linesOfCode: null, docCoverage: null, filesModified: null, memoryUsageMb: 0, diskUsageBytes: 0, agents: {} };
    const at = (ms: number) => sessionMetricsAt(state, ms, gauges).tokens_per_minute;
    expect(at(pausedAt)).toBeGreaterThan(0);
    for (const later of [5_000, 30_000, 90_000]) expect(at(pausedAt + later)).toBe(at(pausedAt));
  });
});
