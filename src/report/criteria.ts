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

/**
 * Figures that differ only by floating-point rounding are equal: coverage
 * tools write rates (cobertura's line-rate="0.57") and percentages are
 * computed (29 of 100 lines * 100 = 28.999999999999996), and a figure exactly
 * at its target failed `>= 57` on the last bit of a double. No real figure
 * differs from its target by less than a billionth of it.
 */
function sameFigure(actual: number, expected: number): boolean {
  return Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(actual), Math.abs(expected));
}

function compare(actual: number, op: CriterionConfig['op'], expected: number): boolean {
  const same = sameFigure(actual, expected);
  switch (op) {
    case '>=':
      return same || actual > expected;
    case '<=':
      return same || actual < expected;
    case '>':
      return !same && actual > expected;
    case '<':
      return !same && actual < expected;
    case '==':
      return same;
    default:
      return assertNever(op, 'comparison');
  }
}

function formatFigure(metric: string, value: number, digits?: number): string {
  if (metric === 'test_pass_rate' || metric === 'tasks_completed_ratio') return `${(value * 100).toFixed(digits ?? 1)}%`;
  if (metric === 'test_coverage' || metric === 'doc_coverage') return `${value.toFixed(digits ?? 2)}%`;
  if (Number.isInteger(value) && digits === undefined) return String(value);
  return value.toFixed(digits ?? 2);
}

/**
 * The figure and its target as the evidence writes them: with more digits
 * where the usual ones would print the two alike though they differ
 * ("test_pass_rate 95.0% >= 95.0%: not met" for 94.96% said nothing).
 */
function formatPair(metric: string, actual: number, expected: number): [string, string] {
  let pair: [string, string] = [formatFigure(metric, actual), formatFigure(metric, expected)];
  if (sameFigure(actual, expected)) return pair;
  for (let digits = 2; digits <= 8 && pair[0] === pair[1]; digits++) pair = [formatFigure(metric, actual, digits), formatFigure(metric, expected, digits)];
  return pair;
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
  // NaN or an infinity (0 of 0 tests, a rate of nothing) is no figure either: never compared, never "met".
  if (actual === null || actual === undefined || !Number.isFinite(actual)) {
    const why = unmeasured[criterion.metric as keyof MeasuredFacts];
    return { ...base, passed: false, evidence: `${criterion.metric}${NOT_MEASURED}${why ? `: ${why}` : ''}` };
  }
  const passed = compare(actual, criterion.op, criterion.value);
  const shown = formatPair(criterion.metric, actual, criterion.value);
  return {
    ...base,
    passed,
    evidence: `${criterion.metric} ${shown[0]} ${criterion.op} ${shown[1]}: ${passed ? 'met' : 'not met'}`,
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
