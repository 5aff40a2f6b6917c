// The report as people and CI read it: final_report.md and junit.xml.

import type { CriterionResult } from '../contract/events.js';
import { EFFICIENCY_TABLE, type FinalReport } from './build.js';

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
    `| tasks | ${report.measurements.tasks_completed} of ${report.measurements.tasks_total} done, ${report.measurements.tasks_remaining} left |`,
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

