// The report as people and CI read it: final_report.md and junit.xml.

import type { CriterionResult } from '../contract/events.js';
import { describeCapabilities } from '../contract/capabilities.js';
import { assertNever } from '../contract/assertNever.js';
import { printableText } from '../contract/printable.js';
import { EFFICIENCY_TABLE, type FinalReport } from './build.js';
import { describeLocScale } from './locScale.js';
import { countOf, groupDigits, opsPerSecondText } from '../state/groupDigits.js';

/** A count as people read it (1,604), or what stands for a missing one. */
function figure(value: number | null, missing: string): string {
  return value === null ? missing : groupDigits(value);
}

function pct(value: number | null, scale = 1): string {
  return value === null ? 'not measured' : `${(value * scale).toFixed(2)}%`;
}

/** A run of the original runner: say so, and list what of its files could not be read. */
function legacyNote(legacy: NonNullable<FinalReport['legacy']>): string[] {
  return [
    `> **Legacy run** (the original ${legacy.runner === 'bash' ? 'run_mega_test.sh' : legacy.runner === 'python' ? 'test_runner.py' : 'Python/Bash runner'}), converted from its files; judged against megatest's default targets for its project. Figures its runner did not record show as not recorded, and the criteria on them are not judged.`,
    ...(legacy.damage.length === 0
      ? []
      : ['>', `> Damaged or missing (${legacy.damage.length}):`, ...legacy.damage.map((d) => `> - \`${d.file}\`${d.line ? ` line ${d.line}` : ''}: ${d.problem}${d.recovered ? ' (nothing lost)' : ''}`)]),
  ];
}

/** A run made by `megatest import`: say so, and which timeline each file's events follow (the note's own words, less what the bold text says already). */
function importedNote(imported: NonNullable<FinalReport['imported']>): string[] {
  return [
    `> **Imported** with \`megatest import\` from recorded ${imported.agent_kind} output on ${imported.imported_at}: megatest did not run these agents, and no project was built or measured. The counts are the ${imported.agent_kind} parser's.`,
    '>',
    ...imported.files.map(
      (f) => `> - ${f.agent}: \`${f.file}\` (${f.lines} lines): ${f.timeline === 'stream' ? 'times from the stream\'s own timestamps' : `**times are line order, not time** (${f.timeline_note.replace(/^line order, not time: /, '')})`}`,
    ),
  ];
}

export function renderMarkdown(report: FinalReport): string {
  const lines: string[] = [];
  const mark = (passed: boolean | null) => (passed === null ? '—' : passed ? 'PASS' : 'FAIL');
  const notJudged = report.criteria_not_judged ?? [];
  lines.push(`# megatest report — ${report.session_id}`, '');
  if (report.legacy) lines.push(...legacyNote(report.legacy), '');
  if (report.imported) lines.push(...importedNote(report.imported), '');
  // A branch of a sim run handed to another agent: SIMULATED still, but only in part.
  const simulatedBefore = report.simulated && report.agent_kind !== 'sim' ? report.branched_from : undefined;
  if (simulatedBefore) {
    lines.push(
      `> **SIMULATED** in part: this run goes on from ${simulatedBefore.checkpoint} of ${simulatedBefore.run}, whose agents were the built-in \`sim\` swarm; the work up to that checkpoint was simulated, the \`${report.agent_kind}\` agent did the rest.`,
      '',
    );
  } else if (report.simulated) {
    lines.push('> **SIMULATED**: the agents of this run were the built-in `sim` swarm, not a real model.', '');
  }
  const agentNote = simulatedBefore ? ` (from ${simulatedBefore.checkpoint} on; simulated before it)` : report.simulated ? ' (simulated)' : '';
  lines.push(
    `| | |`,
    `|---|---|`,
    `| project | ${report.project_name} (\`${report.project}\`) |`,
    `| agent | ${report.agent_kind}${agentNote} |`,
    `| status | **${report.status}** (exit code ${report.exit_code ?? 'n/a'}) |`,
    `| reason | ${report.reason ?? '—'} |`,
    `| started / ended | ${report.started_at ?? '—'} / ${report.ended_at ?? '—'} |`,
    `| elapsed | ${elapsedCell(report)} |`,
    `| verdict | ${verdictWords(report)} (${report.verdict.passed} passed, ${report.verdict.failed} failed${notJudged.length > 0 ? `; ${notJudged.length} not judged` : ''}) |`,
    '',
    ...locScaleNote(report),
    '## Success criteria',
    '',
    '| criterion | level | result | evidence |',
    '|---|---|---|---|',
    ...report.criteria.map((c) => `| ${cell(c.description)} | ${c.level} | ${mark(c.passed)} | ${cell(c.evidence)} |`),
    ...notJudged.map((c) => `| ${cell(c.description)} | ${c.level} | not judged | ${cell(c.reason)} |`),
    '',
    '## Phases',
    '',
    // The Bash runner kept no phases: an empty table would look like a rendering fault.
    ...(report.phases.length === 0
      ? ['None recorded: the run\'s files name no phases.']
      : [
          '| phase | started | ended | result | criteria |',
          '|---|---|---|---|---|',
          ...report.phases.map(
            (p) =>
              `| ${p.name} | ${p.started_at ?? '—'} | ${p.ended_at ?? '—'} | ${mark(p.passed)} | ${p.criteria.map((c) => `${c.passed ? '✓' : '✗'} ${c.id}`).join(', ') || '—'} |`,
          ),
        ]),
    '',
    '## Measurements',
    '',
    '| figure | value |',
    '|---|---|',
    `| lines of code | ${figure(report.measurements.lines_of_code, 'not measured')} |`,
    `| tests | ${cell(testsText(report))} |`,
    `| test pass rate | ${pct(report.measurements.test_pass_rate, 100)} |`,
    `| line coverage | ${pct(report.measurements.test_coverage)} |`,
    `| doc coverage | ${pct(report.measurements.doc_coverage)} |`,
    `| files modified | ${figure(report.measurements.files_modified, 'not measured')} |`,
    `| tokens | ${figure(report.measurements.total_tokens, 'not recorded')}${report.measurements.input_tokens === null ? '' : ` (${groupDigits(report.measurements.input_tokens)} in, ${figure(report.measurements.output_tokens, '—')} out)`} |`,
    `| tool calls | ${figure(report.measurements.tool_calls, 'not recorded')} |`,
    `| cost | ${report.measurements.cost_usd === null ? 'not reported by the agents' : `$${report.measurements.cost_usd.toFixed(4)}, as the agents reported it`} |`,
    `| tasks | ${report.measurements.tasks_completed ?? '—'} of ${report.measurements.tasks_total ?? '—'} done, ${report.measurements.tasks_remaining ?? '—'} left |`,
    `| last build | ${report.measurements.last_build_ok === null ? 'not run' : `${report.measurements.last_build_ok ? 'ok' : 'FAILED'} in ${report.measurements.last_build_seconds ?? '—'} s`} |`,
    ...benchmarkRow(report.measurements),
    '',
    '## Efficiency',
    '',
    '| figure | value | rating | acceptable / good / excellent |',
    '|---|---|---|---|',
    ...(Object.keys(EFFICIENCY_TABLE) as (keyof typeof EFFICIENCY_TABLE)[]).map((key) => {
      const row = EFFICIENCY_TABLE[key];
      const figure = report.efficiency[key];
      // No figure, no unit: "— tokens/LOC" read as a figure of that unit.
      return `| ${key.replace(/_/g, ' ')} | ${figure.value === null ? '—' : `${figure.value} ${row.unit}`} | ${figure.rating} | < ${row.band.acceptable} / < ${row.band.good} / < ${row.band.excellent} |`;
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
    `- checkpoints: ${report.reliability.checkpoints ?? 'not recorded'} (${report.reliability.checkpoints_valid === null ? 'none verifiable: they hold no files or checksums' : `${report.reliability.checkpoints_valid} valid`})${report.reliability.checkpoints_invalid.map((c) => `; ${c.id} invalid: ${c.reason}`).join('')}`,
    `- restores: ${report.reliability.restores}`,
    `- resumes: ${report.reliability.resumes ?? 0} (\`megatest resume\` carried the run on from a checkpoint: after its orchestrator stopped, or into a branch)`,
    `- errors: ${report.reliability.errors ?? 'not recorded'}${Object.keys(report.reliability.errors_by_class).length ? ` (${Object.entries(report.reliability.errors_by_class).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`,
    `- recoveries: ${recoveryLine(report.reliability)}`,
    ...Object.entries(report.reliability.recoveries_by_action).map(
      ([action, n]) => `  - ${action}: ${n.started} started, ${n.succeeded} succeeded, ${n.failed} failed or gave up`,
    ),
    `- limits hit: ${report.reliability.limits_hit}${Object.keys(report.reliability.limits_by_kind ?? {}).length ? ` (${Object.entries(report.reliability.limits_by_kind).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`,
    `- protocol errors: ${countOf(report.reliability.protocol_errors ?? 0, 'line')} the agents printed broke their protocol (counted per agent below; the lines are in ${report.legacy ? 'session.log' : 'agents/<name>/output.log'})`,
    `- event log: ${report.event_log.events} events, seq ${report.event_log.first_seq ?? '—'}..${report.event_log.last_seq ?? '—'}, ${report.event_log.seq_gaps} gaps, ${report.event_log.unreadable_lines} unreadable lines${(report.event_log.seq_repeats ?? 0) > 0 ? `, seq repeated or went back at ${report.event_log.seq_repeats} places (two writers in one log?)` : ''}${unknownTypesText(report.event_log)}`,
    '',
    '## Agents',
    '',
    // A table of no rows reads as broken: an old runner's folder that recorded no agent says so.
    ...(report.agents.length === 0 ? [report.legacy ? "No agent recorded: the original runner's files name none." : 'No agent recorded.'] : []),
    ...(report.agents.length === 0 ? [] : ['| agent | role | model | tokens | tool calls | trust | protocol errors | can do when asked |', '|---|---|---|---|---|---|---|---|']),
    ...report.agents.map(
      (a) =>
        `| ${a.name} | ${a.role} | ${a.model === null ? '—' : a.model || "the agent program's default"} | ${figure(a.tokens, 'not recorded')} | ${groupDigits(a.tool_calls)} | ${a.trust_score === null ? '—' : `${(a.trust_score * 100).toFixed(1)}%`} | ${a.protocol_errors ?? 0} | ${a.capabilities ? describeCapabilities(a.capabilities) : 'not recorded'} |`,
    ),
    '',
    ...modelSection(report),
  );
  // Agents' text (tasks, models, the end's reason) without their escapes or control characters: the file is read in terminals and CI views.
  return printableText(lines.join('\n'));
}

/** "all critical criteria passed" only where one was judged: with none (an import that answers none), that is said. */
function verdictWords(report: FinalReport): string {
  const words = !report.verdict.critical_passed
    ? 'a critical criterion FAILED'
    : report.criteria.some((c) => c.level === 'critical')
      ? 'all critical criteria passed'
      : 'no critical criterion judged';
  // A run still going, or one whose orchestrator stopped before its end (killed): a verdict so far, not the run's.
  return report.exit_code === null && !report.legacy ? `so far (the run has not ended): ${words.replace('FAILED', 'not met')}` : words;
}

/** Elapsed of the configured duration; an import's is the recording's span (it had no plan), or none in line order. */
function elapsedCell(report: FinalReport): string {
  if (report.imported) {
    return report.elapsed_seconds === null ? "not recorded (the recording's times are line order, not time)" : `${report.elapsed_seconds} s (the recording's span)`;
  }
  return report.configured_duration_seconds === null ? `${report.elapsed_seconds ?? '—'} s (planned length not recorded)` : `${report.elapsed_seconds ?? '—'} s of ${report.configured_duration_seconds} s`;
}

/**
 * "48 passed, 0 failed, 0 skipped"; "none run" where no test run gave counts
 * (an import, a run stopped early), not dashes; "not recorded" for a legacy
 * run, whose runner kept a pass rate but never the counts.
 */
/** The benchmark's row, only where one ran (a config with a benchmark_command): its figure, or why it gave none. */
function benchmarkRow(m: FinalReport['measurements']): string[] {
  if (m.ops_per_second !== null) return [`| benchmark | ${opsPerSecondText(m.ops_per_second)} |`];
  return m.benchmark_problem === null ? [] : [`| benchmark | no figure: it ${m.benchmark_problem} |`];
}

/** ", 3 lines of event types this megatest does not know (a newer megatest's: vote_cast), skipped" when there were any. */
function unknownTypesText(log: FinalReport['event_log']): string {
  const lines = log.unknown_type_lines ?? 0;
  if (lines === 0) return '';
  return `, ${countOf(lines, 'line')} of event types this megatest does not know (a newer megatest's: ${(log.unknown_types ?? []).join(', ')}), skipped`;
}

function testsText(report: FinalReport): string {
  const m = report.measurements;
  if (m.tests_problem) return `not measured: the last test run gave no results (${m.tests_problem})`;
  if (m.tests_passed === null && m.tests_failed === null && m.tests_skipped === null) return report.legacy ? 'not recorded' : 'none run';
  const flaky = m.tests_flaky ? ` (${figure(m.tests_flaky, '—')} of them only on a rerun)` : '';
  return `${figure(m.tests_passed, '—')} passed${flaky}, ${figure(m.tests_failed, '—')} failed, ${figure(m.tests_skipped, '—')} skipped`;
}

/** A run shorter than the phases' nominal length: say that its lines-of-code targets were scaled, and by how much. */
function locScaleNote(report: FinalReport): string[] {
  const scale = report.loc_target_scale;
  if (!scale) return [];
  const words = describeLocScale({ factor: scale.factor, nominalSeconds: scale.nominal_seconds, durationSeconds: scale.duration_seconds });
  return [`> Lines-of-code targets are scaled to the run's length: ${words}, so each target is that share of the configured one.`, ''];
}

/** Which model did which tasks, with its tokens and cost (the fallback order's record). */
function modelSection(report: FinalReport): string[] {
  if (report.models.length === 0) return [];
  const cost = (usd: number | null) => (usd === null ? 'not reported' : `$${usd.toFixed(4)}`);
  const name = (model: string) => (model === '' ? '(not named)' : `\`${model}\``);
  return [
    '## Models',
    '',
    '| model | tasks done | tokens | cost |',
    '|---|---|---|---|',
    ...report.models.map((m) => `| ${name(m.model)} | ${m.tasks.length} | ${m.total_tokens === null ? 'not recorded' : `${groupDigits(m.total_tokens)} (${figure(m.input_tokens, '—')} in, ${figure(m.output_tokens, '—')} out)`} | ${cost(m.cost_usd)} |`),
    // The fold's sum (measurements.cost_usd), as status and the console give it: not added up again here.
    ...(report.measurements.cost_usd !== null ? ['', `Total cost reported by the agents: $${report.measurements.cost_usd.toFixed(4)}.`] : []),
    '',
    ...report.models.filter((m) => m.tasks.length > 0).flatMap((m) => [`Tasks done on ${name(m.model)}:`, '', ...m.tasks.map((t) => `- ${t}`), '']),
  ];
}

/**
 * Text as an XML element holds it. Agents' and test runners' text (a task,
 * a model, the end's reason, a runner's message in the evidence) may hold
 * ANSI colours, a bell or a NUL, which XML 1.0 allows nowhere, escaped or
 * not: one made junit.xml unreadable to CI's parser. It is written printable
 * (contract/printable.ts: colours removed, a control as ^G), and a lone
 * surrogate, U+FFFE or U+FFFF as U+FFFD.
 */
const NOT_XML = /[\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function xmlEscape(text: string): string {
  return printableText(text.replace(NOT_XML, '\uFFFD')).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** An attribute value: as xmlEscape, and its line breaks as references, which a parser's attribute normalization would turn into spaces. */
function xmlAttribute(text: string): string {
  return xmlEscape(text).replace(/\n/g, '&#10;');
}

/** A Markdown table cell: a `|` would end it and a line break the row. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Why the run itself failed, or null: a timeout, an interruption, a failed run, or one that has not ended. */
export function runFailure(report: FinalReport): { type: string; message: string } | null {
  const ended = `session ${report.status}${report.exit_code === null ? '' : ` (exit code ${report.exit_code})`}${report.reason ? `: ${report.reason}` : ''}`;
  switch (report.status) {
    case 'completed':
      // A completed run fails only through a critical criterion, which is its own testcase's failure.
      return report.exit_code !== null && report.exit_code !== 0 && report.verdict.critical_passed ? { type: 'failed', message: ended } : null;
    case 'timeout':
    case 'interrupted':
    case 'failed':
      return { type: report.status, message: ended };
    case 'starting':
    case 'running':
    case 'paused':
    case 'recovering':
      return { type: 'not_ended', message: `the session has not ended (status ${report.status})` };
    default:
      return assertNever(report.status, 'status');
  }
}

interface JUnitCase {
  classname: string;
  name: string;
  time: number;
  /** A <failure>, a <skipped> with its reason, or a pass with its evidence. */
  outcome: { kind: 'failure'; type: string; message: string } | { kind: 'skipped'; message: string } | { kind: 'passed'; output: string };
}

function junitSuite(name: string, cases: readonly JUnitCase[], properties: Record<string, string> = {}): string {
  const count = (kind: JUnitCase['outcome']['kind']) => cases.filter((c) => c.outcome.kind === kind).length;
  const props = Object.entries(properties);
  const lines = [`  <testsuite name="${xmlAttribute(name)}" tests="${cases.length}" failures="${count('failure')}" errors="0" skipped="${count('skipped')}">`];
  if (props.length > 0) {
    lines.push('    <properties>', ...props.map(([k, v]) => `      <property name="${xmlAttribute(k)}" value="${xmlAttribute(v)}"/>`), '    </properties>');
  }
  for (const c of cases) {
    lines.push(`    <testcase classname="${xmlAttribute(c.classname)}" name="${xmlAttribute(c.name)}" time="${c.time}">`);
    const o = c.outcome;
    if (o.kind === 'failure') lines.push(`      <failure message="${xmlAttribute(o.message)}" type="${xmlAttribute(o.type)}">${xmlEscape(o.message)}</failure>`);
    else if (o.kind === 'skipped') lines.push(`      <skipped message="${xmlAttribute(o.message)}"/>`);
    else lines.push(`      <system-out>${xmlEscape(o.output)}</system-out>`);
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>');
  return lines.join('\n');
}

/**
 * junit.xml as CI reads it, so that its verdict (any <failure>) is the exit
 * code's (DESIGN §2): the run itself is one testcase, failed by a timeout, an
 * interruption or a failed run; each final criterion is one testcase, a
 * failed critical one a <failure>, a failed important or nice-to-have one
 * <skipped> with its evidence (reported, as it is in the report, without
 * failing the build, as it does not change the exit code). Each phase's gate
 * criteria are a testsuite of their own: they judged a phase, not the run, so
 * one not met is <skipped> with its evidence whatever its level.
 */
export function renderJUnit(report: FinalReport): string {
  const run = runFailure(report);
  const runCase: JUnitCase = {
    classname: 'megatest.run',
    name: `session ${report.session_id}`,
    time: report.elapsed_seconds ?? 0,
    outcome: run ? { kind: 'failure', ...run } : { kind: 'passed', output: `session ${report.status} (exit code ${report.exit_code ?? 'n/a'})${report.reason ? `: ${report.reason}` : ''}` },
  };
  const criterionCase = (classname: string, c: CriterionResult, failedAs: (c: CriterionResult) => JUnitCase['outcome']): JUnitCase => ({
    classname: `${classname}.${c.level}`,
    name: `${c.id}: ${c.description}`,
    time: 0,
    outcome: c.passed ? { kind: 'passed', output: c.evidence } : failedAs(c),
  });
  const finalOutcome = (c: CriterionResult): JUnitCase['outcome'] =>
    c.level === 'critical' ? { kind: 'failure', type: c.level, message: c.evidence } : { kind: 'skipped', message: `not met (${c.level}, does not fail the run): ${c.evidence}` };
  const phaseOutcome = (c: CriterionResult): JUnitCase['outcome'] => ({ kind: 'skipped', message: `not met at the phase gate (${c.level}; the run is judged on its final criteria): ${c.evidence}` });
  const suites: { name: string; cases: JUnitCase[]; properties?: Record<string, string> }[] = [
    {
      name: `${report.session_id} run`,
      cases: [runCase],
      properties: { status: report.status, exit_code: String(report.exit_code ?? ''), agent: report.agent_kind, simulated: String(report.simulated) },
    },
    {
      name: `${report.session_id} final criteria`,
      cases: [
        ...report.criteria.map((c) => criterionCase('megatest.final', c, finalOutcome)),
        ...(report.criteria_not_judged ?? []).map(
          (c): JUnitCase => ({ classname: `megatest.final.${c.level}`, name: `${c.id}: ${c.description}`, time: 0, outcome: { kind: 'skipped', message: `not judged: ${c.reason}` } }),
        ),
      ],
    },
    ...report.phases
      .filter((p) => p.criteria.length > 0)
      .map((p) => ({ name: `${report.session_id} phase ${p.name}`, cases: p.criteria.map((c) => criterionCase(`megatest.phase.${p.name}`, c, phaseOutcome)) })),
  ];
  const all = suites.flatMap((s) => s.cases);
  const count = (kind: JUnitCase['outcome']['kind']) => all.filter((c) => c.outcome.kind === kind).length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="megatest ${xmlAttribute(report.session_id)}" tests="${all.length}" failures="${count('failure')}" errors="0" skipped="${count('skipped')}">\n${suites.map((s) => junitSuite(s.name, s.cases, s.properties)).join('\n')}\n</testsuites>\n`;
}

/** `4 succeeded, 1 failed or gave up` (and how many started and never ended, when any): the recovery events' outcomes. */
function recoveryLine(r: FinalReport['reliability']): string {
  const open = r.recoveries_open ?? 0;
  // A legacy run whose runner's log (where test_runner.py records them) was not found: none counted, not none made.
  if (r.recoveries === null) return 'not recorded';
  return `${r.recoveries} succeeded, ${r.recoveries_failed} failed or gave up${open > 0 ? `, ${open} started and never ended (the orchestrator was gone)` : ''}`;
}
