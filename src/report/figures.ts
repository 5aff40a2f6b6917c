// The run's headline figures as readings of the one fold, for the report,
// `status` and `compare` alike. A megatest run's figures come from its
// events (tokens, tool calls, test runs, tasks). A run converted from the
// original runner has none of those events: its runner only wrote
// snapshots, so each figure is the latest snapshot's that recorded it (folded
// as `metrics` events: RunState.recordedFigures), and what it never recorded (tool calls, the input/output split,
// test counts) is null, never 0, unless the Bash runner's session.log holds
// selfware's own output, from which they are counted.

import type { SessionMetrics } from '../contract/metrics.js';
import { isLegacySession, legacyRunnerOf } from '../legacy/marker.js';
import { tasksCompleted, tasksRemaining, tasksTotal, usageRecorded, type RunState } from '../state/runState.js';

export interface RunFigures {
  legacy: boolean;
  totalTokens: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  toolCalls: number | null;
  tasksCompleted: number | null;
  tasksRemaining: number | null;
  tasksTotal: number | null;
  testsPassed: number | null;
  testsFailed: number | null;
  testsSkipped: number | null;
  /** 0..1 */
  testPassRate: number | null;
  /** percent 0..100 */
  testCoverage: number | null;
  linesOfCode: number | null;
  /** Errors recorded; null for a legacy run whose runner counted none (the Bash runner keeps no snapshots). */
  errors: number | null;
  /**
   * Checkpoints taken. A legacy run's: its runner's own count (the latest snapshot's, the Bash final report's) or its
   * checkpoint files, whichever is more (test_runner.py takes its last after its last snapshot); null when it recorded neither.
   */
  checkpoints: number | null;
  /** Recoveries that succeeded; null for a legacy run whose runner's log (test_session.log, where they are recorded) was not found. */
  recoveries: number | null;
}

const orNull = (value: number | null | undefined): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

export function runFigures(state: RunState): RunFigures {
  const m = state.measured;
  if (!isLegacySession(state)) {
    const testsTotal = m.testsPassed === null ? null : m.testsPassed + (m.testsFailed ?? 0);
    // No agent has reported a token figure (output that carries none, live or imported): the count is unknown, not 0.
    // Read from the fold, not the last snapshot, which lags the first report by up to a snapshot interval.
    const usage = usageRecorded(state) ? state.counters : null;
    return {
      legacy: false,
      totalTokens: usage?.totalTokens ?? null,
      inputTokens: usage?.inputTokens ?? null,
      outputTokens: usage?.outputTokens ?? null,
      toolCalls: state.counters.toolCalls,
      tasksCompleted: tasksCompleted(state),
      tasksRemaining: tasksRemaining(state),
      tasksTotal: tasksTotal(state),
      testsPassed: m.testsPassed,
      testsFailed: m.testsFailed,
      testsSkipped: m.testsSkipped,
      testPassRate: testsTotal ? m.testPassRate : null,
      testCoverage: m.testCoverage,
      linesOfCode: m.linesOfCode,
      errors: state.counters.errors,
      checkpoints: state.counters.checkpoints,
      recoveries: state.counters.recoveriesSucceeded,
    };
  }
  // Each figure as the latest snapshot that recorded it: a torn last snapshot (killed mid-write) leaves out figures an
  // earlier one recorded, and those stand (it read "errors n/a, LOC n/a" beside the errors the earlier snapshots counted).
  const recorded = state.recordedFigures;
  // run_mega_test.sh's session.log holds selfware's own output: when it said anything, the converted run has its agent
  // (src/legacy/agentOutput.ts), and its tool calls, tasks and (with --show-tokens) tokens are counted from it.
  const agentOutput = state.agents.length > 0;
  const usage = agentOutput && Object.keys(state.counters.byModel).length > 0 ? state.counters : null;
  const done = orNull(recorded.tasks_completed) ?? (agentOutput ? tasksCompleted(state) : null);
  // test_runner.py writes tasks_remaining 0 and never updates it (docs/legacy.md): a 0 it never counted, not a backlog done.
  const left = legacyRunnerOf(state) === 'python' ? null : orNull(recorded.tasks_remaining);
  return {
    legacy: true,
    totalTokens: orNull(recorded.total_tokens) ?? usage?.totalTokens ?? null,
    inputTokens: usage?.inputTokens ?? null,
    outputTokens: usage?.outputTokens ?? null,
    toolCalls: agentOutput ? state.counters.toolCalls : null,
    tasksCompleted: done,
    tasksRemaining: left,
    tasksTotal: done !== null && left !== null ? done + left : null,
    testsPassed: null,
    testsFailed: null,
    testsSkipped: null,
    testPassRate: orNull(recorded.test_pass_rate),
    testCoverage: orNull(recorded.test_coverage),
    linesOfCode: m.linesOfCode,
    // Counted from its snapshots' errors_encountered (the Python runner) or the agent's own output; the Bash runner recorded none.
    errors: recorded.errors_encountered !== undefined || agentOutput ? state.counters.errors : null,
    // A Bash run writes no checkpoint file the conversion makes an event of: a count of checkpoint events read its 7 as 0.
    checkpoints: legacyCheckpointCount(recorded.checkpoint_count, state.counters.checkpoints),
    // The conversion's snapshots count them where the runner's log was read (src/legacy/assemble.ts).
    recoveries: recorded.recoveries !== undefined ? state.counters.recoveriesSucceeded : null,
  };
}

function legacyCheckpointCount(counted: number | undefined, files: number): number | null {
  if (counted !== undefined) return Math.max(counted, files);
  return files > 0 ? files : null;
}


/**
 * A status snapshot (sessionMetricsAt's) with the run's figures as runFigures
 * reads them: for a megatest run the same numbers; for a legacy run its
 * latest snapshot's that recorded each figure, and null where its runner recorded nothing.
 */
export function withRunFigures(metrics: SessionMetrics, state: RunState): SessionMetrics {
  const f = runFigures(state);
  if (!f.legacy) {
    // What was never measured stays n/a rather than the snapshot's 0 (an import measures no project), and
    // a run whose own snapshots recorded no rate (an import on a line-order clock) has none now either.
    const noRate = state.metrics !== null && state.metrics.tokens_per_minute === null;
    // Memory, disk and files modified as the last snapshot measured them: none measured (an import's
    // snapshots, or none yet) is n/a, not the 0 a reading of the fold alone gives.
    const measured = (value: number | null | undefined) => (typeof value === 'number' && Number.isFinite(value) ? value : null);
    // An import in line order has no durations: its times give the order of its lines.
    const timeless = state.session?.timesLineOrder === true;
    return {
      ...metrics,
      ...(timeless ? { elapsed_seconds: null, estimated_remaining: null } : {}),
      memory_usage_mb: measured(state.metrics?.memory_usage_mb),
      disk_usage_bytes: measured(state.metrics?.disk_usage_bytes),
      files_modified: measured(state.measured.filesModified),
      lines_of_code: f.linesOfCode ?? null,
      total_tokens: f.totalTokens ?? null,
      // No test run measured (an import runs none): the counts are unknown, not 0.
      ...(f.testsPassed === null ? { tests_passed: null, tests_failed: null } : {}),
      ...(noRate || f.totalTokens === null ? { tokens_per_minute: null } : {}),
      agents: agentsWithUsage(metrics.agents, f),
    };
  }
  const given = (value: number | null | undefined) => (typeof value === 'number' && Number.isFinite(value) ? value : null);
  return {
    ...metrics,
    total_tokens: given(f.totalTokens),
    tokens_per_minute: given(state.recordedFigures.tokens_per_minute),
    tasks_completed: given(f.tasksCompleted),
    tasks_remaining: given(f.tasksRemaining),
    test_pass_rate: f.testPassRate,
    tests_passed: null,
    tests_failed: null,
    test_coverage: f.testCoverage,
    lines_of_code: given(f.linesOfCode),
    tool_calls: given(f.toolCalls),
    errors_encountered: given(f.errors),
    checkpoint_count: given(f.checkpoints),
    recoveries: given(f.recoveries),
    // Neither runner held votes, and neither planned a length that no file records: no time left is reckoned against one.
    consensus_votes_cast: null,
    ...(state.session !== null && !((state.session.durationSeconds ?? 0) > 0) ? { estimated_remaining: null } : {}),
    memory_usage_mb: null,
    disk_usage_bytes: null,
    files_modified: null,
    agents: agentsWithUsage(metrics.agents, f),
  };
}

/** The agents' tokens are unknown, not 0, where the run recorded no usage at all (as the report's agent table has them). */
function agentsWithUsage(agents: SessionMetrics['agents'], f: RunFigures): SessionMetrics['agents'] {
  return f.totalTokens === null ? agents.map((agent) => ({ ...agent, tokens: null })) : agents;
}
