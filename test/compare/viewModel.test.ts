// compareRuns: the pure view model of `megatest compare`. Figures are
// readings of each run's fold; the expected ones are counted here from the
// recorded event log and the legacy fixture files.

import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BANDS, rateBand } from '../../src/report/bands.js';
import { renderCompareMarkdown } from '../../src/compare/render.js';
import { compareRuns, type CompareRunInput } from '../../src/compare/viewModel.js';
import type { CriterionResult, MegatestEvent } from '../../src/contract/events.js';
import { CRITERION_METRICS, evaluateCriterion, type MeasuredFacts } from '../../src/report/criteria.js';
import { foldRunFolder } from '../../src/io/foldLog.js';
import { buildReport, type FinalReport } from '../../src/report/report.js';
import { foldAll } from '../../src/state/fold.js';
import { checkpointFiles, copyLegacyFixtures, metricsFiles, readJson, recordedEvents, recordedRunFolder } from '../legacy/legacyFixtures.js';

describe('bands', () => {
  it('rates tokens/LOC and tool calls/task below each limit (strictly), coverage at or above', () => {
    const tokens = [199.9, 200, 299.9, 300, 499.9, 500].map((v) => rateBand(v, BANDS.tokens_per_loc));
    expect(tokens).toEqual(['excellent', 'good', 'good', 'acceptable', 'acceptable', 'below']);
    const calls = [19, 20, 29, 30, 49, 50].map((v) => rateBand(v, BANDS.tool_calls_per_task));
    expect(calls).toEqual(['excellent', 'good', 'good', 'acceptable', 'acceptable', 'below']);
    const coverage = [90, 89.9, 80, 79.9, 70, 69.9].map((v) => rateBand(v, BANDS.coverage));
    expect(coverage).toEqual(['excellent', 'good', 'good', 'acceptable', 'acceptable', 'below']);
    expect(rateBand(null, BANDS.coverage)).toBe('not measured');
  });
});

/** A small run, folded from events written here: tokens, LOC, tasks, tool calls, a test run and errors. */
function syntheticRun(
  name: string,
  figures: { tokens: number; loc: number; tasks: number; toolCalls: number; coverage: number; errors: number; passed: boolean; costsUsd?: number[]; ended?: boolean },
): CompareRunInput {
  const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
  const events: Omit<MegatestEvent, 'seq'>[] = [
    { ts: t(0), type: 'session_started', session_id: name, project: 'task_queue', project_name: 'RedQueue', agent_kind: 'sim', simulated: true, agents: 1, duration_seconds: 60, phases: [{ name: 'p', duration_seconds: 60, tasks: Array.from({ length: figures.tasks }, (_, i) => `task ${i}`) }], megatest_version: '0.1.0' },
    { ts: t(1), type: 'tokens', agent: 'a', input: figures.tokens, output: 0, model: 'm' },
    // cost reports, as Claude Code's result lines give them: one a task run, on the model each named
    ...(figures.costsUsd ?? []).map((cost, i) => ({ ts: t(1), type: 'tokens' as const, agent: 'a', input: 0, output: 0, model: i % 2 === 0 ? 'm' : 'n', cost_usd: cost })),
    ...Array.from({ length: figures.toolCalls }, () => ({ ts: t(2), type: 'tool_call' as const, agent: 'a', tool: 'x', ok: true, duration_ms: 1 })),
    ...Array.from({ length: figures.tasks }, (_, i) => ({ ts: t(3), type: 'task_completed' as const, agent: 'a', task: `task ${i}`, phase: 'p' })),
    ...Array.from({ length: figures.errors }, () => ({ ts: t(4), type: 'error' as const, class: 'c', severity: 'recoverable' as const, message: 'e' })),
    { ts: t(5), type: 'test_run', passed: 9, failed: 1, skipped: 0, duration: 1, coverage: figures.coverage, source: 't' },
    ...(figures.ended === false ? [] : [{ ts: t(6), type: 'session_ended', status: 'completed', exit_code: 0 }]),
  ] as Omit<MegatestEvent, 'seq'>[];
  const state = foldAll(events.map((e, i) => ({ ...e, seq: i + 1 }) as MegatestEvent));
  const report = {
    session_id: name,
    project: 'task_queue',
    agent_kind: 'sim',
    simulated: true,
    status: 'completed',
    criteria: [{ id: 'tests_pass', description: 'Tests pass', level: 'critical', passed: figures.passed, evidence: 'e' }],
  } as unknown as FinalReport;
  return { name, state, report };
}

describe('compare notes: deltas that do not compare like with like', () => {
  const figures = { tokens: 25_000, loc: 0, tasks: 10, toolCalls: 250, coverage: 85, errors: 2, passed: true };
  const base = syntheticRun('A', figures);

  it('says so when a run built another project or was planned for another length', () => {
    const other = syntheticRun('B', figures);
    const database = { ...other, report: { ...other.report, project: 'database' } as FinalReport };
    const longer = { ...other, state: { ...other.state, session: { ...other.state.session!, durationSeconds: 3600 } } };
    expect(compareRuns([base, database]).notes).toEqual(['B built another project (database) than the base (task_queue): its deltas compare different work']);
    const notes = compareRuns([base, longer]).notes;
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^B was planned for 1h.*, the base for 1m.*: its totals/);
    expect(renderCompareMarkdown(compareRuns([base, longer]))).toContain(`Note: ${notes[0]}.`);
  });

  it('says so when the same run is given twice', () => {
    expect(compareRuns([base, { ...base, name: 'A-again' }]).notes).toEqual(['A-again is the same run as A (session A): its deltas against it are nothing but zero']);
  });

  it('says nothing for runs alike in project and plan', () => {
    expect(compareRuns([base, syntheticRun('B', figures)]).notes).toEqual([]);
  });
});

describe('compareRuns (pure)', () => {
  const base = syntheticRun('A', { tokens: 25_000, loc: 0, tasks: 10, toolCalls: 250, coverage: 85, errors: 2, passed: true });
  const other = syntheticRun('B', { tokens: 15_000, loc: 0, tasks: 10, toolCalls: 150, coverage: 65, errors: 3, passed: false });
  const view = compareRuns([base, other]);
  const row = (key: string) => view.rows.find((r) => r.key === key)!;

  it('gives each figure with its delta against the first run and which is better', () => {
    expect(row('tokens').cells).toEqual([
      { value: 25_000, delta: null, verdict: null },
      { value: 15_000, delta: -10_000, verdict: 'better' },
    ]);
    expect(row('tool_calls_per_task').cells.map((c) => [c.value, c.rating, c.verdict])).toEqual([
      [25, 'good', null],
      [15, 'excellent', 'better'],
    ]);
    expect(row('coverage').cells.map((c) => [c.value, c.rating, c.verdict])).toEqual([
      [85, 'good', null],
      [65, 'below', 'worse'],
    ]);
    expect(row('errors').cells[1]).toMatchObject({ delta: 1, verdict: 'worse' });
    expect(row('test_pass_rate').cells[1]).toMatchObject({ value: 0.9, delta: 0, verdict: 'same' });
    // no lines of code measured: no tokens/LOC, never a guess
    expect(row('tokens_per_loc').cells.map((c) => c.rating)).toEqual(['not measured', 'not measured']);
    expect(row('cost_usd').cells.map((c) => c.value)).toEqual([null, null]);
    expect(view.criteria).toEqual([
      {
        id: 'tests_pass',
        description: 'Tests pass',
        level: 'critical',
        cells: [
          { passed: true, measured: true, evidence: 'e', description: null, verdict: null, not_judged: null },
          { passed: false, measured: true, evidence: 'e', description: null, verdict: 'worse', not_judged: null },
        ],
      },
    ]);
  });

  it("gives the cost the agents reported, summed over models; not recorded (never $0) for a run with no cost report", () => {
    const costs = [0.2472, 0.0125, 0.5];
    const paid = syntheticRun('C', { tokens: 15_000, loc: 0, tasks: 10, toolCalls: 150, coverage: 65, errors: 3, passed: false, costsUsd: costs });
    const cheaper = syntheticRun('D', { tokens: 15_000, loc: 0, tasks: 10, toolCalls: 150, coverage: 65, errors: 3, passed: false, costsUsd: [0.25] });
    const cost = compareRuns([paid, cheaper, base]).rows.find((r) => r.key === 'cost_usd')!;
    const total = costs.reduce((a, b) => a + b, 0);
    expect(cost.cells[0]!.value).toBeCloseTo(total, 10);
    expect(cost.cells[1]).toMatchObject({ value: 0.25, verdict: 'better' });
    expect(cost.cells[1]!.delta).toBeCloseTo(0.25 - total, 10);
    expect(cost.cells[2]).toMatchObject({ value: null, verdict: 'n/a' });
    const md = renderCompareMarkdown(compareRuns([paid, cheaper, base]));
    expect(md).toContain(`| cost | $${total.toFixed(4)} | $0.2500 (−$${(total - 0.25).toFixed(4)}, better) | not recorded |`);
  });

  it('an import\'s criteria left out of its verdict read "not judged", not as missing', () => {
    const imported = syntheticRun('I', { tokens: 15_000, loc: 0, tasks: 10, toolCalls: 150, coverage: 65, errors: 3, passed: false });
    const report = { ...imported.report, criteria: [], criteria_not_judged: [{ id: 'tests_pass', description: 'Tests pass', level: 'critical', reason: 'an import runs no tests' }] } as FinalReport;
    const both = compareRuns([base, { ...imported, report }]);
    expect(both.criteria[0]!.cells[1]).toMatchObject({ passed: null, not_judged: 'an import runs no tests', verdict: 'n/a' });
    expect(renderCompareMarkdown(both)).toContain('| Tests pass | critical | PASS | not judged |');
    // A run with no such criterion at all still reads —.
    const other = syntheticRun('J', { tokens: 1, loc: 0, tasks: 1, toolCalls: 1, coverage: 1, errors: 0, passed: true });
    expect(renderCompareMarkdown(compareRuns([base, { ...other, report: { ...other.report, criteria: [] } as FinalReport }]))).toContain('| Tests pass | critical | PASS | — |');
  });

  it('judges totals (tokens, errors, cost) only between runs that completed: a run stopped early spent less, which is no better', () => {
    const stopped = syntheticRun('C', { tokens: 5_000, loc: 0, tasks: 2, toolCalls: 50, coverage: 85, errors: 0, passed: true, costsUsd: [0.01], ended: false });
    const mixed = compareRuns([syntheticRun('A', { tokens: 25_000, loc: 0, tasks: 10, toolCalls: 250, coverage: 85, errors: 2, passed: true, costsUsd: [0.5] }), stopped]);
    for (const key of ['tokens', 'errors', 'cost_usd']) expect(mixed.rows.find((r) => r.key === key)!.cells[1], key).toMatchObject({ verdict: 'n/a' });
    // A ratio is still judged: tool calls per task done.
    expect(mixed.rows.find((r) => r.key === 'tool_calls_per_task')!.cells[1]!.verdict).toBe('same');
    expect(renderCompareMarkdown(mixed)).toContain('totals (tokens, errors, cost) are judged only between runs that completed');
  });

  it('renders a table with the base, the deltas, the ratings and the band legend', () => {
    const md = renderCompareMarkdown(view);
    expect(md).toContain('| | A (base) | B |');
    expect(md).toContain('| tokens | 25,000 | 15,000 (−10,000, better) |');
    expect(md).toContain('| line coverage | 85.0% good | 65.0% below (−20.0 pp, worse) |');
    expect(md).toContain('| Tests pass | critical | PASS | FAIL, worse |');
    expect(md).toContain('Tokens/LOC: < 500 acceptable, < 300 good, < 200 excellent');
    // Only the bands of rows compare shows: the report's build time has none here.
    expect(md).not.toContain('Build time');
  });

  it('a delta below the precision shown reads ±, with no better or worse beside it; the JSON keeps it exact', () => {
    // 148 tool calls for 21 tasks against 147: 7.05 against 7.00 a task, both "7.0".
    const first = syntheticRun('A', { tokens: 1_000, loc: 0, tasks: 21, toolCalls: 147, coverage: 85, errors: 0, passed: true });
    const second = syntheticRun('B', { tokens: 1_000, loc: 0, tasks: 21, toolCalls: 148, coverage: 85, errors: 0, passed: true });
    const close = compareRuns([first, second]);
    const cell = close.rows.find((r) => r.key === 'tool_calls_per_task')!.cells[1]!;
    expect(cell.delta).toBeCloseTo(148 / 21 - 147 / 21, 10);
    expect(cell.verdict).toBe('worse');
    const md = renderCompareMarkdown(close);
    expect(md).toContain('| tool calls/task | 7.0 excellent | 7.0 excellent (±0.0) |');
    // A delta that shows keeps its sign and its word.
    const further = compareRuns([first, syntheticRun('C', { tokens: 1_000, loc: 0, tasks: 21, toolCalls: 150, coverage: 85, errors: 0, passed: true })]);
    expect(renderCompareMarkdown(further)).toContain('| tool calls/task | 7.0 excellent | 7.1 excellent (+0.1, worse) |');
  });

  it('says which runs did not measure a criterion and which judged another target, and judges neither better', () => {
    const withCriteria = (input: CompareRunInput, criteria: CriterionResult[]): CompareRunInput => ({ ...input, report: { ...input.report, criteria } });
    const figures = { tokens: 1, loc: 0, tasks: 1, toolCalls: 1, coverage: 85, errors: 0 };
    const legacy = withCriteria(syntheticRun('legacy', { ...figures, passed: false }), [
      evaluateCriterion({ id: 'build_passes', description: 'The project builds', level: 'critical', metric: 'build_ok', op: '==', value: 1 }, facts({})),
      evaluateCriterion({ id: 'loc_target', description: 'At least 5000 lines of code', level: 'important', metric: 'lines_of_code', op: '>=', value: 5000 }, facts({ lines_of_code: 2800 })),
      evaluateCriterion({ id: 'tests_pass', description: 'Tests pass', level: 'critical', metric: 'test_pass_rate', op: '>=', value: 0.95 }, facts({ test_pass_rate: 0.5 })),
    ]);
    const short = withCriteria(syntheticRun('short', { ...figures, passed: true }), [
      evaluateCriterion({ id: 'build_passes', description: 'The project builds', level: 'critical', metric: 'build_ok', op: '==', value: 1 }, facts({ build_ok: 1 })),
      evaluateCriterion({ id: 'loc_target', description: 'At least 21 lines of code (scaled)', level: 'important', metric: 'lines_of_code', op: '>=', value: 21 }, facts({ lines_of_code: 1604 })),
      evaluateCriterion({ id: 'tests_pass', description: 'Tests pass', level: 'critical', metric: 'test_pass_rate', op: '>=', value: 0.95 }, facts({ test_pass_rate: 1 })),
    ]);
    const compared = compareRuns([legacy, short]);
    const cells = (id: string) => compared.criteria.find((c) => c.id === id)!.cells;
    expect(cells('build_passes').map((c) => [c.passed, c.measured, c.verdict])).toEqual([
      [false, false, null],
      [true, true, 'n/a'],
    ]);
    expect(cells('loc_target').map((c) => [c.passed, c.description, c.verdict])).toEqual([
      [false, null, null],
      [true, 'At least 21 lines of code (scaled)', 'n/a'],
    ]);
    expect(cells('tests_pass')[1]!.verdict).toBe('better');
    const md = renderCompareMarkdown(compared);
    expect(md).toContain('| The project builds | critical | FAIL (not measured) | PASS |');
    expect(md).toContain('| At least 5000 lines of code | important | FAIL | PASS [1] |');
    expect(md).toContain('[1] short: its criterion is "At least 21 lines of code (scaled)"');
    expect(md).toContain('| Tests pass | critical | FAIL | PASS, better |');
  });
});

/** Facts with every figure unmeasured but those given. */
function facts(given: Partial<MeasuredFacts>): MeasuredFacts {
  const none = Object.fromEntries(CRITERION_METRICS.map((metric) => [metric, null])) as unknown as MeasuredFacts;
  return { ...none, ...given };
}

describe('compareRuns on a recorded run and legacy runs', () => {
  let runs: string;
  beforeAll(() => {
    runs = copyLegacyFixtures('megatest-compare-');
  });
  afterAll(() => rmSync(runs, { recursive: true, force: true }));

  async function input(dir: string, name: string): Promise<CompareRunInput> {
    const folded = await foldRunFolder(dir);
    return { name, state: folded.state, report: await buildReport(dir, folded) };
  }

  it('every figure is the one the files say', async () => {
    const recorded = recordedRunFolder(runs, 'recorded');
    const legacyDir = path.join(runs, 'python-complete');
    const view = compareRuns([await input(recorded, 'recorded'), await input(legacyDir, 'legacy'), await input(path.join(runs, 'bash-complete'), 'bash')]);
    const value = (key: string, run: number) => view.rows.find((r) => r.key === key)!.cells[run]!.value;

    // the recorded run, counted from its events.jsonl
    const events = recordedEvents();
    const of = (type: string) => events.filter((e) => e.type === type);
    const tokens = of('tokens').reduce((sum, e) => sum + e.input + e.output, 0);
    const lastMetrics = of('metrics').at(-1).metrics;
    const lastTest = of('test_run').at(-1);
    expect(value('tokens', 0)).toBe(tokens);
    expect(value('lines_of_code', 0)).toBe(lastMetrics.lines_of_code);
    expect(value('tokens_per_loc', 0)).toBeCloseTo(tokens / lastMetrics.lines_of_code, 9);
    expect(value('tool_calls_per_task', 0)).toBeCloseTo(of('tool_call').length / lastMetrics.tasks_completed, 9);
    expect(value('test_pass_rate', 0)).toBe(lastTest.passed / (lastTest.passed + lastTest.failed));
    expect(value('coverage', 0)).toBe(lastTest.coverage);
    expect(value('errors', 0)).toBe(of('error').length);
    expect(value('checkpoints', 0)).toBe(of('checkpoint_created').length);
    expect(value('recoveries', 0)).toBe(of('recovery').filter((e) => e.outcome === 'succeeded').length);

    // the legacy run, from its files
    const last = readJson(metricsFiles(legacyDir).at(-1)!.file).metrics;
    const final = readJson(path.join(legacyDir, 'final_report.json'));
    expect(value('tokens', 1)).toBe(last.total_tokens);
    expect(value('lines_of_code', 1)).toBe(final.final_loc);
    expect(value('coverage', 1)).toBeCloseTo(final.final_coverage * 100, 9);
    expect(value('errors', 1)).toBe(final.errors);
    expect(value('checkpoints', 1)).toBe(checkpointFiles(legacyDir).length);
    expect(value('tool_calls_per_task', 1)).toBeNull(); // test_runner.py never counted tool calls
    const tokensRow = view.rows.find((r) => r.key === 'tokens')!;
    expect(tokensRow.cells[1]!.delta).toBe(last.total_tokens - tokens);
    expect(tokensRow.cells[1]!.verdict).toBe(last.total_tokens < tokens ? 'better' : 'worse');
    expect(tokensRow.cells[2]).toMatchObject({ value: null, delta: null, verdict: 'n/a' });
    // The Bash runner counted no errors either: not recorded, never 0 (docs/legacy.md).
    expect(view.rows.find((r) => r.key === 'errors')!.cells[2]).toMatchObject({ value: null, verdict: 'n/a' });
    expect(view.rows.find((r) => r.key === 'tokens_per_loc')!.cells[1]!.rating).toBe(
      rateBand(last.total_tokens / final.final_loc, { label: '', unit: '', lowerIsBetter: true, acceptable: 500, good: 300, excellent: 200 }),
    );
    expect(view.runs.map((r) => r.legacy)).toEqual([null, 'python', 'bash']);
    // each run's criteria, side by side
    expect(view.criteria.map((c) => c.id)).toContain('tests_pass');
    expect(view.criteria.every((c) => c.cells.length === 3)).toBe(true);
  });
});
