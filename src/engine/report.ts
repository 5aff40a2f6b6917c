// The final report (TestReport): final_report.json, final_report.md and
// junit.xml, rebuilt from the run folder alone. Every figure comes from the
// events the run recorded (measurements the orchestrator made) or from the
// checkpoints on disk; nothing is taken from memory or estimated.

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { writeFileAtomic } from '../io/atomic.js';
import { runPaths } from '../io/runFolder.js';
import { CheckpointStore } from './checkpoint/store.js';
import { criticalPassed, evaluateCriteria, type MeasuredFacts } from './criteria.js';
import type { CriterionResult, MegatestEvent, SessionStatus } from './events.js';
import { parseEventLine } from './events.js';
import { finalCriteria } from './finalCriteria.js';
import type { SessionMetrics } from './metrics.js';
import { readRunInfo } from './runInfo.js';
import { completedTasks, emptyTally, tallyEvent, type RunTally } from './tally.js';

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

interface FoldedLog {
  tally: RunTally;
  lastMetrics: SessionMetrics | null;
  events: number;
  firstSeq: number | null;
  seqGaps: number;
  unreadable: number;
}

async function foldEventLog(file: string): Promise<FoldedLog> {
  const tally = emptyTally();
  let lastMetrics: SessionMetrics | null = null;
  let events = 0;
  let firstSeq: number | null = null;
  let previousSeq: number | null = null;
  let seqGaps = 0;
  let unreadable = 0;
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const event: MegatestEvent | null = parseEventLine(line);
    if (!event) {
      unreadable += 1;
      continue;
    }
    events += 1;
    firstSeq ??= event.seq;
    if (previousSeq !== null && event.seq !== previousSeq + 1) seqGaps += 1;
    previousSeq = event.seq;
    tallyEvent(tally, event);
    if (event.type === 'metrics') lastMetrics = event.metrics;
  }
  return { tally, lastMetrics, events, firstSeq, seqGaps, unreadable };
}

export async function buildReport(runDir: string): Promise<FinalReport> {
  const paths = runPaths(runDir);
  const info = readRunInfo(runDir);
  const { tally, lastMetrics, events, firstSeq, seqGaps, unreadable } = await foldEventLog(paths.events);
  const checkpoints = await new CheckpointStore(paths.checkpoints).list();
  const invalid = checkpoints.filter((c) => !c.valid).map((c) => ({ id: c.id, reason: c.reason ?? 'invalid' }));

  const test = tally.last_test;
  const testsTotal = test ? test.passed + test.failed : null;
  const passRate = test && testsTotal ? test.passed / testsTotal : null;
  const tasksTotal = tally.phases.reduce((n, p) => n + p.tasks.length, 0);
  const tasksDone = completedTasks(tally).size;
  const loc = lastMetrics?.lines_of_code ?? null;
  const facts: MeasuredFacts = {
    build_ok: tally.last_build_ok === null ? null : tally.last_build_ok ? 1 : 0,
    test_pass_rate: passRate,
    test_coverage: test?.coverage ?? null,
    lines_of_code: loc,
    doc_coverage: lastMetrics?.doc_coverage ?? null,
    tests_total: testsTotal,
    tasks_completed_ratio: tasksTotal > 0 ? tasksDone / tasksTotal : null,
    fatal_errors: tally.fatal_errors,
    checkpoints_valid: invalid.length === 0 ? 1 : 0,
    data_loss_events: seqGaps + unreadable,
  };
  const criteria = evaluateCriteria(finalCriteria(info.config, info.template), facts);
  const tasksForRatio = tasksDone;
  const tokensPerLoc = loc && loc > 0 ? tally.total_tokens / loc : null;
  const toolCallsPerTask = tasksForRatio > 0 ? tally.tool_calls / tasksForRatio : null;
  const buildSeconds = tally.last_build_ms === null ? null : tally.last_build_ms / 1000;
  const round = (n: number | null, digits = 2) => (n === null ? null : Math.round(n * 10 ** digits) / 10 ** digits);
  const elapsed =
    tally.started_at && tally.ended_at ? (Date.parse(tally.ended_at) - Date.parse(tally.started_at)) / 1000 : lastMetrics?.elapsed_seconds ?? null;

  return {
    session_id: info.session_id,
    project: info.template.type,
    project_name: info.template.name,
    agent_kind: info.agent_kind,
    simulated: info.simulated,
    megatest_version: info.megatest_version,
    status: tally.status,
    exit_code: tally.exit_code,
    reason: tally.end_reason,
    started_at: tally.started_at,
    ended_at: tally.ended_at,
    configured_duration_seconds: info.config.session.duration_seconds,
    elapsed_seconds: round(elapsed, 1),
    verdict: {
      critical_passed: criticalPassed(criteria),
      passed: criteria.filter((c) => c.passed).length,
      failed: criteria.filter((c) => !c.passed).length,
    },
    criteria,
    phases: tally.phases.map((p) => ({ name: p.name, started_at: p.started_at, ended_at: p.ended_at, passed: p.passed, criteria: p.criteria })),
    measurements: {
      lines_of_code: loc,
      tests_passed: test?.passed ?? null,
      tests_failed: test?.failed ?? null,
      tests_skipped: test?.skipped ?? null,
      test_pass_rate: round(passRate, 4),
      test_coverage: test?.coverage ?? null,
      doc_coverage: lastMetrics?.doc_coverage ?? null,
      files_modified: lastMetrics?.files_modified ?? null,
      total_tokens: tally.total_tokens,
      input_tokens: tally.input_tokens,
      output_tokens: tally.output_tokens,
      tool_calls: tally.tool_calls,
      tasks_completed: tasksDone,
      tasks_total: tasksTotal,
      last_build_ok: tally.last_build_ok,
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
      test_coverage: test?.coverage ?? null,
      doc_coverage: lastMetrics?.doc_coverage ?? null,
      failed_tests_per_kloc: test && loc && loc > 0 ? round((test.failed * 1000) / loc) : null,
    },
    reliability: {
      checkpoints: checkpoints.length,
      checkpoints_valid: checkpoints.length - invalid.length,
      checkpoints_invalid: invalid,
      restores: tally.restores,
      errors: tally.errors,
      errors_by_class: tally.errors_by_class,
      recoveries: tally.recoveries,
      recoveries_failed: tally.recoveries_failed,
      limits_hit: tally.limits,
    },
    agents: [...tally.agents.values()].map((a) => ({
      name: a.name,
      role: a.role,
      model: a.model,
      tokens: a.tokens,
      tool_calls: a.tool_calls,
      trust_score: a.tool_calls > 0 ? round(a.tool_calls_ok / a.tool_calls, 4)! : 1,
    })),
    event_log: { events, first_seq: firstSeq, last_seq: events > 0 ? tally.last_seq : null, seq_gaps: seqGaps, unreadable_lines: unreadable },
  };
}

function pct(value: number | null, scale = 1): string {
  return value === null ? 'not measured' : `${(value * scale).toFixed(2)}%`;
}

export function renderMarkdown(report: FinalReport): string {
  const lines: string[] = [];
  const mark = (passed: boolean | null) => (passed === null ? '—' : passed ? 'PASS' : 'FAIL');
  lines.push(`# megatest report — ${report.session_id}`, '');
  if (report.simulated) lines.push('> **SIMULATED**: the agents of this run were the built-in `sim` swarm, not a real model.', '');
  lines.push(
    `| | |`,
    `|---|---|`,
    `| project | ${report.project_name} (\`${report.project}\`) |`,
    `| agent | ${report.agent_kind}${report.simulated ? ' (simulated)' : ''} |`,
    `| status | **${report.status}** (exit code ${report.exit_code ?? 'n/a'}) |`,
    `| reason | ${report.reason ?? '—'} |`,
    `| started / ended | ${report.started_at ?? '—'} / ${report.ended_at ?? '—'} |`,
    `| elapsed | ${report.elapsed_seconds ?? '—'} s of ${report.configured_duration_seconds} s |`,
    `| verdict | ${report.verdict.critical_passed ? 'all critical criteria passed' : 'a critical criterion FAILED'} (${report.verdict.passed} passed, ${report.verdict.failed} failed) |`,
    '',
    '## Success criteria',
    '',
    '| criterion | level | result | evidence |',
    '|---|---|---|---|',
    ...report.criteria.map((c) => `| ${c.description} | ${c.level} | ${mark(c.passed)} | ${c.evidence} |`),
    '',
    '## Phases',
    '',
    '| phase | started | ended | result | criteria |',
    '|---|---|---|---|---|',
    ...report.phases.map(
      (p) =>
        `| ${p.name} | ${p.started_at ?? '—'} | ${p.ended_at ?? '—'} | ${mark(p.passed)} | ${p.criteria.map((c) => `${c.passed ? '✓' : '✗'} ${c.id}`).join(', ') || '—'} |`,
    ),
    '',
    '## Measurements',
    '',
    '| figure | value |',
    '|---|---|',
    `| lines of code | ${report.measurements.lines_of_code ?? 'not measured'} |`,
    `| tests | ${report.measurements.tests_passed ?? '—'} passed, ${report.measurements.tests_failed ?? '—'} failed, ${report.measurements.tests_skipped ?? '—'} skipped |`,
    `| test pass rate | ${pct(report.measurements.test_pass_rate, 100)} |`,
    `| line coverage | ${pct(report.measurements.test_coverage)} |`,
    `| doc coverage | ${pct(report.measurements.doc_coverage)} |`,
    `| files modified | ${report.measurements.files_modified ?? '—'} |`,
    `| tokens | ${report.measurements.total_tokens} (${report.measurements.input_tokens} in, ${report.measurements.output_tokens} out) |`,
    `| tool calls | ${report.measurements.tool_calls} |`,
    `| tasks | ${report.measurements.tasks_completed} of ${report.measurements.tasks_total} |`,
    `| last build | ${report.measurements.last_build_ok === null ? 'not run' : report.measurements.last_build_ok ? 'ok' : 'FAILED'} in ${report.measurements.last_build_seconds ?? '—'} s |`,
    '',
    '## Efficiency',
    '',
    '| figure | value | rating | target / good / excellent |',
    '|---|---|---|---|',
    ...(Object.keys(EFFICIENCY_TABLE) as (keyof typeof EFFICIENCY_TABLE)[]).map((key) => {
      const row = EFFICIENCY_TABLE[key];
      const figure = report.efficiency[key];
      return `| ${key.replace(/_/g, ' ')} | ${figure.value ?? '—'} ${row.unit} | ${figure.rating} | ≤ ${row.target} / ≤ ${row.good} / ≤ ${row.excellent} |`;
    }),
    '',
    '## Quality',
    '',
    `- line coverage: ${pct(report.quality.test_coverage)}`,
    `- doc coverage: ${pct(report.quality.doc_coverage)}`,
    `- failed tests per 1,000 LOC: ${report.quality.failed_tests_per_kloc ?? 'not measured'}`,
    '',
    '## Reliability',
    '',
    `- checkpoints: ${report.reliability.checkpoints} (${report.reliability.checkpoints_valid} valid)${report.reliability.checkpoints_invalid.map((c) => `; ${c.id} invalid: ${c.reason}`).join('')}`,
    `- restores: ${report.reliability.restores}`,
    `- errors: ${report.reliability.errors}${Object.keys(report.reliability.errors_by_class).length ? ` (${Object.entries(report.reliability.errors_by_class).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`,
    `- recoveries: ${report.reliability.recoveries} succeeded, ${report.reliability.recoveries_failed} failed or gave up`,
    `- limits hit: ${report.reliability.limits_hit}`,
    `- event log: ${report.event_log.events} events, seq ${report.event_log.first_seq ?? '—'}..${report.event_log.last_seq ?? '—'}, ${report.event_log.seq_gaps} gaps, ${report.event_log.unreadable_lines} unreadable lines`,
    '',
    '## Agents',
    '',
    '| agent | role | model | tokens | tool calls | trust |',
    '|---|---|---|---|---|---|',
    ...report.agents.map((a) => `| ${a.name} | ${a.role} | ${a.model ?? '—'} | ${a.tokens} | ${a.tool_calls} | ${(a.trust_score * 100).toFixed(1)}% |`),
    '',
  );
  return lines.join('\n');
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** One testcase per success criterion: the run's own, then each phase's. */
export function renderJUnit(report: FinalReport): string {
  const suite = (name: string, criteria: CriterionResult[]) => {
    const failures = criteria.filter((c) => !c.passed).length;
    const cases = criteria.map((c) => {
      const open = `    <testcase classname="${xmlEscape(`megatest.${c.level}`)}" name="${xmlEscape(c.id)}: ${xmlEscape(c.description)}" time="0">`;
      const body = c.passed
        ? `      <system-out>${xmlEscape(c.evidence)}</system-out>`
        : `      <failure message="${xmlEscape(c.evidence)}" type="${xmlEscape(c.level)}">${xmlEscape(c.evidence)}</failure>`;
      return `${open}\n${body}\n    </testcase>`;
    });
    return `  <testsuite name="${xmlEscape(name)}" tests="${criteria.length}" failures="${failures}" errors="0" skipped="0">\n${cases.join('\n')}\n  </testsuite>`;
  };
  const suites = [suite(`${report.session_id} final criteria`, report.criteria), ...report.phases.map((p) => suite(`${report.session_id} phase ${p.name}`, p.criteria))];
  const total = report.criteria.length + report.phases.reduce((n, p) => n + p.criteria.length, 0);
  const failed = report.criteria.filter((c) => !c.passed).length + report.phases.reduce((n, p) => n + p.criteria.filter((c) => !c.passed).length, 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="megatest ${xmlEscape(report.session_id)}" tests="${total}" failures="${failed}">\n${suites.join('\n')}\n</testsuites>\n`;
}

export async function writeReport(runDir: string): Promise<FinalReport> {
  const paths = runPaths(runDir);
  const report = await buildReport(runDir);
  await writeFileAtomic(paths.finalReportJson, JSON.stringify(report, null, 2) + '\n');
  await writeFileAtomic(paths.finalReportMd, renderMarkdown(report));
  await writeFileAtomic(paths.junit, renderJUnit(report));
  return report;
}

/** Exit code per DESIGN §2 for a finished run's report. */
export function reportExitCode(report: FinalReport): number {
  switch (report.status) {
    case 'completed':
      return report.verdict.critical_passed ? 0 : 1;
    case 'timeout':
      return 124;
    case 'interrupted':
      return 130;
    case 'failed':
      return 1;
    case 'starting':
    case 'running':
    case 'paused':
    case 'recovering':
      return 1;
    default: {
      const unreachable: never = report.status;
      throw new Error(`unknown status ${String(unreachable)}`);
    }
  }
}
