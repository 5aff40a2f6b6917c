import { describe, expect, it } from 'vitest';
import { criticalPassed, evaluateCriterion, type MeasuredFacts } from '../../src/report/criteria.js';
import { distributeTasks, phaseDurations, remainingPhaseBudget, rolesFor } from '../../src/engine/schedule.js';
import { backoffSeconds, classifyError } from '../../src/engine/classify.js';
import { rate, EFFICIENCY_TABLE } from '../../src/report/report.js';
import { BANDS, rateBand } from '../../src/report/bands.js';

const facts: MeasuredFacts = {
  build_ok: 1,
  test_pass_rate: 0.9,
  test_coverage: 81.5,
  lines_of_code: 1200,
  doc_coverage: null,
  tests_total: 40,
  tasks_completed_ratio: 1,
  fatal_errors: 0,
  checkpoints_valid: 1,
  data_loss_events: 0,
  ops_per_second: null,
};

describe('criteria', () => {
  it('compares the measured figure and says so', () => {
    const r = evaluateCriterion({ id: 'cov', description: 'coverage', level: 'important', metric: 'test_coverage', op: '>=', value: 80 }, facts);
    expect(r.passed).toBe(true);
    expect(r.evidence).toBe('test_coverage 81.50% >= 80.00%: met');
    const pass = evaluateCriterion({ id: 'pass', description: 'pass', level: 'critical', metric: 'test_pass_rate', op: '>=', value: 0.95 }, facts);
    expect(pass.passed).toBe(false);
    expect(pass.evidence).toBe('test_pass_rate 90.0% >= 95.0%: not met');
  });

  it('fails a criterion whose figure was not measured, never assuming it', () => {
    const r = evaluateCriterion({ id: 'doc', description: 'doc', level: 'nice_to_have', metric: 'doc_coverage', op: '>=', value: 50 }, facts);
    expect(r).toMatchObject({ passed: false, evidence: 'doc_coverage was not measured' });
  });

  it('judges a figure exactly at its target as at it, whatever the rounding of its computation', () => {
    // 29 of 100 lines * 100 = 28.999999999999996; cobertura's line-rate="0.57" * 100 = 56.99999999999999.
    const at = (metric: keyof MeasuredFacts, value: number, op: '>=' | '<=' | '>' | '<' | '==', target: number) =>
      evaluateCriterion({ id: 'x', description: 'x', level: 'important', metric, op, value: target }, { ...facts, [metric]: value });
    expect((29 / 100) * 100).toBeLessThan(29);
    expect(at('test_coverage', (29 / 100) * 100, '>=', 29)).toMatchObject({ passed: true, evidence: 'test_coverage 29.00% >= 29.00%: met' });
    expect(at('test_coverage', 0.57 * 100, '>=', 57).passed).toBe(true);
    expect(at('test_coverage', 0.57 * 100, '==', 57).passed).toBe(true);
    expect(at('test_coverage', 0.57 * 100, '<', 57).passed).toBe(false);
    expect(at('test_coverage', 0.57 * 100, '>', 56.99).passed).toBe(true);
    expect(at('test_pass_rate', 19 / 20, '>=', 0.95).passed).toBe(true);
    expect(at('lines_of_code', 1000, '>=', 1000).passed).toBe(true);
    expect(at('lines_of_code', 999, '>=', 1000)).toMatchObject({ passed: false, evidence: 'lines_of_code 999 >= 1000: not met' });
  });

  it('prints a figure just under its target with the digits that tell them apart', () => {
    const rate = evaluateCriterion({ id: 'p', description: 'p', level: 'critical', metric: 'test_pass_rate', op: '>=', value: 0.95 }, { ...facts, test_pass_rate: 0.9496 });
    expect(rate).toMatchObject({ passed: false, evidence: 'test_pass_rate 94.96% >= 95.00%: not met' });
    const cov = evaluateCriterion({ id: 'c', description: 'c', level: 'important', metric: 'test_coverage', op: '>=', value: 80 }, { ...facts, test_coverage: 79.999 });
    expect(cov).toMatchObject({ passed: false, evidence: 'test_coverage 79.999% >= 80.000%: not met' });
  });

  it('fails a criterion on a figure that is not a number (NaN, Infinity) as not measured', () => {
    const r = evaluateCriterion({ id: 'p', description: 'p', level: 'critical', metric: 'test_pass_rate', op: '<=', value: 1 }, { ...facts, test_pass_rate: Number.NaN });
    expect(r).toMatchObject({ passed: false, evidence: 'test_pass_rate was not measured' });
  });

  it('decides on critical criteria only', () => {
    const base = { id: 'x', description: '', evidence: '' };
    expect(criticalPassed([{ ...base, level: 'important', passed: false }, { ...base, level: 'critical', passed: true }])).toBe(true);
    expect(criticalPassed([{ ...base, level: 'critical', passed: false }])).toBe(false);
  });
});

describe('schedule', () => {
  const phases = [{ weight: 1 }, { weight: 2 }, { weight: 2 }, { weight: 1 }];
  it('shares 6 h as 1 h / 2 h / 2 h / 1 h', () => {
    expect(phaseDurations(phases, 6 * 3600)).toEqual([3600, 7200, 7200, 3600]);
  });
  it('gives unused time to the phases after, by weight', () => {
    // 5 h left for phases 2..4 (weights 2, 2, 1): phase 2 gets 2 h.
    expect(remainingPhaseBudget(phases, 1, 5 * 3600)).toBe(7200);
  });
  it('distributes tasks round robin and cycles roles', () => {
    expect([...distributeTasks(['a', 'b', 'c'], ['x', 'y']).entries()]).toEqual([
      ['x', ['a', 'c']],
      ['y', ['b']],
    ]);
    expect(rolesFor(4, ['architect', 'developer', 'tester'])).toEqual(['architect', 'developer', 'tester', 'architect']);
  });
});

describe('classification and backoff', () => {
  it('classifies with the built-in classes when no rule matches', () => {
    expect(classifyError('ETIMEDOUT: network timeout contacting model API', [])).toMatchObject({ class: 'network_timeout', action: 'retry_with_backoff' });
    expect(classifyError('429 Too Many Requests: rate limit exceeded', [])).toMatchObject({ class: 'rate_limit', action: 'switch_model' });
    expect(classifyError('parse failure: model returned malformed tool call JSON', [])).toMatchObject({ class: 'parse_failure' });
    expect(classifyError('ENOSPC: no space left on device', [])).toMatchObject({ class: 'disk_full', action: 'pause_and_alert' });
    expect(classifyError('consensus deadlock: no quorum after voting timeout', [])).toMatchObject({ class: 'consensus_deadlock', action: 'escalate' });
    expect(classifyError('something odd', [])).toMatchObject({ class: 'unknown', action: 'log_and_continue' });
  });
  it('lets a configured rule decide first', () => {
    const c = classifyError('flaky thing', [{ pattern: 'flaky', severity: 'transient', action: 'retry_immediate', class: 'flaky' }]);
    expect(c).toMatchObject({ class: 'flaky', action: 'retry_immediate', matched: 'rule #1 (flaky)' });
  });
  it('backs off fixed, linear and exponentially, capped', () => {
    expect([1, 2, 3, 4].map((n) => backoffSeconds('fixed', n, 2, 10))).toEqual([2, 2, 2, 2]);
    expect([1, 2, 3, 4].map((n) => backoffSeconds('linear', n, 2, 10))).toEqual([2, 4, 6, 8]);
    expect([1, 2, 3, 4].map((n) => backoffSeconds('exponential', n, 2, 10))).toEqual([2, 4, 8, 10]);
  });
});

describe('efficiency ratings', () => {
  it('rates by the seed\'s bands, the ones compare rates by: the same figure, the same word in both', () => {
    const row = EFFICIENCY_TABLE.tokens_per_loc;
    expect(row.band).toBe(BANDS.tokens_per_loc);
    expect(EFFICIENCY_TABLE.tool_calls_per_task.band).toBe(BANDS.tool_calls_per_task);
    expect(rate(135.12, row)).toBe('excellent');
    expect(rate(250, row)).toBe('good');
    expect(rate(400, row)).toBe('acceptable');
    expect(rate(900, row)).toBe('below');
    expect(rate(null, row)).toBe('not measured');
    for (const value of [19, 20, 29.9, 30, 49, 50, 51]) expect(rate(value, EFFICIENCY_TABLE.tool_calls_per_task)).toBe(rateBand(value, BANDS.tool_calls_per_task));
  });
});
