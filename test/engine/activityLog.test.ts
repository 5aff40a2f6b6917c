// session.log tells what the agents and gates did, not only the phase changes:
// a compression, a task done, a build, a test run, an agent that started or
// exited each get a line (the console's log pane reads session.log).

import { describe, expect, it } from 'vitest';
import type { MegatestEvent } from '../../src/contract/events.js';
import { activityLine } from '../../src/engine/activityLog.js';

const at = { seq: 1, ts: '2025-11-24T09:00:00.000Z' };

describe('activity lines in session.log', () => {
  it('says a compression with its agent and sizes', () => {
    const line = activityLine({ ...at, type: 'compress', agent: 'agent-2', tokens_before: 6495, tokens_after: 4200 });
    expect(line).toEqual({ level: 'INFO', source: 'agent-2', message: 'context compressed from 6,495 to 4,200 tokens' });
  });

  it('says each limit met as a warning (a throttle, an idle reassign, the parallel cap, the context limit)', () => {
    // Seen: none of these had a line, so the console's log pane never showed why an agent stopped working.
    const limits = [
      { kind: 'tokens_per_hour', agent: 'agent-1', action: 'throttle', detail: '1000 tokens in the last hour >= 1000; waiting 3600 s' },
      { kind: 'idle_time', agent: 'agent-2', action: 'reassign', detail: '2 tasks moved to agent-1 after 0.5 min idle' },
      { kind: 'parallel_agents', action: 'capped', detail: '10 agents asked for, 8 run at once ([agent] concurrent_agents)' },
    ];
    expect(limits.map((limit) => activityLine({ ...at, type: 'limit', ...limit } as MegatestEvent))).toEqual([
      { level: 'WARN', source: 'limits', message: 'tokens_per_hour agent-1: throttle (1000 tokens in the last hour >= 1000; waiting 3600 s)' },
      { level: 'WARN', source: 'limits', message: 'idle_time agent-2: reassign (2 tasks moved to agent-1 after 0.5 min idle)' },
      { level: 'WARN', source: 'limits', message: 'parallel_agents: capped (10 agents asked for, 8 run at once ([agent] concurrent_agents))' },
    ]);
  });

  it('says tasks done, builds, test runs and agents starting or exiting; failures as warnings', () => {
    const events: MegatestEvent[] = [
      { ...at, type: 'task_completed', agent: 'agent-1', task: 'Write the queue' },
      { ...at, type: 'build', ok: false, duration_ms: 1500, command: 'node scripts/build.mjs' },
      { ...at, type: 'test_run', passed: 12, failed: 3, skipped: 0, duration: 2, coverage: 98.9 },
      { ...at, type: 'agent_started', agent: 'agent-1', role: 'architect', model: 'm', pid: 42 },
      { ...at, type: 'agent_exited', agent: 'agent-1', code: 101, signal: null, cause: 'crashed (exit 101)' },
    ] as MegatestEvent[];
    expect(events.map((e) => activityLine(e))).toEqual([
      { level: 'INFO', source: 'agent-1', message: 'completed: Write the queue' },
      { level: 'WARN', source: 'build', message: 'build FAILED in 1.5 s' },
      { level: 'WARN', source: 'tests', message: '12 passed, 3 failed, 0 skipped; coverage 98.9%' },
      { level: 'INFO', source: 'agent-1', message: 'started (architect, m, pid 42)' },
      { level: 'WARN', source: 'agent-1', message: 'exited: crashed (exit 101)' },
    ]);
    // A sim agent's model is a label: said so, not read as a model being called.
    expect(activityLine(events[3]!, true)).toEqual({ level: 'INFO', source: 'agent-1', message: 'started (architect, simulated, model label m, pid 42)' });
  });

  it('says what a recovery does as it starts (a wait for a usage limit to lift), not how each ends', () => {
    const detail = 'rate_limit: waiting 2h 5m 10s for the usage limit to lift (2026-12-05 13:53 UTC) before retry 1';
    expect(activityLine({ ...at, type: 'recovery', agent: 'agent-1', action: 'retry_with_backoff', attempt: 1, outcome: 'started', detail } as MegatestEvent)).toEqual({
      level: 'INFO',
      source: 'recovery',
      message: `agent-1: retry_with_backoff #1: ${detail}`,
    });
    expect(activityLine({ ...at, type: 'recovery', agent: 'agent-1', action: 'retry_with_backoff', attempt: 1, outcome: 'succeeded', detail: 'agent-1 made progress after rate_limit' } as MegatestEvent)).toBeNull();
  });

  it('no second line for what has one already, nor for an agent megatest stopped', () => {
    expect(activityLine({ ...at, type: 'agent_exited', agent: 'agent-1', code: 0, signal: null, cause: 'stopped by megatest' } as MegatestEvent)).toBeNull();
    expect(activityLine({ ...at, type: 'checkpoint_created', id: 'checkpoint_001', trigger: 'phase', files: 1, bytes: 1, ms: 1 } as MegatestEvent)).toBeNull();
  });
});
