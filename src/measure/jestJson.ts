// Test results of JavaScript and TypeScript projects: the JSON report that
// `jest --json` and `vitest run --reporter=json` write (the same shape), to
// stdout or to test_report (`--outputFile`). Its own totals are used as they
// are: numPassedTests, numFailedTests, numPendingTests and numTodoTests
// (skipped). A test file that failed to run at all (a syntax error, an
// import that throws) has no assertion results, only its status and message:
// it counts as one failed test, or it would read as nothing run.

import type { TestFailure, TestSummary } from './testResults.js';

interface JestAssertion {
  fullName?: unknown;
  title?: unknown;
  status?: unknown;
  failureMessages?: unknown;
}

interface JestFileResult {
  name?: unknown;
  status?: unknown;
  message?: unknown;
  startTime?: unknown;
  endTime?: unknown;
  assertionResults?: unknown;
}

const FORMAT = 'expected the JSON report of jest --json or vitest --reporter=json';

function count(report: Record<string, unknown>, key: string): number {
  const value = report[key];
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new Error(`parseJestJson: ${key} is ${JSON.stringify(value)}, not a count; ${FORMAT}`);
  return value;
}

/** The report's first line of a message (a stack follows it). */
function firstLine(value: unknown): string {
  return typeof value === 'string' ? (value.split('\n').find((line) => line.trim() !== '') ?? '').trim() : '';
}

export function parseJestJson(text: string): TestSummary {
  // On stdout a runner (or the project's own script) may print lines before the report: it starts at the first line that opens an object.
  const start = text.trimStart().startsWith('{') ? 0 : Math.max(0, text.search(/^\{/m));
  let report: unknown;
  try {
    report = JSON.parse(text.slice(start));
  } catch (error) {
    throw new Error(`parseJestJson: not JSON (${(error as Error).message}); ${FORMAT}`);
  }
  if (typeof report !== 'object' || report === null || Array.isArray(report) || !('numTotalTests' in report)) {
    throw new Error(`parseJestJson: no numTotalTests; ${FORMAT}`);
  }
  const totals = report as Record<string, unknown>;
  const files = Array.isArray(totals.testResults) ? (totals.testResults as JestFileResult[]) : [];
  const failures: TestFailure[] = [];
  let filesNotRun = 0;
  let endMs = -Infinity;
  for (const file of files) {
    const assertions = Array.isArray(file.assertionResults) ? (file.assertionResults as JestAssertion[]) : [];
    for (const assertion of assertions) {
      if (assertion.status !== 'failed') continue;
      const name = typeof assertion.fullName === 'string' ? assertion.fullName : typeof assertion.title === 'string' ? assertion.title : '';
      failures.push({ name, message: Array.isArray(assertion.failureMessages) ? firstLine(assertion.failureMessages[0]) : '' });
    }
    if (file.status === 'failed' && assertions.length === 0) {
      filesNotRun += 1;
      failures.push({ name: typeof file.name === 'string' ? file.name : '(a test file)', message: firstLine(file.message) || 'the test file failed to run' });
    }
    if (typeof file.endTime === 'number') endMs = Math.max(endMs, file.endTime);
  }
  const startMs = typeof totals.startTime === 'number' ? totals.startTime : NaN;
  return {
    passed: count(totals, 'numPassedTests'),
    failed: count(totals, 'numFailedTests') + filesNotRun,
    skipped: count(totals, 'numPendingTests') + count(totals, 'numTodoTests'),
    durationSeconds: Number.isFinite(startMs) && endMs >= startMs ? (endMs - startMs) / 1000 : 0,
    failures,
  };
}
