// The final report (TestReport) as data, rebuilt from the run folder alone:
// the one fold of events.jsonl (the same that status and the console read)
// and the checkpoints on disk. Nothing is taken from memory or estimated.

import { BANDS, rateBand, type Band, type BandRating } from './bands.js';
import type { AgentCapabilities, CriterionResult } from '../contract/events.js';
import type { SessionStatus } from '../contract/statuses.js';
import { CheckpointStore } from '../checkpoint/store.js';
import { foldRunFolder, type FoldedRun } from '../io/foldLog.js';
import { runPaths } from '../io/runFolder.js';
import { readRunInfo, type ImportedFrom } from '../io/runInfo.js';
import { legacyRunnerOf } from '../legacy/marker.js';
import type { ReplayDamage } from '../replay/types.js';
import { recordedDurationSeconds, trustOf, type RunState } from '../state/runState.js';
import { modelTallies, reportedCostUsd } from '../state/tallies.js';
import { criticalPassed, evaluateCriteria, testsUnmeasured, type MeasuredFacts } from './criteria.js';
import { runFigures } from './figures.js';
import { criteriaForALegacyRun, criteriaForAnImport, finalCriteria, type CriterionNotJudged } from './finalCriteria.js';
import { locScaleFor } from './locScale.js';
import { legacyCheckpoints, legacyReportInfo } from './legacySource.js';

export type Rating = BandRating;

/** The report's efficiency figures, each rated by its band (bands.ts, the one table compare rates by too), in its unit. */
export const EFFICIENCY_TABLE = {
  tokens_per_loc: { band: BANDS.tokens_per_loc, unit: 'tokens/LOC' },
  tool_calls_per_task: { band: BANDS.tool_calls_per_task, unit: 'tool calls/task' },
  build_time_seconds: { band: BANDS.build_time_seconds, unit: 's' },
} as const;

/** Why the benchmark criterion has no figure: the last run's problem, or that none ran (a gate's build failed, or no gate came). */
function benchmarkProblem(last: RunState['measured']['lastBenchmark']): string {
  return last === null ? 'no benchmark ran (it runs at each phase gate after the tests, when the build passed)' : `the benchmark ${last.problem ?? 'gave no figure'}`;
}

export function rate(value: number | null, row: { band: Band }): Rating {
  return rateBand(value, row.band);
}

export interface FinalReport {
  session_id: string;
  project: string;
  project_name: string;
  agent_kind: string;
  simulated: boolean;
  /** A branch: the run and checkpoint it goes on from (absent otherwise). */
  branched_from?: { run: string; checkpoint: string };
  megatest_version: string;
  status: SessionStatus;
  exit_code: number | null;
  reason: string | null;
  started_at: string | null;
  ended_at: string | null;
  /** null: a legacy run whose files record no planned length. */
  configured_duration_seconds: number | null;
  elapsed_seconds: number | null;
  verdict: { critical_passed: boolean; passed: number; failed: number };
  /** Set when the run is shorter than the phases' nominal length: its lines-of-code targets are scaled by `factor`. */
  loc_target_scale: { factor: number; nominal_seconds: number; duration_seconds: number } | null;
  criteria: CriterionResult[];
  /** Present for an import (no project, no checkpoints) and a legacy run (figures its runner did not record): the final criteria it cannot answer, left out of the verdict. */
  criteria_not_judged?: CriterionNotJudged[];
  phases: { name: string; started_at: string | null; ended_at: string | null; passed: boolean | null; criteria: CriterionResult[] }[];
  measurements: {
    lines_of_code: number | null;
    tests_passed: number | null;
    tests_failed: number | null;
    tests_skipped: number | null;
    /** Of tests_passed, the tests that passed only on a rerun (the last test run's flaky); null where tests_passed is. */
    tests_flaky?: number | null;
    /** Why the last test run gave no results (its test_run's problem); the test figures are then null. Null otherwise. */
    tests_problem: string | null;
    test_pass_rate: number | null;
    test_coverage: number | null;
    doc_coverage: number | null;
    files_modified: number | null;
    /** null: a legacy run whose runner did not record the figure. */
    total_tokens: number | null;
    input_tokens: number | null;
    output_tokens: number | null;
    tool_calls: number | null;
    /** What the agents said the work cost, USD, summed over models (Claude Code reports it); null when none reported a cost. */
    cost_usd: number | null;
    tasks_completed: number | null;
    tasks_remaining: number | null;
    tasks_total: number | null;
    last_build_ok: boolean | null;
    last_build_seconds: number | null;
    /** The last benchmark's figure ([project.performance] benchmark_command), ops/s; null when none ran or it printed none (`benchmark_problem` says why). */
    ops_per_second: number | null;
    benchmark_problem: string | null;
  };
  efficiency: Record<keyof typeof EFFICIENCY_TABLE, { value: number | null; rating: Rating; unit: string }>;
  quality: { test_coverage: number | null; doc_coverage: number | null; failed_tests_per_kloc: number | null };
  reliability: {
    /** null for a legacy run whose runner recorded no count and left no checkpoint file. */
    checkpoints: number | null;
    /** null for a legacy run: its checkpoints hold no files or checksums to verify (those unreadable are still listed below). */
    checkpoints_valid: number | null;
    checkpoints_invalid: { id: string; reason: string }[];
    restores: number;
    /** `megatest resume`s the run went through: each carried it on from a checkpoint, after its orchestrator stopped or into a branch. */
    resumes: number;
    /** null for a legacy run whose runner counted none (the Bash runner). */
    errors: number | null;
    errors_by_class: Record<string, number>;
    /** null for a legacy run whose runner's log (test_session.log, where its recoveries are recorded) was not found. */
    recoveries: number | null;
    recoveries_failed: number;
    /** Recoveries started (outcome `started`); each ends succeeded, failed or gave up. */
    recoveries_started: number;
    /** Started and never ended: only a run whose orchestrator was killed and not resumed has any. */
    recoveries_open: number;
    /** Lines the agents printed that broke their protocol (malformed, binary, out-of-bounds numbers, tasks not theirs). */
    protocol_errors: number;
    /** Per recovery action: attempts started, succeeded, failed or gave up (e.g. resolve_conflict, reassign). */
    recoveries_by_action: Record<string, { started: number; succeeded: number; failed: number }>;
    limits_hit: number;
    /** Limit events per kind (tokens_per_hour, tool_calls_per_hour, idle_time, total_token_budget, disk_space …). */
    limits_by_kind: Record<string, number>;
  };
  agents: {
    name: string;
    role: string;
    model: string | null;
    /** null when the run recorded no token usage at all (an import of output that carries none). */
    tokens: number | null;
    tool_calls: number;
    /** Share of its tool calls that succeeded, 0..1; null with no tool call to judge by (the console shows –). */
    trust_score: number | null;
    /** Lines of this agent that broke its protocol. */
    protocol_errors: number;
    /** What the agent could do when asked; null for a log older than capabilities. */
    capabilities: AgentCapabilities | null;
  }[];
  /**
   * Which model did which tasks, with its tokens and cost: tasks by the agent's model when it completed them,
   * tokens and cost by the model each tokens event named ("" when none). cost_usd is null when no agent reported cost.
   */
  models: { model: string; tasks: string[]; input_tokens: number | null; output_tokens: number | null; total_tokens: number | null; cost_usd: number | null }[];
  /** seq_repeats: places where the seq repeated or went back (the fold skips those events). */
  event_log: {
    events: number;
    first_seq: number | null;
    last_seq: number | null;
    seq_gaps: number;
    seq_repeats: number;
    unreadable_lines: number;
    /** Well-formed lines of event types this megatest does not know (a newer one wrote them): skipped, no damage; their types. */
    unknown_type_lines?: number;
    unknown_types?: string[];
  };
  /** Present for a run folder of the original Python/Bash runner, read through src/legacy/ (never written into). */
  legacy?: { runner: string; damage: ReplayDamage[] };
  /** Present for a run folder `megatest import` made from recorded agent output: the files, and whether its times are the stream's or line order. */
  imported?: ImportedFrom;
}

/** The provenance `megatest import` wrote into config.json; undefined for a run megatest ran, or a legacy one. */
function importedFrom(info: object): ImportedFrom | undefined {
  return 'imported' in info ? (info.imported as ImportedFrom | undefined) : undefined;
}

/** The report of a run folder; `folded` is its fold when the caller has it already (compare reads both). */
export async function buildReport(runDir: string, folded?: FoldedRun): Promise<FinalReport> {
  const paths = runPaths(runDir);
  const { state, unreadable, unknownTypes, seqRepeats, legacy } = folded ?? (await foldRunFolder(paths.root));
  const info = legacy ? legacyReportInfo(state) : readRunInfo(runDir);
  // Only checkpoints that verify count as valid: every blob read back against its sha256, as a restore would.
  const checkpoints = legacy ? legacyCheckpoints(state, legacy.damage) : await verifiedCheckpoints(paths.checkpoints);
  const invalid = checkpoints.filter((c) => !c.valid).map((c) => ({ id: c.id, reason: c.reason ?? 'invalid' }));

  const m = state.measured;
  const figures = runFigures(state);
  // A build that failed after the last test run: that run measured older code, and the criteria are not judged on it.
  const testsOutdated = m.testsBeforeFailedBuild === true;
  const testsTotal = figures.testsPassed === null ? null : figures.testsPassed + (figures.testsFailed ?? 0);
  const passRate = figures.testPassRate;
  const total = figures.tasksTotal;
  const done = figures.tasksCompleted;
  const loc = figures.linesOfCode;
  const c = state.counters;
  const facts: MeasuredFacts = {
    build_ok: m.lastBuildOk === null ? null : m.lastBuildOk ? 1 : 0,
    test_pass_rate: testsOutdated ? null : passRate,
    test_coverage: testsOutdated ? null : figures.testCoverage,
    lines_of_code: loc,
    doc_coverage: m.docCoverage,
    tests_total: testsOutdated ? null : testsTotal,
    tasks_completed_ratio: total && done !== null ? done / total : null,
    // the original runner did not tell a fatal error from another
    fatal_errors: legacy ? null : c.fatalErrors,
    // A legacy checkpoint holds nothing to verify (test_runner.py's: its metrics and a git commit id; the Bash runner's are not
    // in the folder): not judged, as an import's. It passed with nothing verified.
    checkpoints_valid: legacy ? null : invalid.length === 0 ? 1 : 0,
    // A lost event is a gap in seq (a damaged event line leaves one); an unreadable line with no gap around it (junk
    // appended or inserted, a torn line after the last event) lost nothing, and is listed in event_log.unreadable_lines.
    // It failed the criterion, and `report` rewrote a passing run's report as failed. A legacy run has no event log of
    // its own: what was lost is in its damaged files.
    // An event whose seq repeats or goes back is one of two writers' (two orchestrators on one folder): the log is not one log.
    // Of its damage, only what lost something: a value read whole all the same (a count the Bash runner wrote as two
    // lines) is listed, and failed a completed run as "data_loss_events 1 == 0".
    data_loss_events: legacy ? legacy.damage.filter((d) => d.recovered !== true).length : state.seqGaps + seqRepeats,
    ops_per_second: m.lastBenchmark?.opsPerSecond ?? null,
  };
  // A session whose tests never ran (no test command, a stop before the first gate) has no test figures either.
  const noTestResults = !legacy && c.testRuns === 0 && passRate === null;
  const unmeasured = {
    ...(testsOutdated
      ? testsUnmeasured('the last build failed after the last test run')
      : m.testsProblem !== null
        ? testsUnmeasured(`the last test run gave no results: ${m.testsProblem}`)
        : noTestResults
        ? testsUnmeasured('no test run of the session gave results (session.log says why where one ran)')
        : {
            ...(!legacy && testsTotal === 0 ? { test_pass_rate: `the last test run passed or failed no test (${m.testsSkipped ?? 0} skipped): there is no rate of none` } : {}),
            ...(m.coverageProblem !== null ? { test_coverage: `the last test run gave no coverage: ${m.coverageProblem}` } : {}),
          }),
    ops_per_second: benchmarkProblem(m.lastBenchmark),
  };
  const imported = importedFrom(info);
  // An import judges no lines of code, so no target is scaled to its length.
  const configured = finalCriteria(info.config, info.template, { scaleLoc: !imported });
  const { judged, notJudged } = imported ? criteriaForAnImport(configured) : legacy ? criteriaForALegacyRun(configured, facts, { plannedLengthRecorded: info.config.session.duration_seconds > 0 }) : { judged: configured, notJudged: null };
  const criteria = evaluateCriteria(judged, facts, unmeasured);
  const locScale = imported ? null : locScaleFor(info.config.session.duration_seconds, info.config.phases);
  const tokensPerLoc = loc && loc > 0 && figures.totalTokens !== null ? figures.totalTokens / loc : null;
  // No usage recorded (runFigures): the agents' and models' counts are unknown too, not 0.
  const usageRecorded = figures.totalTokens !== null;
  const toolCallsPerTask = done && figures.toolCalls !== null ? figures.toolCalls / done : null;
  const buildSeconds = m.lastBuildMs === null ? null : m.lastBuildMs / 1000;
  const round = (n: number | null, digits = 2) => (n === null ? null : Math.round(n * 10 ** digits) / 10 ** digits);
  // The fold's one clock: active time, the same figure status and the console show.
  const elapsed = recordedDurationSeconds(state);
  const startedAt = state.session ? new Date(state.session.startedAtMs).toISOString() : null;

  return {
    session_id: info.session_id,
    project: info.template.type,
    project_name: info.template.name,
    agent_kind: info.agent_kind,
    simulated: info.simulated,
    ...(state.session?.resumedFrom ? { branched_from: state.session.resumedFrom } : {}),
    megatest_version: info.megatest_version,
    status: state.status ?? 'starting',
    exit_code: state.ended?.exitCode ?? null,
    reason: state.ended?.reason ?? null,
    started_at: startedAt,
    ended_at: state.ended?.ts ?? null,
    configured_duration_seconds: legacy && !(info.config.session.duration_seconds > 0) ? null : info.config.session.duration_seconds,
    elapsed_seconds: round(elapsed, 1),
    verdict: {
      critical_passed: criticalPassed(criteria),
      passed: criteria.filter((x) => x.passed).length,
      failed: criteria.filter((x) => !x.passed).length,
    },
    loc_target_scale: locScale
      ? { factor: Math.round(locScale.factor * 1e6) / 1e6, nominal_seconds: locScale.nominalSeconds, duration_seconds: locScale.durationSeconds }
      : null,
    criteria,
    ...(notJudged ? { criteria_not_judged: notJudged } : {}),
    phases: state.phases.map((p) => ({ name: p.name, started_at: p.startedAt, ended_at: p.endedAt, passed: p.status === 'passed' ? true : p.status === 'failed' ? false : null, criteria: p.criteria })),
    measurements: {
      lines_of_code: loc,
      tests_passed: m.testsPassed,
      tests_failed: m.testsFailed,
      tests_skipped: m.testsSkipped,
      tests_flaky: m.testsFlaky ?? null,
      tests_problem: m.testsProblem,
      test_pass_rate: round(passRate, 4),
      test_coverage: figures.testCoverage,
      doc_coverage: m.docCoverage,
      files_modified: m.filesModified,
      total_tokens: figures.totalTokens,
      input_tokens: figures.inputTokens,
      output_tokens: figures.outputTokens,
      tool_calls: figures.toolCalls,
      cost_usd: round(reportedCostUsd(state), 6),
      tasks_completed: done,
      tasks_remaining: figures.tasksRemaining,
      tasks_total: total,
      last_build_ok: m.lastBuildOk,
      last_build_seconds: round(buildSeconds, 3),
      ops_per_second: m.lastBenchmark?.opsPerSecond ?? null,
      benchmark_problem: m.lastBenchmark === null ? null : m.lastBenchmark.problem,
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
      test_coverage: figures.testCoverage,
      doc_coverage: m.docCoverage,
      failed_tests_per_kloc: m.testsFailed !== null && loc && loc > 0 ? round((m.testsFailed * 1000) / loc) : null,
    },
    reliability: {
      // A legacy run's as its runner counted them (runFigures): a Bash run's files are not in its folder.
      checkpoints: legacy ? figures.checkpoints : checkpoints.length,
      checkpoints_valid: legacy ? null : checkpoints.length - invalid.length,
      checkpoints_invalid: invalid,
      restores: c.restores,
      resumes: state.clock.resumes ?? 0,
      errors: figures.errors,
      errors_by_class: c.errorsByClass,
      recoveries: figures.recoveries,
      recoveries_failed: c.recoveriesFailed,
      recoveries_started: c.recoveriesStarted,
      recoveries_open: (state.openRecoveries ?? []).length,
      protocol_errors: c.protocolErrors ?? 0,
      recoveries_by_action: c.recoveriesByAction,
      limits_hit: c.limits,
      limits_by_kind: c.limitsByKind ?? {},
    },
    agents: state.agents.map((a) => ({
      name: a.name,
      role: a.role,
      model: a.model,
      tokens: usageRecorded ? a.tokens : null,
      tool_calls: a.toolCalls,
      trust_score: round(trustOf(a), 4),
      protocol_errors: a.protocolErrors ?? 0,
      capabilities: a.capabilities,
    })),
    models: modelTallies(state).map((t) => ({
      model: t.model,
      tasks: t.tasks,
      input_tokens: usageRecorded ? t.inputTokens : null,
      output_tokens: usageRecorded ? t.outputTokens : null,
      total_tokens: usageRecorded ? t.inputTokens + t.outputTokens : null,
      cost_usd: t.costUsd === null ? null : round(t.costUsd, 6),
    })),
    event_log: {
      events: state.eventsApplied,
      first_seq: state.firstSeq,
      last_seq: state.eventsApplied > 0 ? state.lastSeq : null,
      seq_gaps: state.seqGaps,
      seq_repeats: seqRepeats,
      unreadable_lines: unreadable,
      // Said in the report, not only on the stderr of the `megatest report` that rebuilt it: CI keeps the file.
      unknown_type_lines: unknownTypes.lines,
      unknown_types: unknownTypes.types,
    },
    ...(legacy ? { legacy: { runner: legacyRunnerOf(state) ?? 'unknown', damage: legacy.damage } } : {}),
    ...(imported ? { imported } : {}),
  };
}

/** Every checkpoint of the folder as the report counts it: valid only if it verifies (each distinct blob read once). */
async function verifiedCheckpoints(checkpointsDir: string): Promise<{ id: string; valid: boolean; reason?: string }[]> {
  const verified = await new CheckpointStore(checkpointsDir).verifyAll();
  return verified.map((v) => (v.usable ? { id: v.id, valid: true } : { id: v.id, valid: false, reason: v.reason ?? 'invalid' }));
}
