// Tests that gave results but no coverage (the coverage tool missing, its
// report unreadable): the coverage criterion's evidence says why, as the test
// criteria's do when the tests gave none. Before, it said only "test_coverage
// was not measured", the reason in session.log alone.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { MegatestEvent } from '../../src/contract/events.js';
import { foldRunFolder } from '../../src/io/foldLog.js';
import { buildReport } from '../../src/report/report.js';
import { foldAll } from '../../src/state/fold.js';
import { recordedRunFolder } from '../legacy/legacyFixtures.js';

const runs = mkdtempSync(path.join(tmpdir(), 'megatest-coverage-problem-'));
afterAll(() => rmSync(runs, { recursive: true, force: true }));

const PROBLEM = 'coverage report coverage/lcov.info not found after the test run';

/** The recorded run with its last test run's coverage taken away, for `problem`. */
function runWithoutCoverage(id: string): string {
  const dir = recordedRunFolder(runs, id);
  const file = path.join(dir, 'events.jsonl');
  const events = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as MegatestEvent);
  const last = events.filter((event) => event.type === 'test_run').at(-1)!;
  Object.assign(last, { coverage: null, coverage_problem: PROBLEM });
  writeFileSync(file, events.map((event) => JSON.stringify(event)).join('\n') + '\n');
  return dir;
}

describe('a test run with results and no coverage', () => {
  it('is folded with its reason, which a later run with coverage clears', () => {
    const base = { type: 'test_run', passed: 1, failed: 0, skipped: 0, duration: 1, source: 's' };
    const events = [
      { ...base, coverage: null, coverage_problem: PROBLEM },
      { ...base, coverage: 80 },
    ].map((body, index) => ({ ...body, seq: index + 1, ts: new Date(index * 1000).toISOString() }) as MegatestEvent);
    expect(foldAll(events.slice(0, 1)).measured.coverageProblem).toBe(PROBLEM);
    expect(foldAll(events).measured.coverageProblem).toBeNull();
  });

  it("gives the coverage criterion's evidence the reason", async () => {
    const dir = runWithoutCoverage('no-coverage');
    const report = await buildReport(dir, await foldRunFolder(dir));
    const coverage = report.criteria.filter((criterion) => criterion.evidence.startsWith('test_coverage'));
    expect(coverage.length).toBeGreaterThan(0);
    for (const criterion of coverage) expect(criterion.evidence).toBe(`test_coverage was not measured: the last test run gave no coverage: ${PROBLEM}`);
  });
});
