// A whole FinalReport for render tests: every section present, figures not
// measured, the status, criteria and phases as the test gives them.

import type { CriterionResult } from '../../src/contract/events.js';
import type { SessionStatus } from '../../src/contract/statuses.js';
import { EFFICIENCY_TABLE, type FinalReport } from '../../src/report/report.js';

export function criterion(id: string, level: CriterionResult['level'], passed: boolean): CriterionResult {
  return { id, description: `criterion ${id}`, level, passed, evidence: `${id} ${passed ? 'met' : 'not met'}` };
}

/** The exit code the orchestrator gives a run that ended so (DESIGN §2). */
function exitCodeOf(status: SessionStatus, criticalPassed: boolean): number {
  if (status === 'completed') return criticalPassed ? 0 : 1;
  if (status === 'timeout') return 124;
  if (status === 'interrupted') return 130;
  return 1;
}

export function fakeReport(status: SessionStatus, criteria: CriterionResult[], phases: FinalReport['phases'] = [], extra: Partial<FinalReport> = {}): FinalReport {
  const criticalPassed = criteria.every((c) => c.level !== 'critical' || c.passed);
  const notMeasured = { value: null, rating: 'not measured' as const };
  return {
    session_id: 's1',
    project: 'task_queue',
    project_name: 'RedQueue',
    agent_kind: 'sim',
    simulated: true,
    megatest_version: '0.0.0',
    status,
    exit_code: exitCodeOf(status, criticalPassed),
    reason: status === 'timeout' ? 'duration limit reached in phase 3 of 4' : null,
    started_at: null,
    ended_at: null,
    configured_duration_seconds: 60,
    elapsed_seconds: 61.2,
    verdict: { critical_passed: criticalPassed, passed: criteria.filter((c) => c.passed).length, failed: criteria.filter((c) => !c.passed).length },
    loc_target_scale: null,
    criteria,
    phases,
    measurements: {
      lines_of_code: null,
      tests_passed: null,
      tests_failed: null,
      tests_skipped: null,
      tests_problem: null,
      test_pass_rate: null,
      test_coverage: null,
      doc_coverage: null,
      files_modified: null,
      total_tokens: null,
      input_tokens: null,
      output_tokens: null,
      tool_calls: null,
      cost_usd: null,
      tasks_completed: null,
      tasks_remaining: null,
      tasks_total: null,
      last_build_ok: null,
      last_build_seconds: null,
      ops_per_second: null,
      benchmark_problem: null,
    },
    efficiency: {
      tokens_per_loc: { ...notMeasured, unit: EFFICIENCY_TABLE.tokens_per_loc.unit },
      tool_calls_per_task: { ...notMeasured, unit: EFFICIENCY_TABLE.tool_calls_per_task.unit },
      build_time_seconds: { ...notMeasured, unit: EFFICIENCY_TABLE.build_time_seconds.unit },
    },
    quality: { test_coverage: null, doc_coverage: null, failed_tests_per_kloc: null },
    reliability: {
      checkpoints: 0,
      checkpoints_valid: 0,
      checkpoints_invalid: [],
      restores: 0,
      resumes: 0,
      errors: 0,
      errors_by_class: {},
      recoveries: 0,
      recoveries_failed: 0,
      recoveries_started: 0,
      recoveries_open: 0,
      protocol_errors: 0,
      recoveries_by_action: {},
      limits_hit: 0,
      limits_by_kind: {},
    },
    agents: [],
    models: [],
    event_log: { events: 0, first_seq: null, last_seq: null, seq_gaps: 0, seq_repeats: 0, unreadable_lines: 0 },
    ...extra,
  };
}
