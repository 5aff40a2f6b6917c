import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/measure/runCommand.js';
import { parseCargoTest, parseJUnitXml, parseNodeTap, parseTestOutput, summaryLines, type TestOutputFormat } from '../../src/measure/testResults.js';
import { PACKAGE_ROOT, SHARED_FIXTURES_DIR } from '../../src/paths.js';
import { allText, parseXml, type XmlElement } from '../helpers/xmlTree.js';

const FIXTURES = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'measure');
const read = (relative: string): string => readFileSync(path.join(FIXTURES, relative), 'utf8');

const temporaryDirs: string[] = [];
function makeTemporaryDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'megatest-tests-'));
  temporaryDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
});

/** The "# duration_ms N" (TAP) or "<!-- duration_ms N -->" (JUnit) node wrote, in seconds. */
function nodeDurationSeconds(text: string): number {
  const matches = [...text.matchAll(/duration_ms ([\d.]+)(?:\s*-->)?\s*$/gm)];
  return Number((matches[matches.length - 1] as RegExpMatchArray)[1]) / 1000;
}

// The node-project suite (checks/math.check.mjs): in describe('math') 3
// passing tests and 1 failing; then 1 skip and 1 todo at top level. node
// counts the describe as a suite, not a test, and todo apart from skip.
const NODE_SUITE = { passed: 3, failed: 1, skipped: 2 };
const NODE_FAILURE_NAME = 'math > fails on purpose';

describe('parseNodeTap', () => {
  it('reads node:test TAP (node-test.tap, made by node --test --test-reporter=tap)', () => {
    const text = read('node-test.tap');
    const summary = parseNodeTap(text);
    expect(summary).toMatchObject(NODE_SUITE);
    expect(summary.durationSeconds).toBeCloseTo(nodeDurationSeconds(text), 6);
    expect(summary.failures).toHaveLength(1);
    expect(summary.failures[0]?.name).toBe(NODE_FAILURE_NAME);
    expect(summary.failures[0]?.message).toContain('Expected values to be strictly equal');
    expect(summary.failures[0]?.message).toContain('2 !== 3');
  });

  it('counts the reported tests when the runner was cut off before its summary', () => {
    const text = read('node-test.tap');
    const cut = text.slice(0, text.indexOf('# tests '));
    // Same figures: the suite's own "not ok" (type: suite) is not a test.
    expect(parseNodeTap(cut)).toMatchObject({ ...NODE_SUITE, failures: [{ name: NODE_FAILURE_NAME }] });
    // Cut inside the describe: only the first three tests had reported.
    const early = text.slice(0, text.indexOf('# Subtest: fails on purpose'));
    expect(parseNodeTap(early)).toMatchObject({ passed: 3, failed: 0, skipped: 0, failures: [] });
  });

  it('ignores "# tests" printed by a test itself and takes the closing summary', () => {
    const text = '# Subtest: a\n# tests 99\nok 1 - a\n  ---\n  duration_ms: 1\n  ...\n1..1\n# tests 1\n# suites 0\n# pass 1\n# fail 0\n# cancelled 0\n# skipped 0\n# todo 0\n# duration_ms 5\n';
    expect(parseNodeTap(text)).toEqual({ passed: 1, failed: 0, skipped: 0, durationSeconds: 0.005, failures: [] });
  });

  it('sums the summary of each run when a command runs node --test twice (node-two-runs/two-runs.tap)', () => {
    const text = read('node-two-runs/two-runs.tap');
    // Counted from the file: two runs ("TAP version 13"), the first "# pass
    // 5 / # fail 4" (4 "not ok" points), the second "# pass 1 / # fail 0",
    // each closing after its plan; the second run's test printed "# tests
    // 99" (escaped by node as "# \# tests 99").
    expect(text.match(/^TAP version 13$/gm)).toHaveLength(2);
    expect([...text.matchAll(/^# (pass|fail) (\d+)$/gm)].map((match) => `${match[1]} ${match[2]}`)).toEqual(['pass 5', 'fail 4', 'pass 1', 'fail 0']);
    const summary = parseNodeTap(text);
    expect(summary).toMatchObject({ passed: 5 + 1, failed: 4 + 0, skipped: 0 });
    expect(summary.failures.map((failure) => failure.name)).toEqual(['fails 1', 'fails 2', 'fails 3', 'fails 4']);
    const durations = [...text.matchAll(/^# duration_ms ([\d.]+)$/gm)].map((match) => Number(match[1]) / 1000);
    expect(summary.durationSeconds).toBeCloseTo((durations[0] as number) + (durations[1] as number), 6);
  });

  it('counts the tests of a run cut off before its summary beside the runs that summed up', () => {
    const text = read('node-two-runs/two-runs.tap');
    // The first run cut before its summary, the second whole: 5 ok and 4 not ok, then "# pass 1".
    const firstCut = text.slice(0, text.indexOf('1..9')) + text.slice(text.indexOf('TAP version 13', 1));
    expect(parseNodeTap(firstCut)).toMatchObject({ passed: 5 + 1, failed: 4, skipped: 0 });
    // The second cut: the first run's summary, then the second's one "ok" point.
    const secondCut = text.slice(0, text.lastIndexOf('1..1'));
    expect(parseNodeTap(secondCut)).toMatchObject({ passed: 5 + 1, failed: 4, skipped: 0 });
  });

  it('rejects text that is not TAP, naming the format', () => {
    expect(() => parseNodeTap('hello\nworld\n')).toThrow(/TAP.*node --test --test-reporter=tap/);
    expect(() => parseNodeTap('')).toThrow(/TAP/);
  });
});

describe('parseJUnitXml', () => {
  it('reads node:test JUnit (node-test.junit.xml) to the same figures as its TAP', () => {
    const xml = read('node-test.junit.xml');
    const summary = parseJUnitXml(xml);
    expect(summary).toMatchObject(NODE_SUITE);
    expect(summary.durationSeconds).toBeCloseTo(nodeDurationSeconds(xml), 6);
    expect(summary.failures).toEqual([{ name: NODE_FAILURE_NAME, message: 'Expected values to be strictly equal:2 !== 3' }]);
  });

  it('reads pytest JUnit (pytest.junit.xml): errors fail, skip and xfail skip', () => {
    const xml = read('pytest-project/pytest.junit.xml');
    // Counted from the file: 6 <testcase>; one holds <failure>, one <error>,
    // two <skipped> (pytest.skip, pytest.xfail); the suite says time="0.021".
    expect((xml.match(/<testcase /g) ?? []).length).toBe(6);
    const summary = parseTestOutput('pytest-junit', xml);
    expect(summary).toMatchObject({ passed: 2, failed: 2, skipped: 2, durationSeconds: 0.021 });
    expect(summary.failures).toEqual([
      { name: 'check_sample::test_fails_on_purpose', message: 'AssertionError: math is "hard"\nassert (2 * 2) == 5' },
      { name: 'check_sample::test_errors_in_setup', message: 'failed on setup with "RuntimeError: fixture <broken> & failing"' },
    ]);
  });

  it('counts a test pytest writes as two cases (failed, then errored in teardown) once (pytest-teardown)', () => {
    const xml = read('pytest-teardown/pytest-teardown.junit.xml');
    // Counted from the file: 5 <testcase> of 4 distinct names; test_passes
    // passes; test_fails_and_teardown_errors has two cases, a <failure> then
    // an <error> (teardown); test_passes_but_teardown_errors one <error>;
    // test_fails one <failure>.
    const cases = [...xml.matchAll(/<testcase classname="([^"]*)" name="([^"]*)"/g)].map((match) => `${match[1]}::${match[2]}`);
    expect(cases).toHaveLength(5);
    expect(new Set(cases).size).toBe(4);
    expect(cases.filter((name) => name === 'check_teardown::test_fails_and_teardown_errors')).toHaveLength(2);
    const summary = parseTestOutput('pytest-junit', xml);
    expect(summary).toMatchObject({ passed: 1, failed: 3, skipped: 0 });
    expect(summary.failures).toEqual([
      { name: 'check_teardown::test_fails_and_teardown_errors', message: 'assert 1 == 2' },
      { name: 'check_teardown::test_passes_but_teardown_errors', message: 'failed on teardown with "RuntimeError: teardown broke"' },
      { name: 'check_teardown::test_fails', message: "AssertionError: assert 'a' == 'b'\n  \n  - b\n  + a" },
    ]);
  });

  it('merges cases of one test in any order: failed if any failed, else skipped if any was', () => {
    const xml = `<testsuites><testsuite name="s">
      <testcase classname="m" name="pass then fail"/><testcase classname="m" name="pass then fail"><error message="late"/></testcase>
      <testcase classname="m" name="skip then pass"><skipped/></testcase><testcase classname="m" name="skip then pass"/>
      <testcase classname="m" name="twice passed"/><testcase classname="m" name="twice passed"/>
    </testsuite><testsuite name="other"><testcase classname="m" name="twice passed"/></testsuite></testsuites>`;
    // The last case is of another suite: another test.
    expect(parseJUnitXml(xml)).toMatchObject({ passed: 2, failed: 1, skipped: 1, failures: [{ name: 'm::pass then fail', message: 'late' }] });
  });

  it("counts a test Gradle's test-retry plugin reran until it passed as passed, and flaky", () => {
    // As Gradle writes a class whose flaky() failed twice and passed on its third run: every execution its own <testcase>.
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="FlakyTest" tests="5" skipped="0" failures="2" errors="0" time="0.02">
  <properties/>
  <testcase name="ok()" classname="FlakyTest" time="0.001"/>
  <testcase name="flaky()" classname="FlakyTest" time="0.01"><failure message="boom" type="java.lang.AssertionError">boom</failure></testcase>
  <testcase name="broken()" classname="FlakyTest" time="0.01"><failure message="always" type="java.lang.AssertionError">always</failure></testcase>
  <testcase name="flaky()" classname="FlakyTest" time="0.01"><failure message="boom again" type="java.lang.AssertionError">boom</failure></testcase>
  <testcase name="broken()" classname="FlakyTest" time="0.01"><failure message="always" type="java.lang.AssertionError">always</failure></testcase>
  <testcase name="flaky()" classname="FlakyTest" time="0.002"/>
  <system-out><![CDATA[]]></system-out>
</testsuite>`;
    // Three tests: ok() passed, flaky() passed on its last run, broken() failed every run.
    expect(parseJUnitXml(xml)).toEqual({ passed: 2, failed: 1, skipped: 0, durationSeconds: 0.02, flaky: 1, failures: [{ name: 'FlakyTest::broken()', message: 'always' }] });
  });

  it("counts Maven surefire's reruns by the case's own outcome: <flakyFailure> passed (flaky), <failure> with <rerunFailure> failed", () => {
    const xml = `<testsuite name="com.example.AppTest" tests="3" failures="1" errors="0" skipped="1" flakes="1">
  <testcase name="passesOnRerun" classname="com.example.AppTest" time="0.1">
    <flakyFailure message="expected 1" type="java.lang.AssertionError"><stackTrace>at AppTest</stackTrace><system-out>o</system-out></flakyFailure>
    <flakyError message="npe" type="java.lang.NullPointerException"><stackTrace>at AppTest</stackTrace></flakyError>
  </testcase>
  <testcase name="failsEveryRun" classname="com.example.AppTest" time="0.1">
    <failure message="expected 2" type="java.lang.AssertionError">at AppTest</failure>
    <rerunFailure message="expected 2 again" type="java.lang.AssertionError"><stackTrace>at AppTest</stackTrace></rerunFailure>
  </testcase>
  <testcase name="skipped" classname="com.example.AppTest"><skipped message="not now"/></testcase>
</testsuite>`;
    expect(parseJUnitXml(xml)).toMatchObject({ passed: 1, failed: 1, skipped: 1, flaky: 1, failures: [{ name: 'com.example.AppTest::failsEveryRun', message: 'expected 2' }] });
  });

  it('still fails a test whose last case failed after a pass, and one a rerun passed that failed once more', () => {
    const xml = `<testsuite name="s">
      <testcase classname="m" name="fail pass fail"><failure message="one"/></testcase>
      <testcase classname="m" name="fail pass fail"/>
      <testcase classname="m" name="fail pass fail"><failure message="three"/></testcase>
      <testcase classname="m" name="fail then skipped then pass"><failure message="x"/></testcase>
      <testcase classname="m" name="fail then skipped then pass"><skipped/></testcase>
      <testcase classname="m" name="fail then skipped then pass"/>
    </testsuite>`;
    expect(parseJUnitXml(xml)).toEqual({ passed: 0, failed: 1, skipped: 1, durationSeconds: 0, failures: [{ name: 'm::fail pass fail', message: 'three' }] });
  });

  it('handles attributes in any order, single quotes, entities, CDATA and a testsuite root', () => {
    const xml = `<?xml version="1.0"?>
<!-- written by hand -->
<testsuite time='1.5' name='root'>
  <testcase time="0.1" classname='pkg.Mod' name="a &amp; b"/>
  <testcase name='fails' classname="pkg.Mod"><failure type="Assert"><![CDATA[first line <raw> & more
second]]></failure></testcase>
  <testcase name="skips"><skipped/></testcase>
  <testcase name="errs"><error message="boom &#x41;&#66;"></error></testcase>
</testsuite>`;
    expect(parseJUnitXml(xml)).toEqual({
      passed: 1,
      failed: 2,
      skipped: 1,
      durationSeconds: 1.5,
      failures: [
        { name: 'pkg.Mod::fails', message: 'first line <raw> & more' },
        { name: 'root > errs', message: 'boom AB' },
      ],
    });
  });

  it('counts a failure by its first <failure> or <error>, with the text of what it holds, own text first', () => {
    const xml = `<testsuites><!-- a comment, not node's totals -->
  <testsuite name="outer"><testsuite name="inner">
    <testcase name="two problems"><skipped/><error type="E">err</error><failure message="second">x</failure></testcase>
    <testcase name="nested text"><failure>  <detail>inner line</detail>own line
more</failure></testcase>
    <testcase name="typed only"><failure type="TypeError"/></testcase>
    <testcase name="bare"><error/></testcase>
    <testcase name="not counted twice"><testcase name="a case in a case"/></testcase>
  </testsuite></testsuite>
  <properties><testcase name="not in a suite"/></properties>
</testsuites>`;
    // Failures: its first problem (the error's text), the failure's own text before its child's, its type, its element's name.
    expect(parseJUnitXml(xml)).toEqual({
      passed: 1,
      failed: 4,
      skipped: 0,
      durationSeconds: 0,
      failures: [
        { name: 'outer > inner > two problems', message: 'err' },
        { name: 'outer > inner > nested text', message: 'own line' },
        { name: 'outer > inner > typed only', message: 'TypeError' },
        { name: 'outer > inner > bare', message: 'error' },
      ],
    });
  });

  it('gives what a tree of the report gives, for any shape of report', () => {
    fc.assert(
      fc.property(junitDocument, (xml) => {
        const outcome = (read: (text: string) => unknown): unknown => {
          try {
            return read(xml);
          } catch (error) {
            return (error as Error).message;
          }
        };
        expect(outcome(parseJUnitXml)).toEqual(outcome(junitFromTree));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses two reports in one output (node --test --test-reporter=junit run twice) rather than count the first', () => {
    const xml = read('node-test.junit.xml');
    expect(() => parseJUnitXml(xml + xml)).toThrow(/expected one root element, found 2/);
  });

  it('rejects input that is not JUnit XML, naming the format', () => {
    expect(() => parseJUnitXml('{"tests": 1}')).toThrow(/JUnit XML/);
    expect(() => parseJUnitXml('<coverage line-rate="1"></coverage>')).toThrow(/JUnit XML/);
    expect(() => parseJUnitXml('<testsuites><testsuite name="x"><testcase name="a">')).toThrow(/JUnit XML.*truncated/);
  });
});

describe('parseCargoTest', () => {
  const postLog = path.join(SHARED_FIXTURES_DIR, 'selfware', 'codegen_task_runner.ok.post.log');
  describe.skipIf(!existsSync(postLog))(`shared selfware post.log${existsSync(postLog) ? '' : ' (skipped: ../shared/fixtures is absent)'}`, () => {
    it('sums every "test result:" line of codegen_task_runner.ok.post.log', () => {
      const text = readFileSync(postLog, 'utf8');
      // Counted here from the file's own lines, not its "test result:" sums: libtest's terse
      // progress lines print one character per test (. passed, F failed, i ignored) under each
      // "running N tests"; the time is the sum of the "finished in Xs" of the suites.
      const lines = text.split('\n');
      const suites = lines.filter((line) => /^running \d+ tests?$/.test(line));
      const progress = lines.filter((line) => /^[.Fi]+$/.test(line)).join('');
      const count = (mark: string) => [...progress].filter((c) => c === mark).length;
      const announced = suites.reduce((sum, line) => sum + Number(/\d+/.exec(line)![0]), 0);
      const seconds = [...text.matchAll(/finished in ([\d.]+)s$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
      expect(suites.length).toBe(text.match(/^test result:/gm)!.length);
      expect(progress.length).toBe(announced);
      expect(count('.')).toBeGreaterThan(0);
      expect(parseCargoTest(text)).toEqual({ passed: count('.'), failed: count('F'), skipped: count('i'), durationSeconds: Math.round(seconds * 1000) / 1000, failures: [] });
    });
  });

  it('reads a failing run with unit, integration and doc tests (cargo-test.out)', () => {
    const text = read('cargo-project/cargo-test.out');
    // Counted from the file: "2 passed; 1 failed; 1 ignored … 0.00s",
    // "1 passed … 0.00s", "1 passed … 0.06s" (doc test).
    expect(text.match(/^test result:/gm)).toHaveLength(3);
    expect(parseCargoTest(text)).toEqual({
      passed: 4,
      failed: 1,
      skipped: 1,
      durationSeconds: 0.06,
      failures: [{ name: 'tests::fails_on_purpose', message: 'assertion `left == right` failed: one plus one\n  left: 2\n right: 3' }],
    });
  });

  it('reads the older one-line panic message', () => {
    const text = [
      'running 1 test',
      'test it_works ... FAILED',
      '',
      'failures:',
      '',
      '---- it_works stdout ----',
      "thread 'it_works' panicked at 'assertion failed: false', src/lib.rs:3:5",
      '',
      'failures:',
      '    it_works',
      '',
      'test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.25s',
    ].join('\n');
    expect(parseCargoTest(text)).toEqual({
      passed: 0,
      failed: 1,
      skipped: 0,
      durationSeconds: 1.25,
      failures: [{ name: 'it_works', message: 'assertion failed: false' }],
    });
  });

  describe('a test binary that crashed (cargo-crash-workspace: `cargo test --workspace --no-fail-fast`, exit 101)', () => {
    // Crate a: t1_ok and t2_ok pass, t3_fail fails, t4_abort calls
    // std::process::abort(), which kills a's test binary before its
    // "test result:" line; crate b: 2 pass, 1 ignored; no doc tests. Two
    // recordings: stdout and stderr apart, and together (2>&1).
    const stdout = read('cargo-crash-workspace/cargo-test.stdout');
    const stderr = read('cargo-crash-workspace/cargo-test.stderr');
    const combined = read('cargo-crash-workspace/cargo-test.out');
    const crashLine = /process didn't exit successfully: `(\/tmp\/hM-ws\/target\/debug\/deps\/a-[0-9a-f]+)` \(signal: 6, SIGABRT: process abort signal\)/;
    const binary = (crashLine.exec(stderr) as RegExpExecArray)[1] as string;
    /** The lines after a's "running 4 tests", up to the next binary's. */
    const sectionOfA = (text: string): string[] => text.split('\n').slice(text.split('\n').indexOf('running 4 tests') + 1, text.split('\n').indexOf('running 3 tests')).filter((line) => line.startsWith('test '));

    it('counts the tests that reported and those that did not as failed, naming the crash (stdout and stderr apart)', () => {
      // Counted from the files: a's binary reported t1_ok and t2_ok before
      // the abort (the tests run in parallel; t3_fail had not reported) and
      // printed no result line; b's "test result: ok. 2 passed; 0 failed; 1
      // ignored"; two doc-test results of 0; cargo's crash line on stderr.
      expect(sectionOfA(stdout)).toEqual(['test tests::t1_ok ... ok', 'test tests::t2_ok ... ok']);
      expect(stdout.match(/^test result:/gm)).toHaveLength(3);
      expect(crashLine.test(stderr)).toBe(true);
      const summary = parseTestOutput('cargo', stdout, stderr);
      expect(summary).toMatchObject({ passed: 2 + 2, failed: 2, skipped: 1 });
      expect(summary.failures).toEqual([
        { name: binary, message: 'the test binary ended with signal: 6, SIGABRT: process abort signal before its "test result:" line; 2 of its 4 tests did not report and count as failed' },
      ]);
      // Without stderr the binary is not named, but its output still shows it stopped.
      expect(parseCargoTest(stdout)).toMatchObject({ passed: 4, failed: 2, skipped: 1, failures: [{ name: 'a test binary (running 4 tests)' }] });
    });

    it('counts a failed test that reported before the crash as it reported (2>&1)', () => {
      // Counted from the file: a's binary reported t1_ok, t2_ok, t3_fail FAILED.
      expect(sectionOfA(combined)).toEqual(['test tests::t1_ok ... ok', 'test tests::t2_ok ... ok', 'test tests::t3_fail ... FAILED']);
      expect(combined.match(/^test result:/gm)).toHaveLength(3);
      expect(parseCargoTest(combined)).toEqual({
        passed: 2 + 2,
        failed: 1 + 1,
        skipped: 1,
        durationSeconds: 0,
        failures: [
          { name: 'tests::t3_fail', message: '' },
          { name: binary, message: 'the test binary ended with signal: 6, SIGABRT: process abort signal before its "test result:" line; 1 of its 4 tests did not report and count as failed' },
        ],
      });
    });

    it('counts a binary that crashed before or after all its tests reported as one failed test', () => {
      const before = 'error: test failed, to rerun pass `--test boot`\n\nCaused by:\n  process didn\'t exit successfully: `/p/target/debug/deps/boot-1f` (exit status: 3)\n';
      expect(parseCargoTest(read('cargo-project/cargo-test.out'), before)).toMatchObject({ passed: 4, failed: 2, skipped: 1, failures: [{ name: 'tests::fails_on_purpose' }, { name: '/p/target/debug/deps/boot-1f' }] });
      const after = 'running 1 test\ntest t ... ok\n';
      expect(parseCargoTest(after, before)).toMatchObject({ passed: 1, failed: 1, failures: [{ name: '/p/target/debug/deps/boot-1f', message: expect.stringContaining('after its 1 tests reported') }] });
    });

    it("does not count a plain failure's exit (older cargo's exit 101) or a build script's as a crash", () => {
      const olderCargo = 'error: test failed, to rerun pass \'--lib\'\n\nCaused by:\n  process didn\'t exit successfully: `/p/target/debug/deps/m-05` (exit code: 101)\n';
      expect(parseCargoTest(read('cargo-project/cargo-test.out'), olderCargo)).toMatchObject({ passed: 4, failed: 1, skipped: 1 });
      const buildScript = 'error: failed to run custom build command for `x v0.1.0`\n\nCaused by:\n  process didn\'t exit successfully: `/p/target/debug/build/x-1/build-script-build` (exit status: 1)\n';
      expect(() => parseCargoTest('', buildScript)).toThrow(/did the build fail/);
    });
  });

  it('rejects output with no "test result:" line, such as a build failure', () => {
    expect(() => parseCargoTest('error[E0425]: cannot find value `x` in this scope\n')).toThrow(/test result.*cargo test/);
  });
});

describe('cargo test with colour (cargo-color: `cargo test -- --color=always`)', () => {
  // Counted from the files: tests::a ok, tests::b FAILED, tests::c ignored; "test result: FAILED. 1 passed; 1 failed; 1 ignored".
  for (const file of ['cargo-test-color.stdout.txt', 'cargo-test-color-quiet.stdout.txt']) {
    it(`reads ${file} as it reads the same output without colour`, () => {
      const text = read(`cargo-color/${file}`);
      expect(text).toContain('\u001b[31mFAILED');
      const summary = parseTestOutput('cargo', text);
      expect(summary).toMatchObject({ passed: 1, failed: 1, skipped: 1 });
      expect(summary.failures.map((failure) => failure.name)).toEqual(['tests::b']);
      // The lines kept of an output too long to keep whole are chosen as if uncoloured.
      const choose = summaryLines('cargo')!();
      expect(text.split('\n').filter((line) => choose(line)).some((line) => line.startsWith('test result: '))).toBe(true);
    });
  }
});

describe('parseTestOutput', () => {
  it('dispatches on the format and rejects an unknown one, listing the allowed', () => {
    expect(parseTestOutput('node-tap', read('node-test.tap'))).toMatchObject(NODE_SUITE);
    expect(parseTestOutput('junit', read('node-test.junit.xml'))).toMatchObject(NODE_SUITE);
    expect(parseTestOutput('cargo', read('cargo-project/cargo-test.out'))).toMatchObject({ passed: 4 });
    expect(() => parseTestOutput('mocha' as TestOutputFormat, '')).toThrow(/node-tap, junit, cargo, pytest-junit/);
  });
});

describe('live node --test runs', () => {
  it('parses TAP and JUnit written by node --test in a fresh copy of the fixture project', async () => {
    const project = makeTemporaryDir();
    cpSync(path.join(FIXTURES, 'node-project'), project, { recursive: true });
    const result = await runCommand(
      'node --test --test-reporter=tap --test-reporter-destination=stdout --test-reporter=junit --test-reporter-destination=junit.xml checks/math.check.mjs',
      { cwd: project, timeoutMs: 60_000 },
    );
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(1); // the suite fails on purpose
    const tap = parseNodeTap(result.stdout);
    const junit = parseJUnitXml(readFileSync(path.join(project, 'junit.xml'), 'utf8'));
    for (const summary of [tap, junit]) {
      expect(summary).toMatchObject({ ...NODE_SUITE, failures: [{ name: NODE_FAILURE_NAME }] });
      expect(summary.durationSeconds).toBeGreaterThan(0);
    }
  });

  it("uses node's own totals when a file fails to load and a subtest fails", async () => {
    const project = makeTemporaryDir();
    writeFileSync(
      path.join(project, 'a.check.mjs'),
      "import test from 'node:test';\ntest('a1', () => {});\ntest('parent', async (t) => { await t.test('child # hash', () => { throw new Error('boom'); }); });\n",
    );
    writeFileSync(path.join(project, 'b.check.mjs'), "import missing from './missing.mjs';\n");
    const result = await runCommand('node --test --test-reporter=tap a.check.mjs b.check.mjs', { cwd: project, timeoutMs: 60_000 });
    const summary = parseNodeTap(result.stdout);
    // node counts a1 passed; child, parent (its subtest failed) and the file
    // that did not load as failed.
    expect(summary).toMatchObject({ passed: 1, failed: 3, skipped: 0 });
    // The causes only: not "parent", whose failure is its child's.
    expect(summary.failures.map((failure) => failure.name)).toEqual(['parent > child # hash', path.join(project, 'b.check.mjs')]);
    expect(summary.failures[0]?.message).toBe('boom');
  });
});

// ------------------------------------------------ JUnit read as a tree

/** The reading parseJUnitXml replaced (it built the whole tree): the reference the property above compares with. */
/** Each <testcase> reached through suites, in document order: its test's key and its index among that test's cases. */
function visitOrder(root: XmlElement, each: (key: string, index: number) => void): void {
  const counts = new Map<string, number>();
  const walk = (element: XmlElement, suitePath: string[]): void => {
    for (const child of element.children) {
      if (child.name === 'testsuite') walk(child, [...suitePath, child.attributes.name ?? '']);
      else if (child.name === 'testcase') {
        const key = JSON.stringify([suitePath, child.attributes.classname ?? '', child.attributes.name ?? '']);
        const index = counts.get(key) ?? 0;
        counts.set(key, index + 1);
        each(key, index);
      }
    }
  };
  walk(root, root.name === 'testsuite' ? [root.attributes.name ?? ''] : []);
}

function junitFromTree(xml: string): unknown {
  const formatName = 'parseJUnitXml (expected JUnit XML: <testsuites> or <testsuite> with <testcase> elements)';
  if (!/<\s*(testsuites|testsuite)\b/.test(xml)) throw new Error(`${formatName}: no <testsuites> or <testsuite> element found`);
  const root = parseXml(xml, formatName);
  if (root.name !== 'testsuites' && root.name !== 'testsuite') throw new Error(`${formatName}: root element is <${root.name}>`);
  const seconds = (value: string | undefined): number | undefined => {
    if (value === undefined || value.trim() === '') return undefined;
    const parsed = Number(value.replace(/,/g, ''));
    return Number.isFinite(parsed) ? parsed : undefined;
  };
  const summary = { passed: 0, failed: 0, skipped: 0, durationSeconds: 0, failures: [] as { name: string; message: string }[] };
  // Each test once: the cases of one suite path, classname and name are one test. A failed case with a passing case after it
  // (a rerun that passed it) is dropped; of the rest, failed if any failed, else skipped if any was; passed with a drop is flaky.
  type Case = { outcome: 'failed' | 'skipped' | 'passed'; failure: { name: string; message: string } | null; rerunPassed: boolean };
  const tests = new Map<string, Case[]>();
  const visit = (element: XmlElement, suitePath: string[]): void => {
    for (const child of element.children) {
      if (child.name === 'testsuite') visit(child, [...suitePath, child.attributes.name ?? '']);
      else if (child.name !== 'testcase') continue;
      else {
        const key = JSON.stringify([suitePath, child.attributes.classname ?? '', child.attributes.name ?? '']);
        const cases = tests.get(key) ?? [];
        tests.set(key, cases);
        const problem = child.children.find((inner) => inner.name === 'failure' || inner.name === 'error');
        const className = child.attributes.classname ?? '';
        const name = className !== '' && className !== 'test' ? `${className}::${child.attributes.name ?? ''}` : [...suitePath.filter((part) => part !== ''), child.attributes.name ?? ''].join(' > ');
        const rerunPassed = child.children.some((inner) => /^(flaky|rerun)(Failure|Error)$/.test(inner.name));
        if (problem) {
          const message = problem.attributes.message?.trim()
            ? problem.attributes.message.trim()
            : (allText(problem).split('\n').map((line) => line.trim()).find((line) => line !== '') ?? problem.attributes.type ?? problem.name);
          cases.push({ outcome: 'failed', failure: { name, message }, rerunPassed });
        } else cases.push({ outcome: child.children.some((inner) => inner.name === 'skipped') ? 'skipped' : 'passed', failure: null, rerunPassed });
      }
    }
  };
  visit(root, root.name === 'testsuite' ? [root.attributes.name ?? ''] : []);
  // In the order each test's failure is listed: by its first failure after its last pass.
  const listed: { at: number; failure: { name: string; message: string } }[] = [];
  let order = 0;
  const caseOrder = new Map<Case, number>();
  visitOrder(root, (key, index) => caseOrder.set((tests.get(key) as Case[])[index] as Case, order++));
  let flaky = 0;
  for (const cases of tests.values()) {
    const lastPass = cases.map((c) => c.outcome).lastIndexOf('passed');
    const kept = cases.filter((c, index) => !(c.outcome === 'failed' && index < lastPass));
    const dropped = kept.length < cases.length || cases.some((c) => c.outcome === 'passed' && c.rerunPassed);
    const failed = kept.find((c) => c.outcome === 'failed');
    if (failed) {
      summary.failed++;
      listed.push({ at: caseOrder.get(failed) as number, failure: failed.failure as { name: string; message: string } });
    } else if (kept.some((c) => c.outcome === 'skipped')) summary.skipped++;
    else {
      summary.passed++;
      if (dropped) flaky++;
    }
  }
  summary.failures = listed.sort((a, b) => a.at - b.at).map((entry) => entry.failure);
  if (flaky > 0) (summary as { flaky?: number }).flaky = flaky;
  const totals: Record<string, number> = {};
  for (const comment of root.comments) {
    const match = /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ([\d.]+)$/.exec(comment);
    if (match) totals[match[1] as string] = Number(match[2]);
  }
  const node = totals.pass !== undefined && totals.fail !== undefined ? totals : undefined;
  if (node) {
    summary.passed = node.pass ?? summary.passed;
    summary.failed = (node.fail ?? 0) + (node.cancelled ?? 0);
    summary.skipped = (node.skipped ?? 0) + (node.todo ?? 0);
  }
  if (node?.duration_ms !== undefined) summary.durationSeconds = node.duration_ms / 1000;
  else {
    summary.durationSeconds =
      seconds(root.attributes.time) ??
      root.children.filter((child) => child.name === 'testsuite' || child.name === 'testcase').reduce((total, child) => total + (seconds(child.attributes.time) ?? 0), 0);
  }
  return summary;
}

/** Random reports: suites nested any way, cases with failures, errors and skips in any order, text, CDATA and elements inside a failure, node:test's totals in comments, times, some cut short. */
const junitDocument: fc.Arbitrary<string> = (() => {
  const quote = (value: string): string => `"${value}"`;
  const optional = (name: string, values: string[]) => fc.constantFrom(...values, undefined).map((value) => (value === undefined ? '' : ` ${name}=${quote(value)}`));
  const text = fc.constantFrom('', 'line one\nline two', '  \n  indented', 'a &amp; b', '<![CDATA[raw <x> & y\nnext]]>', '<detail>inner</detail>after', '<!-- c -->');
  const problem = fc
    .tuple(fc.constantFrom('failure', 'error'), optional('message', ['', ' boom ', 'x &lt; y']), optional('type', ['AssertionError', '']), text, fc.boolean())
    .map(([name, message, type, body, selfClosing]) => (selfClosing ? `<${name}${message}${type}/>` : `<${name}${message}${type}>${body}</${name}>`));
  const caseChild = fc.oneof(problem, fc.constant('<skipped/>'), fc.constant('<system-out>out</system-out>'), fc.constant('<testcase name="inside"/>'), fc.constant('<flakyFailure message="once"/>'), fc.constant('<rerunError><stackTrace>s</stackTrace></rerunError>'));
  const testcase = fc
    .tuple(optional('name', ['a', 'b c', '']), optional('classname', ['test', 'pkg.Mod', '']), optional('time', ['0.1', '1,234.5', 'x']), fc.array(caseChild, { maxLength: 3 }))
    .map(([name, classname, time, children]) => (children.length === 0 ? `<testcase${name}${classname}${time}/>` : `<testcase${name}${classname}${time}>${children.join('')}</testcase>`));
  const { suite } = fc.letrec<{ suite: string }>((tie) => ({
    suite: fc
      .tuple(optional('name', ['s', '', 'suite two']), optional('time', ['2', '']), fc.array(fc.oneof({ depthSize: 'small' }, testcase, tie('suite'), fc.constant('<properties><testcase name="p"/></properties>'), fc.constant('<!-- pass 9 --><!-- fail 9 -->')), { maxLength: 4 }))
      .map(([name, time, children]) => `<testsuite${name}${time}>${children.join('\n')}</testsuite>`),
  }));
  const nodeTotals = fc.constantFrom('', '<!-- tests 3 --><!-- pass 2 --><!-- fail 1 --><!-- duration_ms 12.5 -->', '<!-- pass 4 --><!-- fail 0 --><!-- skipped 1 --><!-- todo 1 --><!-- cancelled 2 -->', '<!-- pass 1 -->');
  const document = fc
    .tuple(fc.boolean(), optional('time', ['3.5', '', 'n/a']), nodeTotals, fc.array(fc.oneof(suite, testcase), { maxLength: 4 }))
    .map(([suitesRoot, time, totals, children]) => {
      const root = suitesRoot ? 'testsuites' : 'testsuite';
      return `<?xml version="1.0"?>\n<${root}${time} name="top">${totals}${children.join('\n')}</${root}>`;
    });
  return document.chain((xml) => fc.oneof({ weight: 9, arbitrary: fc.constant(xml) }, { weight: 1, arbitrary: fc.nat(xml.length - 1).map((end) => xml.slice(0, end)) }));
})();
