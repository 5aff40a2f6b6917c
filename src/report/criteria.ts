// Success criteria: a measured figure compared with the configured value.
// A figure that was not measured fails its criterion and says so; it is never
// assumed.

import type { CriterionConfig } from '../config/types.js';
import type { CriterionResult } from '../contract/events.js';
import { assertNever } from '../contract/assertNever.js';

/** Measured facts a criterion may name; null where it could not be measured. */
export interface MeasuredFacts {
  build_ok: number | null;
  test_pass_rate: number | null;
  test_coverage: number | null;
  lines_of_code: number | null;
  doc_coverage: number | null;
  tests_total: number | null;
  tasks_completed_ratio: number | null;
  fatal_errors: number | null;
  checkpoints_valid: number | null;
  data_loss_events: number | null;
  /** What the project's benchmark printed at the last gate (ops/s); null when none ran or it gave none. */
  ops_per_second: number | null;
}

export const CRITERION_METRICS: readonly (keyof MeasuredFacts)[] = [
  'build_ok',
  'test_pass_rate',
  'test_coverage',
  'lines_of_code',
  'doc_coverage',
  'tests_total',
  'tasks_completed_ratio',
  'fatal_errors',
  'checkpoints_valid',
  'data_loss_events',
  'ops_per_second',
];

function compare(actual: number, op: CriterionConfig['op'], expected: number): boolean {
  switch (op) {
    case '>=':
      return actual >= expected;
    case '<=':
      return actual <= expected;
    case '>':
      return actual > expected;
    case '<':
      return actual < expected;
    case '==':
      return actual === expected;
    default:
      return assertNever(op, 'comparison');
  }
}

function formatFigure(metric: string, value: number): string {
  if (metric === 'test_pass_rate' || metric === 'tasks_completed_ratio') return `${(value * 100).toFixed(1)}%`;
  if (metric === 'test_coverage' || metric === 'doc_coverage') return `${value.toFixed(2)}%`;
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(2);
}

/** Why a figure the facts hold as null was not measured, when there is more to say than that. */
export type UnmeasuredReasons = Partial<Record<keyof MeasuredFacts, string>>;

/** What follows the metric in the evidence of a criterion whose figure was not measured. */
const NOT_MEASURED = ' was not measured';

/** Whether the criterion was judged on a measured figure (else it failed because there was none: the evidence evaluateCriterion wrote says so). */
export function criterionMeasured(result: CriterionResult): boolean {
  // The metric is one word: `tests_total was not measured: …`.
  const at = result.evidence.indexOf(NOT_MEASURED);
  return at <= 0 || /\s/.test(result.evidence.slice(0, at));
}

export function evaluateCriterion(criterion: CriterionConfig, facts: MeasuredFacts, unmeasured: UnmeasuredReasons = {}): CriterionResult {
  const actual = (facts as unknown as Record<string, number | null | undefined>)[criterion.metric];
  const base = { id: criterion.id, description: criterion.description, level: criterion.level };
  if (actual === null || actual === undefined) {
    const why = unmeasured[criterion.metric as keyof MeasuredFacts];
    return { ...base, passed: false, evidence: `${criterion.metric}${NOT_MEASURED}${why ? `: ${why}` : ''}` };
  }
  const passed = compare(actual, criterion.op, criterion.value);
  return {
    ...base,
    passed,
    evidence: `${criterion.metric} ${formatFigure(criterion.metric, actual)} ${criterion.op} ${formatFigure(criterion.metric, criterion.value)}: ${passed ? 'met' : 'not met'}`,
  };
}

export function evaluateCriteria(criteria: CriterionConfig[], facts: MeasuredFacts, unmeasured: UnmeasuredReasons = {}): CriterionResult[] {
  return criteria.map((c) => evaluateCriterion(c, facts, unmeasured));
}

/** The test figures, unmeasured for one reason: a test run that gave no results, or one older than a failed build. */
export function testsUnmeasured(why: string): UnmeasuredReasons {
  return { test_pass_rate: why, test_coverage: why, tests_total: why };
}

/** Critical criteria decide the phase (and the run): all must pass. */
export function criticalPassed(results: CriterionResult[]): boolean {
  return results.every((r) => r.level !== 'critical' || r.passed);
}
