// final_report.md gives counts as people read them (1,604 lines, 61,386
// tokens), as status and the headless log do; final_report.json keeps the
// plain numbers.

import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/report/report.js';
import { fakeReport } from './fakeReport.js';

const base = fakeReport('completed', []);
const report = fakeReport('completed', [], [], {
  measurements: { ...base.measurements, lines_of_code: 1604, total_tokens: 61_386, input_tokens: 54_146, output_tokens: 7240, tool_calls: 1073 },
  agents: [{ name: 'agent-1', role: 'developer', model: 'm', tokens: 23_456, tool_calls: 1002, trust_score: 1, protocol_errors: 0, capabilities: null }],
  models: [{ model: 'm', tasks: [], input_tokens: 20_000, output_tokens: 3456, total_tokens: 23_456, cost_usd: null }],
});
const markdown = renderMarkdown(report);
const row = (label: string) => markdown.split('\n').find((line) => line.startsWith(`| ${label} |`));

describe('final_report.md figures', () => {
  it('groups the digits of lines of code, tokens and tool calls', () => {
    expect(row('lines of code')).toBe('| lines of code | 1,604 |');
    expect(row('tokens')).toBe('| tokens | 61,386 (54,146 in, 7,240 out) |');
    expect(row('tool calls')).toBe('| tool calls | 1,073 |');
    expect(row('cost')).toBe('| cost | not reported by the agents |');
    expect(renderMarkdown({ ...report, measurements: { ...report.measurements, cost_usd: 0.38272 } }).split('\n')).toContain('| cost | $0.3827, as the agents reported it |');
    expect(row('agent-1')).toMatch(/^\| agent-1 \| developer \| m \| 23,456 \| 1,002 \| /);
    expect(row('`m`')).toBe('| `m` | 0 | 23,456 (20,000 in, 3,456 out) | not reported |');
  });

  it('says what is missing rather than a 0', () => {
    const bare = renderMarkdown(fakeReport('completed', [], [], { agents: [{ ...report.agents[0]!, tokens: null }] }));
    expect(bare).toContain('| lines of code | not measured |');
    expect(bare).toContain('| tests | none run |');
    const counted = { ...report.measurements, tests_passed: 1200, tests_failed: 3, tests_skipped: 0 };
    expect(renderMarkdown({ ...report, measurements: counted }).split('\n')).toContain('| tests | 1,200 passed, 3 failed, 0 skipped |');
    expect(bare).toContain('| tokens | not recorded |');
    expect(bare).toMatch(/^\| agent-1 \| developer \| m \| not recorded \| 1,002 \| /m);
    const unmeasured = renderMarkdown(fakeReport('completed', [], [], { measurements: { ...report.measurements, files_modified: null } })).split('\n');
    expect(unmeasured).toContain('| files modified | not measured |');
  });

  it("shows the benchmark's figure, or why it gave none, only where one ran", () => {
    expect(row('benchmark')).toBeUndefined();
    const withFigure = renderMarkdown({ ...report, measurements: { ...report.measurements, ops_per_second: 12_345.6 } }).split('\n');
    expect(withFigure).toContain('| benchmark | 12,346 ops/s |');
    const failed = renderMarkdown({ ...report, measurements: { ...report.measurements, benchmark_problem: 'failed with exit 3: boom' } }).split('\n');
    expect(failed).toContain('| benchmark | no figure: it failed with exit 3: boom |');
  });

  it('says no critical criterion was judged rather than that all passed, where none was', () => {
    const verdict = (criteria: typeof report.criteria) =>
      renderMarkdown({ ...report, criteria, verdict: { critical_passed: true, passed: criteria.filter((c) => c.passed).length, failed: 0 } })
        .split('\n')
        .find((line) => line.startsWith('| verdict |'));
    const important = { id: 'tasks', description: 'tasks done', level: 'important' as const, passed: true, evidence: 'met' };
    expect(verdict([important])).toBe('| verdict | no critical criterion judged (1 passed, 0 failed) |');
    expect(verdict([important, { ...important, id: 'fatal', level: 'critical' }])).toBe('| verdict | all critical criteria passed (2 passed, 0 failed) |');
  });

  it("gives an agent's trust as a share of its tool calls, and none for an agent that made none", () => {
    const agents = [
      { ...report.agents[0]!, name: 'agent-1', tool_calls: 0, trust_score: null },
      { ...report.agents[0]!, name: 'agent-2', tool_calls: 8, trust_score: 0.875 },
    ];
    const lines = renderMarkdown({ ...report, agents }).split('\n');
    expect(lines.find((l) => l.startsWith('| agent-1 |'))).toMatch(/^\| agent-1 \| developer \| m \| 23,456 \| 0 \| — \| /);
    expect(lines.find((l) => l.startsWith('| agent-2 |'))).toMatch(/^\| agent-2 \| developer \| m \| 23,456 \| 8 \| 87\.5% \| /);
  });

  it('gives an efficiency figure with its unit, and none without a figure', () => {
    const efficiency = {
      ...report.efficiency,
      tokens_per_loc: { value: null, rating: 'not measured' as const, unit: 'tokens/LOC' },
      tool_calls_per_task: { value: 12.5, rating: 'excellent' as const, unit: 'tool calls/task' },
    };
    const lines = renderMarkdown({ ...report, efficiency }).split('\n');
    expect(lines.find((line) => line.startsWith('| tokens per loc |'))).toMatch(/^\| tokens per loc \| — \| not measured \| /);
    expect(lines.find((line) => line.startsWith('| tool calls per task |'))).toMatch(/^\| tool calls per task \| 12\.5 tool calls\/task \| excellent \| /);
  });
});

describe('the tests row with tests that passed only on a rerun', () => {
  it('says how many of the passed ones, beside the counts', () => {
    const base = fakeReport('completed', []);
    const md = renderMarkdown({ ...base, measurements: { ...base.measurements, tests_passed: 45, tests_failed: 1, tests_skipped: 0, tests_flaky: 2 } });
    expect(md).toContain('| tests | 45 passed (2 of them only on a rerun), 1 failed, 0 skipped |');
    const steady = renderMarkdown({ ...base, measurements: { ...base.measurements, tests_passed: 45, tests_failed: 1, tests_skipped: 0, tests_flaky: 0 } });
    expect(steady).toContain('| tests | 45 passed, 1 failed, 0 skipped |');
  });
});
