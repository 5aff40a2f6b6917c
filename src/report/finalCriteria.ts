// The run's own success criteria (the seed's critical / important /
// nice-to-have lists), judged on the final measurements. A run shorter than
// the phases' nominal length is judged on a lines-of-code target scaled to
// its length (locScale.ts).

import type { CriterionConfig, MegatestConfig, ProjectTemplate } from '../config/types.js';
import type { MeasuredFacts } from './criteria.js';
import { describeLocScale, locScaleFor, scaledLoc } from './locScale.js';

/** `scaleLoc: false` keeps the configured lines-of-code target as it is (an import, which judges none). */
export function finalCriteria(config: MegatestConfig, template: ProjectTemplate, { scaleLoc = true }: { scaleLoc?: boolean } = {}): CriterionConfig[] {
  const target = config.project.target;
  const fullLoc = target.min_lines_of_code > 0 ? target.min_lines_of_code : template.target_loc;
  const scale = scaleLoc ? locScaleFor(config.session.duration_seconds, config.phases) : null;
  const loc = scale ? scaledLoc(fullLoc, scale) : fullLoc;
  const locDescription = scale ? `At least ${loc} lines of code (the target ${fullLoc} scaled: ${describeLocScale(scale)})` : `At least ${loc} lines of code`;
  const coverage = target.min_test_coverage > 0 ? target.min_test_coverage : template.target_coverage;
  const fixed: CriterionConfig[] = [
    { id: 'build_passes', description: 'The project builds', level: 'critical', metric: 'build_ok', op: '==', value: 1 },
    {
      id: 'tests_pass',
      description: `Test pass rate at least ${(target.min_test_pass_rate * 100).toFixed(0)}%`,
      level: 'critical',
      metric: 'test_pass_rate',
      op: '>=',
      value: target.min_test_pass_rate,
    },
    { id: 'no_fatal_errors', description: 'No fatal error', level: 'critical', metric: 'fatal_errors', op: '==', value: 0 },
    { id: 'checkpoints_valid', description: 'Every checkpoint verifies', level: 'critical', metric: 'checkpoints_valid', op: '==', value: 1 },
    { id: 'no_event_loss', description: 'The event log is complete (seq contiguous)', level: 'critical', metric: 'data_loss_events', op: '==', value: 0 },
    { id: 'coverage_target', description: `Line coverage at least ${coverage}%`, level: 'important', metric: 'test_coverage', op: '>=', value: coverage },
    { id: 'loc_target', description: locDescription, level: 'important', metric: 'lines_of_code', op: '>=', value: loc },
    { id: 'tasks_completed', description: 'At least 90% of the backlog completed', level: 'important', metric: 'tasks_completed_ratio', op: '>=', value: 0.9 },
    ...performanceCriterion(config),
    {
      id: 'doc_coverage',
      description: `Documented public items at least ${target.min_doc_coverage}%`,
      level: 'nice_to_have',
      metric: 'doc_coverage',
      op: '>=',
      value: target.min_doc_coverage,
    },
  ];
  return [...fixed, ...lastGateCritical(config, fixed)];
}

/**
 * The last phase's critical gate criteria that the list above does not
 * judge already: the last gate is the run's end, so a critical criterion
 * there is one of the run's ("critical: a failure fails the run, exit 1", as
 * the config says). A run whose finalization asked for coverage >= 99.9
 * critical ended "completed, exit 0" when it was not met. Judged on the
 * final measurements, as the list above; one that only repeats a critical
 * one above (the defaults' finalization.build_ok) is not judged twice.
 * An earlier phase's criteria judge that phase, at its gate.
 */
function lastGateCritical(config: MegatestConfig, fixed: readonly CriterionConfig[]): CriterionConfig[] {
  // A run folder's config.json from any version: read defensively.
  const phases = Array.isArray(config.phases) ? config.phases : [];
  const last = phases.at(-1);
  if (!last || !Array.isArray(last.criteria)) return [];
  const same = (a: CriterionConfig, b: CriterionConfig) => a.metric === b.metric && a.op === b.op && a.value === b.value;
  const judged = fixed.filter((f) => f.level === 'critical');
  return last.criteria
    .filter((c) => c.level === 'critical' && !judged.some((f) => same(f, c)))
    .map((c) => ({ ...c, description: `${c.description} (the ${last.name} phase's critical criterion)` }));
}

/** The project's benchmark target, when [project.performance] names a benchmark_command: important, as the coverage target is. */
function performanceCriterion(config: MegatestConfig): CriterionConfig[] {
  // A run folder's config.json from any version: read defensively.
  const performance = config.project.performance as Partial<MegatestConfig['project']['performance']> | undefined;
  if (typeof performance?.benchmark_command !== 'string' || performance.benchmark_command.trim() === '' || typeof performance.min_ops_per_second !== 'number') return [];
  return [
    {
      id: 'performance_target',
      description: `At least ${performance.min_ops_per_second} operations per second (benchmark_command)`,
      level: 'important',
      metric: 'ops_per_second',
      op: '>=',
      value: performance.min_ops_per_second,
    },
  ];
}

/** A final criterion the run cannot answer, and why: it is left out of the verdict, not failed. */
export interface CriterionNotJudged {
  id: string;
  description: string;
  level: CriterionConfig['level'];
  reason: string;
}

/**
 * What recorded output imported with `megatest import` cannot answer: no project
 * was built, tested or measured and no checkpoint taken, so those criteria are
 * not judged. Failing them as "not measured" (the rule for a run megatest ran,
 * where a missing figure is a fault) made every import's report, and its exit
 * code, read FAILED whatever the agent did.
 */
const NOT_ANSWERED_BY_AN_IMPORT: Partial<Record<keyof MeasuredFacts, string>> = {
  build_ok: 'an import builds no project',
  test_pass_rate: 'an import runs no tests',
  tests_total: 'an import runs no tests',
  test_coverage: 'an import runs no tests',
  lines_of_code: 'an import measures no project',
  doc_coverage: 'an import measures no project',
  checkpoints_valid: 'an import takes no checkpoints',
  ops_per_second: 'an import runs no benchmark',
};

/** The criteria an import is judged on (the agents' errors, the tasks, the event log), and the rest with the reason each is not. */
export function criteriaForAnImport(criteria: readonly CriterionConfig[]): { judged: CriterionConfig[]; notJudged: CriterionNotJudged[] } {
  return splitByReason(criteria, (metric) => NOT_ANSWERED_BY_AN_IMPORT[metric]);
}

/**
 * What the original runner never recorded (a build's result, fatal errors
 * told from others, doc coverage), and what this run's files happen not to
 * hold, cannot be judged either: failing those as "not measured" read every
 * legacy run FAILED, its exit code 1, whatever its runner recorded.
 */
const NEVER_RECORDED_BY_THE_ORIGINAL_RUNNER: Partial<Record<keyof MeasuredFacts, string>> = {
  build_ok: 'the original runner recorded no build result',
  fatal_errors: 'the original runner did not tell a fatal error from another',
  doc_coverage: 'the original runner measured no doc coverage',
  checkpoints_valid: "the original runner's checkpoints hold no files or checksums to verify",
};

const LEGACY_FIGURE_NAMES: Partial<Record<keyof MeasuredFacts, string>> = {
  test_pass_rate: 'test pass rate',
  test_coverage: 'line coverage',
  lines_of_code: 'lines of code',
  tests_total: 'test counts',
  tasks_completed_ratio: 'task counts',
  ops_per_second: 'benchmark figure',
};

/**
 * The criteria a legacy run is judged on: those whose figure its files hold; the rest with the reason each is not.
 * A run whose planned length no file records has no lines-of-code target: the target is the phases' nominal length's,
 * scaled to the run's, and an assumed length would judge it on an invented one.
 */
export function criteriaForALegacyRun(
  criteria: readonly CriterionConfig[],
  facts: MeasuredFacts,
  { plannedLengthRecorded }: { plannedLengthRecorded: boolean },
): { judged: CriterionConfig[]; notJudged: CriterionNotJudged[] } {
  return splitByReason(criteria, (metric) => {
    if (metric === 'lines_of_code' && !plannedLengthRecorded) return "this run's files record no planned length to scale the lines-of-code target to";
    if (facts[metric] !== null && facts[metric] !== undefined) return undefined;
    return NEVER_RECORDED_BY_THE_ORIGINAL_RUNNER[metric] ?? `this run's files record no ${LEGACY_FIGURE_NAMES[metric] ?? metric}`;
  });
}

function splitByReason(
  criteria: readonly CriterionConfig[],
  reasonNotJudged: (metric: keyof MeasuredFacts) => string | undefined,
): { judged: CriterionConfig[]; notJudged: CriterionNotJudged[] } {
  const judged: CriterionConfig[] = [];
  const notJudged: CriterionNotJudged[] = [];
  for (const c of criteria) {
    const reason = reasonNotJudged(c.metric as keyof MeasuredFacts);
    if (reason === undefined) judged.push(c);
    else notJudged.push({ id: c.id, description: c.description, level: c.level, reason });
  }
  return { judged, notJudged };
}
