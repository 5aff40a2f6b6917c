// SessionMetrics (DESIGN §6) as a reading of the fold: the orchestrator's
// live snapshot, `megatest status` from the files and the control API all
// call this, so tasks done/left, elapsed and tokens agree everywhere. What
// the fold cannot know (memory of the processes, disk use, per-agent
// context, status word) comes in as gauges, measured by whoever calls.

import type { AgentMetrics, SessionMetrics } from '../contract/metrics.js';
import type { SessionStatus } from '../contract/statuses.js';
import { currentPhase, elapsedSecondsAt, remainingSecondsAt, tasksCompleted, tasksRemaining, tokensPerMinuteAt, trustOf, usageRecorded, utilizationAt } from './readings.js';
import type { RunState } from './runState.js';

export interface SnapshotGauges {
  status: SessionStatus;
  linesOfCode: number | null;
  docCoverage: number | null;
  filesModified: number | null;
  memoryUsageMb: number;
  diskUsageBytes: number;
  /** Per agent: its latest context report and the window it may use. */
  agents: Record<string, { role?: string; model?: string | null; contextTokens: number | null; maxContextTokens: number }>;
}

/** Gauges as the last recorded snapshot left them: for a reader of the files. */
export function gaugesFromState(state: RunState): SnapshotGauges {
  const m = state.metrics;
  return {
    status: state.status ?? 'starting',
    linesOfCode: state.measured.linesOfCode,
    docCoverage: state.measured.docCoverage,
    filesModified: state.measured.filesModified,
    memoryUsageMb: m?.memory_usage_mb ?? 0,
    diskUsageBytes: m?.disk_usage_bytes ?? 0,
    agents: Object.fromEntries(
      state.agents.map((a) => [a.name, { contextTokens: a.contextTokens, maxContextTokens: a.maxContextTokens ?? 0 }]),
    ),
  };
}

const round2 = (n: number) => Math.round(n * 100) / 100;


export function sessionMetricsAt(state: RunState, nowMs: number, gauges: SnapshotGauges): SessionMetrics {
  // Until an agent reports a token figure the tokens are unknown: an agent that prints none (selfware without
  // --show-tokens) spent tokens all the same, and a 0 compared as "fewer tokens, better".
  const usage = usageRecorded(state);
  const byName = new Map(state.agents.map((a) => [a.name, a]));
  const names = [...new Set([...state.agents.map((a) => a.name), ...Object.keys(gauges.agents)])];
  const agents: AgentMetrics[] = names.map((name) => {
    const a = byName.get(name);
    const g = gauges.agents[name];
    return {
      name,
      role: a?.role || g?.role || '',
      status: a?.status ?? 'starting',
      task: a?.task ?? null,
      model: a?.model ?? g?.model ?? null,
      tokens: usage ? (a?.tokens ?? 0) : null,
      tool_calls: a?.toolCalls ?? 0,
      utilization: a ? utilizationAt(a, nowMs) : 0,
      trust_score: (a && trustOf(a)) ?? 1,
      idle_seconds: a ? Math.max(0, Math.round((nowMs - a.lastActivityMs) / 1000)) : 0,
      context_tokens: g?.contextTokens ?? a?.contextTokens ?? null,
      max_context_tokens: g?.maxContextTokens ?? a?.maxContextTokens ?? 0,
    };
  });
  const measured = state.measured;
  const testsRun = measured.testsPassed !== null;
  return {
    session_id: state.session?.sessionId ?? '',
    timestamp: new Date(nowMs).toISOString(),
    elapsed_seconds: Math.round(elapsedSecondsAt(state, nowMs)),
    estimated_remaining: Math.round(remainingSecondsAt(state, nowMs)),
    phase: currentPhase(state)?.name ?? '',
    status: gauges.status,
    total_tokens: usage ? state.counters.totalTokens : null,
    // A paused run's is the rate as the pause began (as the console's chart): a window running down over the pause
    // printed a falling rate every headless line of a session where nothing happened.
    tokens_per_minute: usage ? tokensPerMinuteAt(state, state.status === 'paused' && state.pause ? Math.min(nowMs, Date.parse(state.pause.since)) : nowMs) : null,
    tasks_completed: tasksCompleted(state),
    tasks_remaining: tasksRemaining(state),
    test_pass_rate: measured.testPassRate,
    // Not measured is null, never a 0 that reads as a measured one (DESIGN §6: each figure is measured).
    tests_passed: testsRun ? measured.testsPassed : null,
    tests_failed: testsRun ? (measured.testsFailed ?? 0) : null,
    lines_of_code: gauges.linesOfCode,
    test_coverage: measured.testCoverage === null ? null : round2(measured.testCoverage),
    doc_coverage: gauges.docCoverage === null ? null : round2(gauges.docCoverage),
    files_modified: gauges.filesModified,
    tool_calls: state.counters.toolCalls,
    checkpoint_count: state.counters.checkpoints,
    errors_encountered: state.counters.errors,
    recoveries: state.counters.recoveriesSucceeded,
    consensus_votes_cast: state.counters.votes,
    memory_usage_mb: gauges.memoryUsageMb,
    disk_usage_bytes: gauges.diskUsageBytes,
    agents,
  };
}
