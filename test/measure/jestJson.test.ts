// The JSON report of jest --json and vitest --reporter=json (test_format
// "jest-json"): counts as the report's own tests say them, failures named.
// The fixture is a real vitest 4 report (test/fixtures/measure/jest-json).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { parseTestOutput } from '../../src/measure/testResults.js';

const FIXTURE = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'measure', 'jest-json', 'vitest-4.json');
const text = readFileSync(FIXTURE, 'utf8');
const raw = JSON.parse(text) as { testResults: { assertionResults: { fullName: string; status: string }[] }[] };
const statuses = raw.testResults.flatMap((file) => file.assertionResults.map((a) => a.status));
const named = (status: string) => raw.testResults.flatMap((file) => file.assertionResults.filter((a) => a.status === status).map((a) => a.fullName));

describe('jest-json: a vitest 4 report', () => {
  it('counts each test by its own status: passed, failed, and skipped or todo as skipped', () => {
    const summary = parseTestOutput('jest-json', text);
    expect(summary.passed).toBe(statuses.filter((s) => s === 'passed').length);
    expect(summary.failed).toBe(statuses.filter((s) => s === 'failed').length);
    expect(summary.skipped).toBe(statuses.filter((s) => s === 'skipped' || s === 'pending' || s === 'todo').length);
    expect(summary.failures.map((f) => f.name)).toEqual(named('failed'));
    expect(summary.failures[0]!.message).toMatch(/^AssertionError: /);
    expect(summary.durationSeconds).toBeGreaterThanOrEqual(0);
  });

  it('reads the report from stdout with the lines a script printed before it', () => {
    const summary = parseTestOutput('jest-json', `> project@1.0.0 test\n> vitest run --reporter=json\n\n${text}`);
    expect(summary.passed + summary.failed).toBe(statuses.filter((s) => s === 'passed' || s === 'failed').length);
  });

  it('counts a test file that failed to run at all (no results) as one failed test, named', () => {
    const report = JSON.parse(text) as Record<string, unknown>;
    const broken = { ...report, testResults: [...(report.testResults as object[]), { name: 'project/broken.test.mjs', status: 'failed', message: 'SyntaxError: Unexpected token\n    at …', assertionResults: [] }] };
    const summary = parseTestOutput('jest-json', JSON.stringify(broken));
    expect(summary.failed).toBe(statuses.filter((s) => s === 'failed').length + 1);
    expect(summary.failures.at(-1)).toEqual({ name: 'project/broken.test.mjs', message: 'SyntaxError: Unexpected token' });
  });

  it('refuses what is not such a report, naming the format', () => {
    expect(() => parseTestOutput('jest-json', 'TAP version 13\nok 1 - a\n')).toThrow(/parseJestJson: not JSON .*jest --json or vitest --reporter=json/);
    expect(() => parseTestOutput('jest-json', '{"tests": 3}')).toThrow(/parseJestJson: no numTotalTests/);
  });
});
