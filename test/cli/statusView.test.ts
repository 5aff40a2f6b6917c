// The lines of `megatest status` for a view: what an agent's trust, a
// finished run's missing test run and checkpoint read as.

import { describe, expect, it } from 'vitest';
import type { AgentMetrics, SessionMetrics } from '../../src/contract/metrics.js';
import { formatStatus, viewFromSnapshot, type StatusView } from '../../src/cli/statusView.js';
import type { StatusSnapshot } from '../../src/contract/control.js';

const agent = (name: string, toolCalls: number, trust: number): AgentMetrics => ({
  name,
  role: 'developer',
  status: 'working',
  task: null,
  model: null,
  tokens: 10,
  tool_calls: toolCalls,
  utilization: 0,
  trust_score: trust,
  idle_seconds: 0,
  context_tokens: null,
  max_context_tokens: 0,
});

function view(overrides: Partial<StatusView>, agents: AgentMetrics[]): StatusView {
  const metrics = {
    elapsed_seconds: 65,
    estimated_remaining: 55,
    total_tokens: 20,
    tokens_per_minute: 18,
    tool_calls: agents.reduce((n, a) => n + a.tool_calls, 0),
    test_pass_rate: null,
    tests_passed: 0,
    tests_failed: 0,
    test_coverage: null,
    lines_of_code: 0,
    tasks_completed: 0,
    tasks_remaining: 3,
    errors_encountered: 0,
    recoveries: 0,
    agents,
    timestamp: '2026-01-01T00:01:05.000Z',
  } as unknown as SessionMetrics;
  return {
    session_id: 's',
    run_dir: '/runs/s',
    running: false,
    status: 'running',
    phase: 'bootstrap',
    simulated: false,
    project: 'task_queue',
    agent_kind: 'command',
    started_at: null,
    duration_seconds: 120,
    metrics,
    last_checkpoint: null,
    pid: null,
    control_url: null,
    capabilities: {},
    last_alert: null,
    pause: null,
    recoveries_under_way: [],
    cost_usd: null,
    ...overrides,
  };
}

const line = (lines: string[], label: string) => lines.filter((l) => l.startsWith(label));

describe('status lines', () => {
  it("an agent's trust is n/a until it made a tool call (the share of its calls that succeeded), as the console's –", () => {
    const lines = formatStatus(view({}, [agent('agent-1', 0, 1), agent('agent-2', 4, 0.75)]));
    expect(line(lines, 'agent ')).toEqual([
      'agent      agent-1 developer working  tokens 10  calls 0  trust n/a  idle 0 s',
      'agent      agent-2 developer working  tokens 10  calls 4  trust 0.75  idle 0 s',
    ]);
    // Calls grouped as tokens are: a day's 149,194 calls, not 149194.
    expect(line(formatStatus(view({}, [agent('agent-3', 149_194, 1)])), 'agent ')[0]).toContain('calls 149,194  trust 1.00');
  });

  it('a run still going has no test run or checkpoint yet; one that ended has none, and no time left', () => {
    const going = formatStatus(view({ running: true }, []));
    expect(line(going, 'elapsed')).toEqual(['elapsed    00:01:05 / 00:02:00  (00:00:55 left)']);
    // Its orchestrator killed: nothing runs towards the end, no time left is said (as the console drops its ETA).
    expect(line(formatStatus(view({ running: false }, [])), 'elapsed')).toEqual(['elapsed    00:01:05 / 00:02:00']);
    expect(line(going, 'tests')).toEqual(['tests      0 passed, 0 failed (no test run yet)   coverage n/a   LOC 0']);
    expect(line(going, 'checkpoint')).toEqual(['checkpoint none yet']);
    const ended = formatStatus(view({ status: 'interrupted', exit_code: 130 }, []));
    expect(line(ended, 'elapsed')).toEqual(['elapsed    00:01:05 / 00:02:00']);
    expect(line(ended, 'tests')).toEqual(['tests      0 passed, 0 failed (no test run)   coverage n/a   LOC 0']);
    expect(line(ended, 'checkpoint')).toEqual(['checkpoint none']);
  });

  it('a session that is ending says why, as its status word stays what it was', () => {
    const snapshot = {
      session_id: 's', project: 'task_queue', agent_kind: 'sim', simulated: true, status: 'running', phase: 'bootstrap',
      started_at: '2026-01-01T00:00:00.000Z', duration_seconds: 120, metrics: null, last_checkpoint: null, pid: 4242,
      stopping: 'stopped by cli',
    } as StatusSnapshot;
    const ending = viewFromSnapshot('/runs/s', snapshot, 'http://127.0.0.1:8080');
    expect(ending.stopping).toBe('stopped by cli');
    expect(line(formatStatus(ending), 'stopping')).toEqual(['stopping   stopped by cli; every command is refused until the session has ended']);
    const going = viewFromSnapshot('/runs/s', { ...snapshot, stopping: null }, 'http://127.0.0.1:8080');
    expect(going.stopping).toBeUndefined();
    expect(line(formatStatus(going), 'stopping')).toEqual([]);
  });

  it('a test run that gave no results is said, not "none run"', () => {
    const lines = formatStatus(view({ tests_problem: 'test command killed after 6 s (limits.max_test_runtime_min)' }, []));
    expect(line(lines, 'tests')).toEqual(['tests      not measured: the last test run gave no results (test command killed after 6 s (limits.max_test_runtime_min))   coverage n/a   LOC 0']);
  });

  it("a killed run's agents are said to be as the log last recorded them, not working now", () => {
    const agents = [agent('agent-1', 1, 1)];
    const killed = formatStatus(view({ running: false }, agents));
    expect(line(killed, 'agents ')).toEqual(['agents     as the event log last recorded them (2026-01-01T00:01:05.000Z); none runs now']);
    // Live, ended, stopped (Ctrl-Z: it runs again on fg), an old runner's or an import: no such line.
    for (const overrides of [{ running: true }, { exit_code: 0, status: 'completed' }, { orchestrator_stopped: true as const }, { legacy: 'python' }, { imported: true as const }]) {
      expect(line(formatStatus(view(overrides, agents)), 'agents ')).toEqual([]);
    }
    // No agents: nothing to say it of.
    expect(line(formatStatus(view({ running: false }, [])), 'agents ')).toEqual([]);
  });
});

describe('status lines with what an agent printed', () => {
  it("an agent's task and the last alert are printed printable: no escape sequence, tab or carriage return of theirs reaches the terminal", () => {
    const lines = formatStatus(
      view({ last_alert: { ts: '2026-01-01T00:01:00.000Z', severity: 'critical', message: '\u001b[31merror\u001b[0m: compile\tfailed\rOVER' } as StatusView['last_alert'] }, [
        { ...agent('agent-1', 1, 1), task: 'task\twith\u001b[1mbold\u001b[0m done\u0007' },
      ]),
    );
    // eslint-disable-next-line no-control-regex
    for (const text of lines) expect(text).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(line(lines, 'agent ')[0]).toContain('"task withbold done^G"');
    expect(line(lines, 'alert ')[0]).toContain('error: compile failed OVER');
  });
});
