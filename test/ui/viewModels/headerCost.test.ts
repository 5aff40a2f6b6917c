// The header's counts carry what the agents said the run cost, where one
// reported a cost (Claude Code); a run with no cost report shows none, not $0.

import { describe, expect, it } from 'vitest';
import type { ConsoleState } from '../../../src/state/applyEvent.js';
import { formatUsd } from '../../../src/ui/viewModels/format.js';
import { headerModel } from '../../../src/ui/viewModels/header.js';
import { fixtureState } from '../helpers.js';

const done = fixtureState();
const withCosts = (costs: (number | null)[]): ConsoleState => ({
  ...done,
  counters: { ...done.counters, byModel: Object.fromEntries(costs.map((costUsd, i) => [`model-${i}`, { input: 100, output: 10, costUsd }])) },
});
const counts = (run: ConsoleState) => headerModel(run, { nowMs: Date.now(), runDir: 'x' }).countsText;

describe('header cost', () => {
  it('adds the cost the agents reported, summed over models, last; the errors first (a narrow terminal cuts from the right)', () => {
    expect(counts(withCosts([0.2472, null, 0.1355]))).toMatch(/^\d+ err {2}\S+ tok {2}\d+ ckpt {2}\$0\.383$/);
  });

  it('shows none for a run with no cost report (the recorded sim run), and $0.000 for a reported 0', () => {
    expect(counts(done)).toMatch(/^\d+ err {2}\S+ tok {2}\d+ ckpt$/);
    expect(counts(withCosts([null, null]))).not.toContain('$');
    expect(counts(withCosts([0]))).toMatch(/ ckpt {2}\$0\.000$/);
  });

  it('formats dollars in at most 7 columns', () => {
    expect([0, 0.0004, 0.2472, 0.9994, 3.417, 99.99, 128.4, 4321].map(formatUsd)).toEqual(['$0.000', '$0.000', '$0.247', '$0.999', '$3.42', '$99.99', '$128', '$4321']);
  });
});
