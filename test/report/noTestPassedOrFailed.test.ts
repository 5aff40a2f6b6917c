// A test run that passed or failed no test (every test skipped) has no pass
// rate: the pass-rate criterion fails as not measured, and its evidence says
// why, rather than only "test_pass_rate was not measured".

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { MegatestEvent } from '../../src/contract/events.js';
import { foldRunFolder } from '../../src/io/foldLog.js';
import { buildReport } from '../../src/report/report.js';
import { recordedRunFolder } from '../legacy/legacyFixtures.js';

const runs = mkdtempSync(path.join(tmpdir(), 'megatest-all-skipped-'));
afterAll(() => rmSync(runs, { recursive: true, force: true }));

describe('a last test run whose every test was skipped', () => {
  it('fails the pass-rate criterion as not measured, saying why', async () => {
    const dir = recordedRunFolder(runs, 'all-skipped');
    const file = path.join(dir, 'events.jsonl');
    const events = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as MegatestEvent);
    const last = events.filter((event) => event.type === 'test_run').at(-1)!;
    Object.assign(last, { passed: 0, failed: 0, skipped: 5 });
    writeFileSync(file, events.map((event) => JSON.stringify(event)).join('\n') + '\n');
    const report = await buildReport(dir, await foldRunFolder(dir));
    const rate = report.criteria.find((criterion) => criterion.id === 'tests_pass');
    expect(rate).toMatchObject({ passed: false, evidence: 'test_pass_rate was not measured: the last test run passed or failed no test (5 skipped): there is no rate of none' });
    expect(report.verdict.critical_passed).toBe(false);
  });
});
