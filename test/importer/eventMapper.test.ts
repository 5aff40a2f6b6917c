// The mapping of one imported agent's messages to events: as a live run makes
// them (agentPool, the per-task adapter's outcome), at the recording's times.

import { describe, expect, it } from 'vitest';
import { AgentEventMapper, type Emission } from '../../src/importer/eventMapper.js';
import { COMMAND_CAPABILITIES } from '../../src/agents/command.js';

const mapper = (task: string | null = 'fix-it.log') =>
  new AgentEventMapper({ name: 'agent-1', role: 'imported', task, phase: 'imported', capabilities: COMMAND_CAPABILITIES }, new Set());
const events = (out: Emission[]) => out.flatMap((e) => ('event' in e ? [{ ms: e.ms, ...e.event }] : []));

describe('AgentEventMapper', () => {
  it('parse failures: the first at once, the rest of its second when the stream passes it, the remainder at the end', () => {
    const m = mapper();
    const failure = (n: number) => ({ type: 'parse_failure' as const, line: `{bad ${n}`, reason: 'not JSON' });
    const first = events(m.take([failure(1)], 0));
    expect(first).toMatchObject([{ type: 'error', class: 'parse_failure', severity: 'recoverable', ms: 0 }]);
    expect(events([...m.take([failure(2)], 10), ...m.take([failure(3)], 20)])).toEqual([]);
    const due = events(m.take([], 1500));
    expect(due).toHaveLength(1);
    expect(due[0]).toMatchObject({ ms: 1000 });
    expect((due[0] as { message: string }).message).toMatch(/^2 lines not in the agent's format \(3 in all, kept in output.log\); last: not JSON: \{bad 3$/);
    m.take([failure(4)], 1600);
    const end = events(m.end(1700, 'the recorded stream ended'));
    expect(end.map((e) => e.type)).toEqual(['error', 'agent_exited']);
    expect((end[0] as { message: string }).message).toContain('(4 in all');
    // Each event carries the lines it sums up, as a live run's does: the fold counts protocol errors from them.
    expect([first[0], due[0], end[0]].map((e) => (e as { count?: number }).count)).toEqual([1, 2, 1]);
  });

  it('outcomes: success completes the file\'s task once; a failure is an error; a cost is a cost-only tokens event', () => {
    const m = mapper();
    const out = events([
      ...m.take([{ type: 'tokens', input: 10, output: 5, model: 'model-x' }], 1),
      ...m.take([{ type: 'outcome', outcome: 'failed', detail: 'error_during_execution' }], 2),
      ...m.take([{ type: 'outcome', outcome: 'succeeded', cost_usd: 0.5 }], 3),
      ...m.take([{ type: 'outcome', outcome: 'succeeded' }], 4),
    ]);
    expect(out.filter((e) => e.type === 'error')).toMatchObject([{ class: 'agent_error', message: 'task "fix-it.log" failed: error_during_execution' }]);
    expect(out.filter((e) => e.type === 'tokens')).toMatchObject([{ input: 10 }, { input: 0, output: 0, model: 'model-x', cost_usd: 0.5 }]);
    expect(out.filter((e) => e.type === 'task_completed')).toMatchObject([{ task: 'fix-it.log', phase: 'imported', ms: 3 }]);
    expect(m.verdict).toBe('succeeded');
  });

  it('steps are agent_state working with the step; retries are transient llm_retry errors; a transcript\'s own task_done completes its task', () => {
    const m = mapper(null);
    const out = events(
      m.take(
        [
          { type: 'step', step: 3 },
          { type: 'retry', message: 'API retry 1/10: overloaded', attempt: 1, delay_ms: 500 },
          { type: 'task_done', task: 'parse' },
          { type: 'task_done', task: 'parse' },
        ],
        7,
      ),
    );
    expect(out).toMatchObject([
      { type: 'agent_state', status: 'working', step: 3 },
      { type: 'error', class: 'llm_retry', severity: 'transient', message: 'the agent retries a model call by itself (attempt 1, in 0.5 s): API retry 1/10: overloaded' },
      { type: 'task_completed', task: 'parse' },
    ]);
    expect(m.verdict).toBe('no_outcome');
  });
});
