// A live run's tokens are not recorded (null, n/a) until an agent reports a
// token figure, as an import's are: a live selfware run without `📊 Tokens:`
// lines said 0 tokens where the import of its log said "not recorded", and
// compare read the 0 as "fewer tokens, better". The runs are folded from
// events written here; the expected figures are counted from those events.

import { describe, expect, it } from 'vitest';
import { compareRuns, type CompareRunInput } from '../../src/compare/viewModel.js';
import type { MegatestEvent } from '../../src/contract/events.js';
import { runFigures, withRunFigures } from '../../src/report/figures.js';
import type { FinalReport } from '../../src/report/report.js';
import { foldAll } from '../../src/state/fold.js';
import { gaugesFromState, sessionMetricsAt } from '../../src/state/snapshot.js';

const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

/** A live (not imported) run of one agent of `kind`: tool calls, the given token events, a task done, its end. */
function liveRun(kind: string, tokens: { input: number; output: number }[]): MegatestEvent[] {
  const events = [
    { ts: t(0), type: 'session_started', session_id: `live-${kind}`, project: 'p', project_name: 'P', agent_kind: kind, simulated: kind === 'sim', agents: 1, duration_seconds: 60, phases: [{ name: 'p', duration_seconds: 60, tasks: ['t1'] }], megatest_version: '0.1.0' },
    { ts: t(1), type: 'agent_started', agent: 'agent-1', role: 'developer' },
    { ts: t(2), type: 'tool_call', agent: 'agent-1', tool: 'file_read', ok: true, duration_ms: 5 },
    ...tokens.map((usage, i) => ({ ts: t(3 + i), type: 'tokens', agent: 'agent-1', model: 'm', ...usage })),
    { ts: t(20), type: 'task_completed', agent: 'agent-1', task: 't1', phase: 'p' },
    { ts: t(21), type: 'session_ended', status: 'completed', exit_code: 0 },
  ];
  return events.map((e, i) => ({ ...e, seq: i + 1 }) as MegatestEvent);
}

const tokensOf = (events: MegatestEvent[]) => events.reduce((n, e) => n + (e.type === 'tokens' ? e.input + e.output : 0), 0);
const snapshotOf = (events: MegatestEvent[]) => {
  const state = foldAll(events);
  return sessionMetricsAt(state, Date.parse(events.at(-1)!.ts), gaugesFromState(state));
};

describe('tokens of a live run that reports none', () => {
  const silent = liveRun('selfware', []);

  it('are not recorded in its snapshots (as the engine and status take them), in runFigures and per agent: null, not 0', () => {
    const snapshot = snapshotOf(silent);
    expect(snapshot).toMatchObject({ total_tokens: null, tokens_per_minute: null, tool_calls: 1 });
    expect(snapshot.agents.map((a) => a.tokens)).toEqual([null]);
    const state = foldAll(silent);
    expect(runFigures(state).totalTokens).toBeNull();
    expect(withRunFigures(snapshot, state)).toMatchObject({ total_tokens: null, tokens_per_minute: null });
  });

  it('are counted from the first token figure on, a reported 0 included; before it the snapshot says not recorded', () => {
    const reporting = liveRun('sim', [{ input: 1200, output: 80 }, { input: 300, output: 20 }]);
    const firstTokens = reporting.findIndex((e) => e.type === 'tokens');
    expect(snapshotOf(reporting.slice(0, firstTokens)).total_tokens).toBeNull();
    expect(snapshotOf(reporting.slice(0, firstTokens + 1)).total_tokens).toBe(tokensOf(reporting.slice(0, firstTokens + 1)));
    expect(snapshotOf(reporting)).toMatchObject({ total_tokens: tokensOf(reporting), tokens_per_minute: expect.any(Number) });
    expect(runFigures(foldAll(reporting)).totalTokens).toBe(tokensOf(reporting));
    // An agent that says it spent 0 tokens has reported a figure: 0, recorded.
    const zero = liveRun('command', [{ input: 0, output: 0 }]);
    expect(snapshotOf(zero).total_tokens).toBe(0);
    expect(runFigures(foldAll(zero)).totalTokens).toBe(0);
  });

  it('compare does not judge them fewer, so not better, than a run that counted its tokens', () => {
    const report = (name: string) => ({ session_id: name, project: 'p', agent_kind: 'selfware', simulated: false, status: 'completed', criteria: [] }) as unknown as FinalReport;
    const counted = liveRun('selfware', [{ input: 117_000, output: 477 }]);
    const runs: CompareRunInput[] = [
      { name: 'counted', state: foldAll(counted), report: report('counted') },
      { name: 'silent', state: foldAll(silent), report: report('silent') },
    ];
    const tokens = compareRuns(runs).rows.find((r) => r.key === 'tokens')!;
    expect(tokens.cells[0]!.value).toBe(tokensOf(counted));
    expect(tokens.cells[1]).toMatchObject({ value: null, verdict: 'n/a' });
  });
});
