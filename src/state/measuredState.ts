// What a run measured and spent, as the fold keeps it (runState.ts holds
// the rest of the run state and re-exports these): the figures the
// measuring tools last gave about project/, which roll back with a restore,
// and the running counters, which never do.

import type { SessionMetrics } from '../contract/metrics.js';

/** The snapshot figures a snapshot may leave out (null): a torn legacy snapshot keeps the ones an earlier one recorded. */
export const RECORDED_FIGURES = [
  'total_tokens',
  'tokens_per_minute',
  'tasks_completed',
  'tasks_remaining',
  'test_pass_rate',
  'test_coverage',
  'lines_of_code',
  'checkpoint_count',
  'errors_encountered',
  'recoveries',
] as const satisfies readonly (keyof SessionMetrics)[];
export type RecordedFigure = (typeof RECORDED_FIGURES)[number];
/** Absent: no snapshot recorded the figure. */
export type RecordedFigures = Partial<Record<RecordedFigure, number>>;

/** What the measuring tools last said about project/. Rolls back with a restore. */
export interface Measured {
  linesOfCode: number | null;
  docCoverage: number | null;
  filesModified: number | null;
  testsPassed: number | null;
  testsFailed: number | null;
  testsSkipped: number | null;
  /** Of testsPassed, the tests that passed only on a rerun (test_run's flaky). */
  testsFlaky: number | null;
  /** passed / (passed + failed), 0..1. */
  testPassRate: number | null;
  /** Line coverage, 0..100. */
  testCoverage: number | null;
  lastBuildOk: boolean | null;
  lastBuildMs: number | null;
  /** A build failed after the last test run: the test figures are of older code. */
  testsBeforeFailedBuild: boolean;
  /** The last test run gave no results (test_run's problem): why; the test figures are null until one does. */
  testsProblem: string | null;
  /** The last test run gave results but no coverage (test_run's coverage_problem): why. */
  coverageProblem: string | null;
  /** The last benchmark run (benchmark events): its ops/s, or why it gave none. Null before the first. */
  lastBenchmark: { opsPerSecond: number | null; problem: string | null } | null;
}

/** Running counters: what was spent and seen. They never roll back. */
export interface Counters {
  totalTokens: number;
  inputTokens: number;
  outputTokens: number;
  toolCalls: number;
  toolCallsFailed: number;
  errors: number;
  errorsByClass: Record<string, number>;
  fatalErrors: number;
  recoveriesStarted: number;
  recoveriesSucceeded: number;
  recoveriesFailed: number;
  /** Agents' lines that broke their protocol, all agents (the parse_failure events' counts). */
  protocolErrors: number;
  /** Recovery events per action (restore_checkpoint, resolve_conflict, reassign, …); failed includes gave_up. */
  recoveriesByAction: Record<string, { started: number; succeeded: number; failed: number }>;
  /** Tokens and cost per model, by the model each tokens event names ('' when it names none). */
  byModel: Record<string, ModelUsage>;
  limits: number;
  /** Limit events per limit kind (tokens_per_hour, idle_time, disk …): what "limits hit" was made of. */
  limitsByKind: Record<string, number>;
  compressions: number;
  votes: number;
  commands: number;
  alerts: number;
  checkpoints: number;
  restores: number;
  builds: number;
  buildsOk: number;
  testRuns: number;
}

/** What one model spent: the sums of the tokens events that name it. */
export interface ModelUsage {
  input: number;
  output: number;
  /** USD the agents reported (Claude's result.total_cost_usd); null when no event for this model carried a cost. */
  costUsd: number | null;
}

/** A recovery whose `started` has no outcome (succeeded, failed, gave_up) yet. */

export function emptyMeasured(): Measured {
  return {
    linesOfCode: null,
    docCoverage: null,
    filesModified: null,
    testsPassed: null,
    testsFailed: null,
    testsSkipped: null,
    testsFlaky: null,
    testPassRate: null,
    testCoverage: null,
    lastBuildOk: null,
    lastBuildMs: null,
    lastBenchmark: null,
    testsBeforeFailedBuild: false,
    testsProblem: null,
    coverageProblem: null,
  };
}

export function emptyCounters(): Counters {
  return {
    totalTokens: 0,
    inputTokens: 0,
    outputTokens: 0,
    toolCalls: 0,
    toolCallsFailed: 0,
    errors: 0,
    errorsByClass: {},
    fatalErrors: 0,
    recoveriesStarted: 0,
    recoveriesSucceeded: 0,
    recoveriesFailed: 0,
    protocolErrors: 0,
    recoveriesByAction: {},
    byModel: {},
    limits: 0,
    limitsByKind: {},
    compressions: 0,
    votes: 0,
    commands: 0,
    alerts: 0,
    checkpoints: 0,
    restores: 0,
    builds: 0,
    buildsOk: 0,
    testRuns: 0,
  };
}
