// The project's measured figures from the orchestrator's own gates: a build,
// a benchmark, a test run. Each replaces what an earlier one said, and says
// what it makes out of date (a failed build, the benchmark and tests of the
// code before it). Part of the fold (reduce.ts), pure as it is.

import { assertNever } from '../contract/assertNever.js';
import type { EventOf } from '../contract/events.js';
import type { Draft } from './draft.js';
import type { RunState } from './runState.js';

/** A build, benchmark or test_run event into the draft's measured figures and counters. */
export function foldMeasured(draft: Draft, s: RunState, event: EventOf<'build'> | EventOf<'benchmark'> | EventOf<'test_run'>): void {
  switch (event.type) {
    case 'build': {
      // A failed build leaves no benchmark to run: an earlier figure is of older code (as its tests are).
      const benchmarkOutdated = !event.ok && s.measured.lastBenchmark !== null;
      s.measured = {
        ...s.measured,
        lastBuildOk: event.ok,
        lastBuildMs: event.duration_ms,
        ...(event.ok ? {} : { testsBeforeFailedBuild: true }),
        ...(benchmarkOutdated ? { lastBenchmark: { opsPerSecond: null, problem: 'was not run after the last build, which failed' } } : {}),
      };
      const c = draft.counters();
      c.builds += 1;
      c.buildsOk += event.ok ? 1 : 0;
      return;
    }
    case 'benchmark':
      s.measured = { ...s.measured, lastBenchmark: { opsPerSecond: event.ok ? event.ops_per_second : null, problem: event.ok ? null : (event.problem ?? 'gave no figure') } };
      return;
    case 'test_run': {
      draft.counters().testRuns += 1;
      if (event.problem !== undefined) {
        // No results: the figures an earlier run gave are of older code, and would be shown (and judged) as today's.
        s.measured = {
          ...s.measured,
          testsPassed: null,
          testsFailed: null,
          testsSkipped: null,
          testsFlaky: null,
          testPassRate: null,
          testCoverage: null,
          testsBeforeFailedBuild: false,
          testsProblem: event.problem,
          coverageProblem: null,
        };
        return;
      }
      const total = event.passed + event.failed;
      s.measured = {
        ...s.measured,
        testsPassed: event.passed,
        testsFailed: event.failed,
        testsSkipped: event.skipped,
        testsFlaky: event.flaky ?? 0,
        testPassRate: total > 0 ? event.passed / total : null,
        testCoverage: event.coverage,
        testsBeforeFailedBuild: false,
        testsProblem: null,
        coverageProblem: event.coverage === null ? (event.coverage_problem ?? null) : null,
      };
      return;
    }
    default:
      assertNever(event, 'measurement event');
  }
}
