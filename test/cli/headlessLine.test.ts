// The headless log's first line said "1 sim agents".

import { describe, expect, it } from 'vitest';
import { headlessLine } from '../../src/cli/headless.js';
import type { MegatestEvent } from '../../src/contract/events.js';

function started(agents: number): MegatestEvent {
  return {
    seq: 1,
    ts: '2026-01-01T00:00:00.000Z',
    type: 'session_started',
    session_id: 's',
    project: 'task_queue',
    project_name: 'RedQueue',
    agent_kind: 'sim',
    simulated: true,
    agents,
    duration_seconds: 60,
    phases: [],
    megatest_version: '0.1.0',
  } as MegatestEvent;
}

describe('headless session line', () => {
  it('one agent is singular, more are plural', () => {
    expect(headlessLine(started(1))).toMatch(/, 1 sim agent \[SIMULATED\], /);
    expect(headlessLine(started(4))).toMatch(/, 4 sim agents \[SIMULATED\], /);
  });
});
