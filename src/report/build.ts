// The final report (TestReport) as data, rebuilt from the run folder alone:
// the one fold of events.jsonl (the same that status and the console read)
// and the checkpoints on disk. Nothing is taken from memory or estimated.

import type { CriterionResult } from '../contract/events.js';
import type { SessionStatus } from '../contract/statuses.js';
import { CheckpointStore } from '../checkpoint/store.js';
import { foldEventFile } from '../io/foldLog.js';
import { runPaths } from '../io/runFolder.js';
import { readRunInfo } from '../io/runInfo.js';
import { elapsedMsAt, lastEventMs, tasksCompleted, tasksRemaining, tasksTotal, trustOf } from '../state/runState.js';
import { criticalPassed, evaluateCriteria, type MeasuredFacts } from './criteria.js';
import { finalCriteria } from './finalCriteria.js';

export type Rating = 'excellent' | 'good' | 'target' | 'below target' | 'not measured';

/** The seed's efficiency table: lower is better for each figure. */
export const EFFICIENCY_TABLE = {
  tokens_per_loc: { target: 500, good: 250, excellent: 100, unit: 'tokens/LOC' },
  tool_calls_per_task: { target: 100, good: 50, excellent: 20, unit: 'tool calls/task' },
  build_time_seconds: { target: 300, good: 120, excellent: 30, unit: 's' },
} as const;

export function rate(value: number | null, row: { target: number; good: number; excellent: number }): Rating {
  if (value === null || !Number.isFinite(value)) return 'not measured';
  if (value <= row.excellent) return 'excellent';
  if (value <= row.good) return 'good';
  if (value <= row.target) return 'target';
  return 'below target';
}

export interface FinalReport {
  session_id: string;
  project: string;
  project_name: string;
  agent_kind: string;
  simulated: boolean;
  megatest_version: string;
  status: SessionStatus;
  exit_code: number | null;
  reason: string | null;
  started_at: string | null;
  ended_at: string | null;
  configured_duration_seconds: number;
  elapsed_seconds: number | null;
  verdict: { critical_passed: boolean; passed: number; failed: number };
  criteria: CriterionResult[];
  phases: { name: string; started_at: string | null; ended_at: string | null; passed: boolean | null; criteria: CriterionResult[] }[];
  measurements: {
    lines_of_code: number | null;
    tests_passed: number | null;
    tests_failed: number | null;
    tests_skipped: number | null;
    test_pass_rate: number | null;
    test_coverage: number | null;
    doc_coverage: number | null;
    files_modified: number | null;
    total_tokens: number;
    input_tokens: number;
    output_tokens: number;
    tool_calls: number;
    tasks_completed: number;
    tasks_remaining: number;
    tasks_total: number;
    last_build_ok: boolean | null;
    last_build_seconds: number | null;
  };
  efficiency: Record<keyof typeof EFFICIENCY_TABLE, { value: number | null; rating: Rating; unit: string }>;
  quality: { test_coverage: number | null; doc_coverage: number | null; failed_tests_per_kloc: number | null };
  reliability: {
    checkpoints: number;
    checkpoints_valid: number;
    checkpoints_invalid: { id: string; reason: string }[];
    restores: number;
    errors: number;
    errors_by_class: Record<string, number>;
    recoveries: number;
    recoveries_failed: number;
    limits_hit: number;
  };
  agents: { name: string; role: string; model: string | null; tokens: number; tool_calls: number; trust_score: number }[];
  event_log: { events: number; first_seq: number | null; last_seq: number | null; seq_gaps: number; unreadable_lines: number };
}

export async function buildReport(runDir: string): Promise<FinalReport> {
  const paths = runPaths(runDir);
  const info = readRunInfo(runDir);
  const { state, unreadable } = await foldEventFile(paths.events);
  const checkpoints = await new CheckpointStore(paths.checkpoints).list();
  const invalid = checkpoints.filter((c) => !c.valid).map((c) => ({ id: c.id, reason: c.reason ?? 'invalid' }));

  const m = state.measured;
  const testsTotal = m.testsPassed === null ? null : m.testsPassed + (m.testsFailed ?? 0);
  const passRate = testsTotal ? m.testPassRate : null;
  const total = tasksTotal(state);
  const done = tasksCompleted(state);
  const loc = m.linesOfCode;
  const c = state.counters;
  const facts: MeasuredFacts = {
    build_ok: m.lastBuildOk === null ? null : m.lastBuildOk ? 1 : 0,
    test_pass_rate: passRate,
    test_coverage: m.testCoverage,
    lines_of_code: loc,
    doc_coverage: m.docCoverage,
    tests_total: testsTotal,
    tasks_completed_ratio: total > 0 ? done / total : null,
    fatal_errors: c.fatalErrors,
    checkpoints_valid: invalid.length === 0 ? 1 : 0,
    data_loss_events: state.seqGaps + unreadable,
  };
  const criteria = evaluateCriteria(finalCriteria(info.config, info.template), facts);
  const tokensPerLoc = loc && loc > 0 ? c.totalTokens / loc : null;
  const toolCallsPerTask = done > 0 ? c.toolCalls / done : null;
  const buildSeconds = m.lastBuildMs === null ? null : m.lastBuildMs / 1000;
  const round = (n: number | null, digits = 2) => (n === null ? null : Math.round(n * 10 ** digits) / 10 ** digits);
  // The fold's one clock: active time, the same figure status and the console show.
  const elapsed = state.session ? elapsedMsAt(state, lastEventMs(state)) / 1000 : null;
  const startedAt = state.session ? new Date(state.session.startedAtMs).toISOString() : null;

  return {
    session_id: info.session_id,
    project: info.template.type,
    project_name: info.template.name,
    agent_kind: info.agent_kind,
    simulated: info.simulated,
    megatest_version: info.megatest_version,
    status: state.status ?? 'starting',
    exit_code: state.ended?.exitCode ?? null,
    reason: state.ended?.reason ?? null,
    started_at: startedAt,
    ended_at: state.ended?.ts ?? null,
    configured_duration_seconds: info.config.session.duration_seconds,
    elapsed_seconds: round(elapsed, 1),
    verdict: {
      critical_passed: criticalPassed(criteria),
      passed: criteria.filter((x) => x.passed).length,
      failed: criteria.filter((x) => !x.passed).length,
    },
    criteria,
    phases: state.phases.map((p) => ({ name: p.name, started_at: p.startedAt, ended_at: p.endedAt, passed: p.status === 'passed' ? true : p.status === 'failed' ? false : null, criteria: p.criteria })),
    measurements: {
      lines_of_code: loc,
      tests_passed: m.testsPassed,
      tests_failed: m.testsFailed,
      tests_skipped: m.testsSkipped,
      test_pass_rate: round(passRate, 4),
      test_coverage: m.testCoverage,
      doc_coverage: m.docCoverage,
      files_modified: m.filesModified,
      total_tokens: c.totalTokens,
      input_tokens: c.inputTokens,
      output_tokens: c.outputTokens,
      tool_calls: c.toolCalls,
      tasks_completed: done,
      tasks_remaining: tasksRemaining(state),
      tasks_total: total,
      last_build_ok: m.lastBuildOk,
      last_build_seconds: round(buildSeconds, 3),
    },
    efficiency: {
      tokens_per_loc: { value: round(tokensPerLoc), rating: rate(tokensPerLoc, EFFICIENCY_TABLE.tokens_per_loc), unit: EFFICIENCY_TABLE.tokens_per_loc.unit },
      tool_calls_per_task: {
        value: round(toolCallsPerTask),
        rating: rate(toolCallsPerTask, EFFICIENCY_TABLE.tool_calls_per_task),
        unit: EFFICIENCY_TABLE.tool_calls_per_task.unit,
      },
      build_time_seconds: {
        value: round(buildSeconds, 3),
        rating: rate(buildSeconds, EFFICIENCY_TABLE.build_time_seconds),
        unit: EFFICIENCY_TABLE.build_time_seconds.unit,
      },
    },
    quality: {
      test_coverage: m.testCoverage,
      doc_coverage: m.docCoverage,
      failed_tests_per_kloc: m.testsFailed !== null && loc && loc > 0 ? round((m.testsFailed * 1000) / loc) : null,
    },
    reliability: {
      checkpoints: checkpoints.length,
      checkpoints_valid: checkpoints.length - invalid.length,
      checkpoints_invalid: invalid,
      restores: c.restores,
      errors: c.errors,
      errors_by_class: c.errorsByClass,
      recoveries: c.recoveriesSucceeded,
      recoveries_failed: c.recoveriesFailed,
      limits_hit: c.limits,
    },
    agents: state.agents.map((a) => ({
      name: a.name,
      role: a.role,
      model: a.model,
      tokens: a.tokens,
      tool_calls: a.toolCalls,
      trust_score: round(trustOf(a) ?? 1, 4)!,
    })),
    event_log: {
      events: state.eventsApplied,
      first_seq: state.firstSeq,
      last_seq: state.eventsApplied > 0 ? state.lastSeq : null,
      seq_gaps: state.seqGaps,
      unreadable_lines: unreadable,
    },
  };
}
