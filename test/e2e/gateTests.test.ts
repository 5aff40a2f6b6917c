// A phase gate judges the tests on its own test run: when that run gives no
// results (here: the build fails from phase 2 on, and the test command then
// prints nothing), the test criteria say "not measured" and why, instead of
// being judged on the last run that gave some (phase 1's), as they were; so
// does the final report, and no figure of phase 1's run is shown as the code's. The
// project's commands are the test's own: build and tests pass while
// project/ has only its first commit (phase 1's gate runs before phase 1 is
// committed), and the tests print the recorded node:test TAP of the measure
// fixtures.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTestOutput } from '../../src/measure/testResults.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { BUILT, eventsOf, readEvents, removeDir, runCli, runHeadless, tempRunsDir } from '../helpers/cli.js';

const SIM_AGENT = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'e2e', 'sim-agent.mjs');
const TAP = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'measure', 'node-test.tap');

describe.skipIf(!BUILT)(`phase gates and their own test run${BUILT ? '' : ' (skipped: dist/ is not built; run npm run build)'}`, () => {
  const runsDir = tempRunsDir('megatest-gate-tests-');
  afterAll(() => removeDir(runsDir));

  it('a gate whose tests give no results does not judge them on an older run', async () => {
    const firstCommitOnly = 'test "$(git rev-list --count HEAD)" -lt 2';
    const config = path.join(runsDir, 'gate.toml');
    writeFileSync(
      config,
      [
        '[projects.task_queue]',
        `build_command = ${JSON.stringify(firstCommitOnly)}`,
        `test_command = ${JSON.stringify(`${firstCommitOnly} && cat ${JSON.stringify(TAP)}`)}`,
        'coverage_command = ""',
        'coverage_report = ""',
        'test_format = "node-tap"',
        'test_report = ""',
        '',
        '[project.performance]',
        'benchmark_command = "echo warming up; echo 2500 ops/s"',
        'min_ops_per_second = 1000',
        '',
        // Brisk agents (a phase's tasks in its first 5%) and 120 s: the run gets past phase 2's gate
        // however loaded the machine, where 20 s of sim work and gates raced the duration.
        '[sim]',
        'work_share = 0.05',
        '',
      ].join('\n'),
    );
    const result = await runHeadless(
      [
        'run', 'task_queue', '--duration', '120s', '--agents', '2', '--headless', '--config', config,
        '--agent', 'command', '--agent-cmd', `${JSON.stringify(process.execPath)} ${JSON.stringify(SIM_AGENT)}`,
        '--runs-dir', runsDir, '--session-id', 'gate', '--port', '18790',
      ],
      { timeoutMs: 300_000 },
    ).done;
    const runDir = path.join(runsDir, 'gate');
    const phases = eventsOf(readEvents(runDir), 'phase_ended');
    expect(phases.length, `${result.stdout}\n${result.stderr}`).toBeGreaterThanOrEqual(2);
    const recorded = parseTestOutput('node-tap', readFileSync(TAP, 'utf8'));
    const [bootstrap, development] = phases;
    expect(bootstrap!.criteria.find((c) => c.id === 'bootstrap.tests_exist')?.evidence).toBe(`tests_total ${recorded.passed + recorded.failed} >= 1: met`);
    expect(development!.criteria.find((c) => c.id === 'development.build_ok')?.passed).toBe(false);
    const passRate = development!.criteria.find((c) => c.id === 'development.test_pass_rate');
    expect(passRate).toMatchObject({ passed: false, evidence: "test_pass_rate was not measured: the gate's build failed and its test run gave no results" });
    // The gate's run that gave none is recorded as such, and from then on no view shows phase 1's figures as the code's.
    const testRuns = eventsOf(readEvents(runDir), 'test_run');
    expect(testRuns[0]).toMatchObject({ passed: recorded.passed, failed: recorded.failed });
    expect(testRuns[0]!.problem).toBeUndefined();
    const lastRun = testRuns[testRuns.length - 1]!;
    expect(lastRun).toMatchObject({ passed: 0, failed: 0, coverage: null });
    expect(lastRun.problem).toMatch(/^test results unreadable \(node-tap\): .*; exit 1$/);
    // Nor the report's criteria, nor its figures.
    const report = JSON.parse(readFileSync(path.join(runDir, 'final_report.json'), 'utf8')) as { criteria: { id: string; passed: boolean; evidence: string }[]; measurements: { tests_passed: number | null } };
    expect(report.criteria.find((c) => c.id === 'tests_pass')).toMatchObject({ passed: false, evidence: `test_pass_rate was not measured: the last test run gave no results: ${lastRun.problem}` });
    expect(report.measurements.tests_passed).toBeNull();
    expect(report.measurements).toMatchObject({ tests_problem: lastRun.problem });
    expect(readFileSync(path.join(runDir, 'final_report.md'), 'utf8')).toContain(`| tests | not measured: the last test run gave no results (${lastRun.problem}) |`);
    // status (from the files: the run has ended) says the same, rather than "none run".
    const status = await runCli(['status', runDir]);
    expect(status.stdout).toContain(`tests      not measured: the last test run gave no results (${lastRun.problem})`);
    // The benchmark ran at phase 1's gate only, after its tests: from phase 2 on the build failed, and there is nothing to time.
    const benchmarks = eventsOf(readEvents(runDir), 'benchmark');
    expect(benchmarks.map((b) => [b.ok, b.ops_per_second])).toEqual([[true, 2500]]);
    const afterTests = readEvents(runDir).findIndex((e) => e.type === 'test_run') < readEvents(runDir).findIndex((e) => e.type === 'benchmark');
    expect(afterTests).toBe(true);
    // So the final report does not judge the code as it is on phase 1's figure either.
    const withBenchmark = report as typeof report & { measurements: { ops_per_second: number | null; benchmark_problem: string | null } };
    expect(withBenchmark.criteria.find((c) => c.id === 'performance_target')).toMatchObject({
      passed: false,
      evidence: 'ops_per_second was not measured: the benchmark was not run after the last build, which failed',
    });
    expect(withBenchmark.measurements).toMatchObject({ ops_per_second: null, benchmark_problem: 'was not run after the last build, which failed' });
    expect(readFileSync(path.join(runDir, 'final_report.md'), 'utf8')).toContain('| benchmark | no figure: it was not run after the last build, which failed |');
  }, 360_000);
});
