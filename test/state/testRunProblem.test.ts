// A test run that gave no results (the command crashed before its report, was
// killed at the runtime limit, printed nothing readable) is a test_run with a
// problem: every view stops showing an earlier run's figures as the code's,
// and the report does not judge the run on them.

import { describe, expect, it } from 'vitest';
import type { MegatestEvent } from '../../src/contract/events.js';
import { eventSentence } from '../../src/state/eventSentence.js';
import { foldAll } from '../../src/state/fold.js';
import { gaugesFromState, sessionMetricsAt } from '../../src/state/snapshot.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const start = {
  type: 'session_started',
  session_id: 's',
  project: 'p',
  project_name: 'P',
  agent_kind: 'sim',
  simulated: true,
  agents: 1,
  duration_seconds: 60,
  phases: [{ name: 'p0', duration_seconds: 60, tasks: ['t1'] }],
  megatest_version: 't',
};

function log(...bodies: object[]): MegatestEvent[] {
  return [start, ...bodies].map((body, index) => ({ ...body, seq: index + 1, ts: new Date(T0 + index * 1000).toISOString() }) as MegatestEvent);
}

const ran = (passed: number, failed: number, coverage: number | null) => ({ type: 'test_run', passed, failed, skipped: 1, duration: 2, coverage, source: 'pytest' });
const gaveNone = (problem: string) => ({ type: 'test_run', passed: 0, failed: 0, skipped: 0, duration: 6, coverage: null, source: 'pytest', problem });

describe('a test run that gave no results', () => {
  it('leaves every test figure not measured, and says why, until a run gives results again', () => {
    const broken = foldAll(log(ran(3, 0, 81.5), gaveNone('test command killed after 6 s (limits.max_test_runtime_min)')));
    expect(broken.measured).toMatchObject({
      testsPassed: null,
      testsFailed: null,
      testsSkipped: null,
      testPassRate: null,
      testCoverage: null,
      testsProblem: 'test command killed after 6 s (limits.max_test_runtime_min)',
    });
    // It was a run all the same.
    expect(broken.counters.testRuns).toBe(2);
    const snapshot = sessionMetricsAt(broken, T0 + 10_000, gaugesFromState(broken));
    expect(snapshot.test_pass_rate).toBeNull();
    expect(snapshot.test_coverage).toBeNull();

    const again = foldAll(log(ran(3, 0, 81.5), gaveNone('x'), ran(2, 1, 70)));
    expect(again.measured).toMatchObject({ testsPassed: 2, testsFailed: 1, testPassRate: 2 / 3, testCoverage: 70, testsProblem: null });
  });

  it('reads as a sentence that says so', () => {
    const [, event] = log(gaveNone('test results unreadable (junit): no <testsuite>; exit 2: Traceback'));
    expect(eventSentence(event!)).toBe('tests gave no results: test results unreadable (junit): no <testsuite>; exit 2: Traceback (after 6.0 s)');
  });

  it('before anything is measured, the snapshot says not measured (null), never a 0 that reads as counted', () => {
    const fresh = foldAll(log());
    const snapshot = sessionMetricsAt(fresh, T0 + 5_000, gaugesFromState(fresh));
    expect(snapshot).toMatchObject({ tests_passed: null, tests_failed: null, test_pass_rate: null, lines_of_code: null, files_modified: null, test_coverage: null });
    const broken = foldAll(log(ran(3, 1, 50), gaveNone('x')));
    expect(sessionMetricsAt(broken, T0 + 5_000, gaugesFromState(broken))).toMatchObject({ tests_passed: null, tests_failed: null });
  });
});
