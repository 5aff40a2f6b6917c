// The phase gates' test run (runTests): a coverage command whose tool is not
// installed (as `cargo llvm-cov` often is not) costs the coverage only; the
// test command then runs alone and its results are read. The project is a
// copy of the node-project fixture, whose suite passes 3, fails 1 and skips
// 2 (its README).

import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FAILURE_MESSAGE_CHARS, FAILURES_KEPT, runBenchmark, runTests, testFileFilter, type ProjectCommands } from '../../src/engine/projectGates.js';
import { DEFAULT_MAX_OUTPUT_BYTES, runCommand } from '../../src/measure/runCommand.js';
import { parseTestOutput } from '../../src/measure/testResults.js';
import { PACKAGE_ROOT } from '../../src/paths.js';

const FIXTURES = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'measure');
const dir = mkdtempSync(path.join(tmpdir(), 'megatest-gates-'));
const project = path.join(dir, 'project');
cpSync(path.join(FIXTURES, 'node-project'), project, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TEST_COMMAND = `${JSON.stringify(process.execPath)} --test --test-reporter=tap checks/math.check.mjs`;
const COVERAGE_COMMAND = `${JSON.stringify(process.execPath)} --test --experimental-test-coverage --test-reporter=tap --test-reporter-destination=stdout --test-reporter=lcov --test-reporter-destination=coverage/lcov.info checks/math.check.mjs`;
const commands = (coverage: string): ProjectCommands => ({
  build_command: '',
  test_command: TEST_COMMAND,
  coverage_command: coverage,
  test_format: 'node-tap',
  test_report: '',
  coverage_report: 'coverage/lcov.info',
  coverage_format: 'lcov',
});
// The figures the recorded TAP of the same suite gives.
const EXPECTED = parseTestOutput('node-tap', readFileSync(path.join(FIXTURES, 'node-test.tap'), 'utf8'));

describe('runTests', () => {
  it('reads tests and coverage from the coverage command when it works', async () => {
    const result = await runTests(project, commands(COVERAGE_COMMAND), 60_000);
    expect(result.summary).toMatchObject({ passed: EXPECTED.passed, failed: EXPECTED.failed, skipped: EXPECTED.skipped });
    expect(result.coverage?.linesPct).toBeGreaterThan(0);
    expect(result.source).toBe(COVERAGE_COMMAND);
    expect(result.problem).toBeNull();
  });

  it('reads the tests from test_command when the coverage tool is not installed, and says why coverage is missing', async () => {
    const result = await runTests(project, commands('no-such-coverage-tool --workspace'), 60_000);
    expect(result.summary).toMatchObject({ passed: EXPECTED.passed, failed: EXPECTED.failed, skipped: EXPECTED.skipped });
    expect(result.coverage).toBeNull();
    expect(result.source).toBe(TEST_COMMAND);
    expect(result.problem).toMatch(/^coverage not measured: the coverage command gave no test results \(exit 127: .*no-such-coverage-tool: not found\); the tests were read from test_command$/);
  });

  it('quotes the last error line of the coverage command, as pytest prints it after its usage line', async () => {
    const pytestLike = `sh -c 'echo "ERROR: usage: __main__.py [options]" >&2; echo "__main__.py: error: unrecognized arguments: --cov=src" >&2; echo "  rootdir: /x" >&2; exit 4'`;
    const result = await runTests(project, commands(pytestLike), 60_000);
    expect(result.summary).toMatchObject({ passed: EXPECTED.passed });
    expect(result.problem).toContain('(exit 4: __main__.py: error: unrecognized arguments: --cov=src)');
  });

  it('says both when the test command gives nothing either', async () => {
    const result = await runTests(project, { ...commands('no-such-coverage-tool'), test_command: 'no-such-test-tool' }, 60_000);
    expect(result.summary).toBeNull();
    expect(result.problem).toMatch(/no-such-coverage-tool: not found; and without coverage: test results unreadable .*no-such-test-tool: not found$/);
  });
});

describe('a cargo test binary that crashed', () => {
  it("reads cargo's word on it from stderr: the crash counts as failed, no 100% pass rate", async () => {
    // The recorded `cargo test --workspace --no-fail-fast` of
    // cargo-crash-workspace, replayed on its own streams with cargo's exit
    // code: a's binary aborted after 2 of its 4 tests reported (ok), b's
    // passed 2 and ignored 1 (testResults.test.ts counts them from the files).
    const recorded = path.join(FIXTURES, 'cargo-crash-workspace');
    const replay = `cat ${JSON.stringify(path.join(recorded, 'cargo-test.stdout'))}; cat ${JSON.stringify(path.join(recorded, 'cargo-test.stderr'))} >&2; exit 101`;
    const result = await runTests(project, { ...commands(''), test_command: replay, test_format: 'cargo', coverage_report: '' }, 60_000);
    expect(result.problem).toBeNull();
    expect(result.summary).toMatchObject({ passed: 4, failed: 2, skipped: 1 });
    expect(result.summary?.failures.map((failure) => failure.name)).toEqual([expect.stringMatching(/\/target\/debug\/deps\/a-[0-9a-f]+$/)]);
  });
});

describe('a test output over the 1 MiB kept', () => {
  it('reads every cargo summary line: a test that prints 30,000 lines costs no earlier result', async () => {
    // cargo-noisy-workspace recorded with its noisy test printing 3 lines;
    // replayed with the 30,000 it printed in the audit's run (1.6 MB).
    const recorded = readFileSync(path.join(FIXTURES, 'cargo-noisy-workspace', 'cargo-test.out'), 'utf8');
    const noisy = /^noisy line \d+: (.*)$/gm;
    expect(recorded.match(noisy)).toHaveLength(3);
    const wording = (/^noisy line 0: (.*)$/m.exec(recorded) as RegExpExecArray)[1] as string;
    const lines = Array.from({ length: 30_000 }, (_, index) => `noisy line ${index}: ${wording}`).join('\n');
    const big = recorded.replace(/^noisy line 0: .*\nnoisy line 1: .*\nnoisy line 2: .*$/m, lines);
    expect(Buffer.byteLength(big)).toBeGreaterThan(DEFAULT_MAX_OUTPUT_BYTES);
    const noisyDir = path.join(dir, 'noisy');
    mkdirSync(noisyDir);
    writeFileSync(path.join(noisyDir, 'cargo-test.out'), big);
    // Counted from the recording: a "3 passed", b "1 passed; 1 failed", two doc-test results of 0.
    const expected = parseTestOutput('cargo', recorded);
    expect(expected).toMatchObject({ passed: 4, failed: 1, skipped: 0 });
    const result = await runTests(noisyDir, { ...commands(''), test_command: 'cat cargo-test.out; exit 101', test_format: 'cargo', coverage_report: '' }, 60_000);
    expect(result.problem).toBeNull();
    expect(result.summary).toEqual(expected);
  });

  it('adds up each node:test run whose TAP lines are more than the 8 MiB kept, from its plan and totals lines', async () => {
    const bigDir = path.join(dir, 'big-tap');
    mkdirSync(bigDir);
    // Two runs, as `node --test a; node --test b` prints them: the first of 120,000 passing tests (test points and
    // their YAML, about 12 MB, past the lines kept), the second of 3 tests, one failing.
    const script = [
      "const out = [];",
      "const run = (tests, failing) => {",
      "  out.push('TAP version 13');",
      "  for (let i = 1; i <= tests; i++) {",
      "    const failed = i <= failing;",
      "    out.push(`${failed ? 'not ok' : 'ok'} ${i} - a test with a long enough name to fill the output ${i}`, '  ---', '  duration_ms: 0.125', \"  type: 'test'\", '  ...');",
      "  }",
      "  out.push(`1..${tests}`, `# tests ${tests}`, '# suites 0', `# pass ${tests - failing}`, `# fail ${failing}`, '# cancelled 0', '# skipped 0', '# todo 0', '# duration_ms 12.5');",
      "};",
      "run(120000, 0);",
      "run(3, 1);",
      "process.stdout.write(out.join('\\n') + '\\n');",
    ].join('\n');
    writeFileSync(path.join(bigDir, 'tap.mjs'), script);
    const command = `${JSON.stringify(process.execPath)} tap.mjs`;
    const result = await runTests(bigDir, { ...commands(''), test_command: command, coverage_report: '' }, 120_000);
    expect(result.problem).toBeNull();
    expect(result.summary).toMatchObject({ passed: 120_000 + 2, failed: 1 });
  });

  it('reads every node:test TAP summary line and test point when the tests print 30,000 lines', async () => {
    const noisyDir = path.join(dir, 'noisy-node');
    mkdirSync(noisyDir);
    writeFileSync(
      path.join(noisyDir, 'noisy.check.mjs'),
      "import test from 'node:test';\nimport assert from 'node:assert';\ntest('first', () => {});\ntest('noisy', () => { for (let i = 0; i < 30000; i++) console.log(`noisy line ${i}: the test prints a lot before it fails`); assert.strictEqual(1, 2); });\ntest('last', () => {});\n",
    );
    const command = `${JSON.stringify(process.execPath)} --test --test-reporter=tap noisy.check.mjs`;
    // The figures the whole output gives, kept whole for the comparison.
    const whole = await runCommand(command, { cwd: noisyDir, timeoutMs: 60_000, maxOutputBytes: 64 * 1024 * 1024 });
    expect(whole.stdoutKept.kept).toBe('whole');
    expect(whole.stdoutKept.totalBytes).toBeGreaterThan(DEFAULT_MAX_OUTPUT_BYTES);
    const expected = parseTestOutput('node-tap', whole.stdout);
    expect(expected).toMatchObject({ passed: 2, failed: 1, failures: [{ name: 'noisy' }] });
    const result = await runTests(noisyDir, { ...commands(''), test_command: command, coverage_report: '' }, 60_000);
    expect(result.problem).toBeNull();
    expect(result.summary).toMatchObject({ passed: expected.passed, failed: expected.failed, skipped: expected.skipped, failures: expected.failures });
  });

  it('gives no figures from JUnit written to stdout and cut, and says why', async () => {
    const junitDir = path.join(dir, 'junit-stdout');
    mkdirSync(junitDir);
    const cases = Array.from({ length: 30_000 }, (_, index) => `<testcase classname="suite" name="case ${index}"/>`).join('\n');
    writeFileSync(path.join(junitDir, 'report.xml'), `<testsuites><testsuite name="suite">\n${cases}\n</testsuite></testsuites>\n`);
    const result = await runTests(junitDir, { ...commands(''), test_command: 'cat report.xml', test_format: 'junit', coverage_report: '' }, 60_000);
    expect(result.summary).toBeNull();
    expect(result.problem).toMatch(/^test results not measured: the test output was 1\.\d MiB, over the 1 MiB kept, and was cut \(junit output is not read in part\); exit 0$/);
  });
});

describe('a coverage report of no lines', () => {
  it('gives no coverage figure and says it was not measured (coverage.py writes line-rate="1" over no lines)', async () => {
    const report = '<?xml version="1.0" ?>\n<coverage version="7.4.0" lines-valid="0" lines-covered="0" line-rate="1" branches-valid="0" branch-rate="0"><packages/></coverage>';
    writeFileSync(path.join(project, 'none.source.xml'), report);
    const writeReport = `${TEST_COMMAND}; cp none.source.xml coverage/none.xml`;
    const result = await runTests(project, { ...commands(writeReport), coverage_report: 'coverage/none.xml', coverage_format: 'cobertura' }, 60_000);
    expect(result.summary).toMatchObject({ passed: EXPECTED.passed, failed: EXPECTED.failed });
    expect(result.coverage).toBeNull();
    expect(result.problem).toMatch(/^coverage not measured \(cobertura\): .*the report counts no lines \(lines-valid="0", line-rate="1"\): nothing was measured$/);
  });
});

describe('coverage of a project under a folder named test/', () => {
  it("leaves out the project's test files by their path inside the project, not the folders above it", async () => {
    // A run folder under test/runs/ (as the repository's own tests make
    // them); the lcov names files by absolute paths, as c8 and cargo llvm-cov
    // write them (node 20's reporter writes them relative to its cwd).
    const nested = path.join(dir, 'test', 'runs', 'r1', 'project');
    cpSync(path.join(FIXTURES, 'node-project'), nested, { recursive: true });
    const lcov = [
      `SF:${path.join(nested, 'src', 'lib.js')}`, 'DA:1,1', 'DA:2,1', 'DA:3,0', 'DA:4,1', 'LF:4', 'LH:3', 'end_of_record',
      `SF:${path.join(nested, 'tests', 'lib.test.js')}`, 'DA:1,1', 'DA:2,1', 'LF:2', 'LH:2', 'end_of_record',
      `SF:${path.join(nested, 'src', 'lib.spec.ts')}`, 'DA:1,1', 'LF:1', 'LH:1', 'end_of_record',
      '',
    ].join('\n');
    writeFileSync(path.join(nested, 'lcov.source.info'), lcov);
    const result = await runTests(nested, { ...commands(`${TEST_COMMAND}; cp lcov.source.info coverage/lcov.info`), test_command: '' }, 60_000);
    expect(result.problem).toBeNull();
    // Counted from the file: src/lib.js has 4 DA lines, 3 hit; the other two records are test files.
    expect(result.coverage).toMatchObject({ linesCovered: 3, linesTotal: 4, linesPct: 75 });
    // Every record a test file: nothing measured, and said so.
    writeFileSync(path.join(nested, 'lcov.source.info'), lcov.split('end_of_record').slice(1).join('end_of_record').trimStart());
    const onlyTests = await runTests(nested, { ...commands(`${TEST_COMMAND}; cp lcov.source.info coverage/lcov.info`), test_command: '' }, 60_000);
    expect(onlyTests.coverage).toBeNull();
    expect(onlyTests.problem).toMatch(/^coverage not measured \(lcov\): parseLcov: the tracefile lists no lines outside the test files \(2 of its 2 records left out\): nothing was measured$/);
  });

  it('judges a path inside the project by its part there, and one outside it whole', () => {
    const testFiles = testFileFilter('/tmp/x/test/runs/r1/project');
    expect(testFiles('/tmp/x/test/runs/r1/project/src/lib.js')).toBe(false);
    expect(testFiles('/tmp/x/test/runs/r1/project/tests/lib.js')).toBe(true);
    expect(testFiles('/tmp/x/test/runs/r1/project/src/lib.test.ts')).toBe(true);
    expect(testFiles('src/lib.js')).toBe(false);
    expect(testFiles('tests/it.rs')).toBe(true);
    // pytest's and Go's test files, wherever they lie (coverage.py with --cov=. lists them beside the code).
    expect(['test_queue.py', 'pkg/test_queue.py', 'pkg/queue_test.py', 'conftest.py', 'queue_test.go'].map(testFiles)).toEqual([true, true, true, true, true]);
    expect(['pkg/queue.py', 'pkg/testing.py', 'pkg/latest.py', 'contest.py', 'queue.go'].map(testFiles)).toEqual([false, false, false, false, false]);
    expect(testFiles('/elsewhere/test/lib.js')).toBe(true);
    // A sibling whose name starts with the project's is not inside it.
    expect(testFiles('/tmp/x/test/runs/r1/project2/src/lib.js')).toBe(true);
  });
});

describe('runBenchmark ([project.performance] benchmark_command)', () => {
  it('runs in project/ and reads the ops/s it prints', async () => {
    // The figure is the project's: printed by a script in project/, so the command ran there.
    writeFileSync(path.join(project, 'bench.sh'), 'echo "enqueue: 4,321 ops/s (3 rounds)"\n');
    const result = await runBenchmark(project, 'sh bench.sh', 60_000);
    expect(result).toMatchObject({ ok: true, opsPerSecond: 4321, problem: null, command: 'sh bench.sh', aborted: false });
  });

  it('a command that fails, prints no figure or outlives its time gives none, and says why', async () => {
    expect(await runBenchmark(project, 'echo "bench: no such queue" >&2; exit 3', 60_000)).toMatchObject({ ok: false, opsPerSecond: null, problem: 'failed with exit 3: bench: no such queue' });
    expect((await runBenchmark(project, 'echo done in 3 s', 60_000)).problem).toBe('printed no operations per second (its last line: "done in 3 s"); print one number, or "N ops/s"');
    expect(await runBenchmark(project, 'sleep 30; echo 5', 300)).toMatchObject({ ok: false, opsPerSecond: null, problem: 'was killed after 0 s (limits.max_test_runtime_min)' });
  });
});

describe('a test run of many failing tests', () => {
  it('names the first FAILURES_KEPT of them, messages cut, and counts them all', async () => {
    // The report a suite of 120 failing tests (3,000-character messages) and 3 passing ones leaves.
    const many = path.join(dir, 'many');
    mkdirSync(many);
    const cases = [
      ...Array.from({ length: 120 }, (_, index) => `<testcase classname="suite" name="fails ${index}"><failure message="${String(index).padEnd(3000, 'x')}"/></testcase>`),
      ...Array.from({ length: 3 }, (_, index) => `<testcase classname="suite" name="passes ${index}"/>`),
    ];
    const report = `<testsuites><testsuite name="suite">${cases.join('')}</testsuite></testsuites>`;
    writeFileSync(path.join(many, 'report.source.xml'), report);
    const failing = (report.match(/<failure /g) ?? []).length;
    const result = await runTests(
      many,
      { ...commands(''), test_command: 'cp report.source.xml report.xml', test_format: 'junit', test_report: 'report.xml', coverage_report: '' },
      60_000,
    );
    expect(result.summary).toMatchObject({ failed: failing, passed: cases.length - failing });
    expect(failing).toBeGreaterThan(FAILURES_KEPT);
    expect(result.summary?.failures).toHaveLength(FAILURES_KEPT);
    expect(result.summary?.failures[0]).toEqual({ name: 'suite::fails 0', message: `${'0'.padEnd(FAILURE_MESSAGE_CHARS, 'x')}…` });
    expect(result.summary?.failures.at(-1)?.name).toBe(`suite::fails ${FAILURES_KEPT - 1}`);
  });
});
