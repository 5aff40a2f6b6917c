// cargo test's output: each test binary's "running N tests", per-test and
// "test result:" lines, and cargo's word on a binary that crashed
// (parseCargoTest); and the lines of it that must be kept from an output too
// long to keep whole (cargoSummaryLines, runCommand's keepLines).

import type { TestFailure, TestSummary } from './testResults.js';

/** The lines a cargo output's reading needs: "running N tests", per-test and "test result:" lines, failure headers, panic messages, errors. */
export function cargoSummaryLines(): (line: string) => boolean {
  /** Lines left of a panic message (it ends at a blank line). */
  let panicLines = 0;
  return (raw) => {
    const line = raw.trim();
    const summary =
      CARGO_RUNNING.test(line) ||
      /^test .+ \.\.\. /.test(line) ||
      CARGO_RESULT.test(line) ||
      /^---- .+ stdout ----$/.test(line) ||
      /^(failures|successes):$/.test(line) ||
      line.startsWith('error:') ||
      CARGO_ABNORMAL_EXIT.test(line);
    if (summary) panicLines = 0;
    else if (/ panicked at /.test(line)) panicLines = 50;
    else if (panicLines > 0 && line !== '') panicLines -= 1;
    else {
      panicLines = 0;
      return false;
    }
    return true;
  };
}

const CARGO_RESULT =
  /^test result: (ok|FAILED)\. (\d+) passed; (\d+) failed; (\d+) ignored; (\d+) measured; (\d+) filtered out(?:; finished in ([\d.]+)s)?/;
/** Each test binary (unit, integration, doc tests) opens its output with it. */
const CARGO_RUNNING = /^running (\d+) tests?$/;
/** A test's own result line: `test NAME ... ok`, `... FAILED`, `... ignored[, reason]`. */
const CARGO_TEST_LINE = /^test (.+?) \.\.\. (ok|FAILED|ignored)(?:$|,)/;
/**
 * cargo's word on a test binary that did not end as libtest ends (exit 0, or
 * 101 when a test failed): killed by a signal (an abort, a stack overflow,
 * a segfault) or exited with another status (`std::process::exit`). Older
 * cargo printed it for a plain failure too, with 101 ("exit code" before
 * 1.5x), which is not a crash.
 */
const CARGO_ABNORMAL_EXIT = /process didn't exit successfully: `(.+?)` \((signal: [^)]*|exit (?:status|code): (\d+))\)\s*$/;

interface CargoBinaryOutput {
  /** From its "running N tests" line. */
  announced: number;
  passed: number;
  failed: number;
  ignored: number;
  /** Its "test result:" line, when it printed one. */
  result: RegExpExecArray | undefined;
}

/**
 * Sums the `test result:` line of each test binary. A binary that printed
 * none crashed (cargo says "process didn't exit successfully … (signal: 6,
 * SIGABRT …)" on stderr, which `stderr` brings when the command did not
 * send it to stdout): its tests that reported (`test NAME ... ok`) count as
 * they reported, and those that did not, the one that crashed among them,
 * count as failed; a binary that crashed before announcing its tests, or
 * after all of them reported, counts as one failed test. cargo itself
 * counts the binary as a failed target and exits 101.
 */
export function parseCargoTest(text: string, stderr = ''): TestSummary {
  const lines = text.split(/\r?\n/);
  const summary: TestSummary = { passed: 0, failed: 0, skipped: 0, durationSeconds: 0, failures: [] };
  const binaries: CargoBinaryOutput[] = [];
  let open: CargoBinaryOutput | undefined;
  for (const raw of lines) {
    const line = raw.trim();
    const running = CARGO_RUNNING.exec(line);
    if (running) {
      open = { announced: Number(running[1]), passed: 0, failed: 0, ignored: 0, result: undefined };
      binaries.push(open);
      continue;
    }
    const result = CARGO_RESULT.exec(line);
    if (result) {
      if (open === undefined) binaries.push({ announced: 0, passed: 0, failed: 0, ignored: 0, result });
      else open.result = result;
      open = undefined;
      continue;
    }
    const test = open === undefined ? null : CARGO_TEST_LINE.exec(line);
    if (test && open) {
      if (test[2] === 'ok') open.passed++;
      else if (test[2] === 'FAILED') open.failed++;
      else open.ignored++;
    }
  }
  // The same lines in both (output sent to stdout and also to a file read as the report) are counted once.
  const crashes = readCargoCrashes(lines);
  if (crashes.length === 0) crashes.push(...readCargoCrashes(stderr.split(/\r?\n/)));
  const finished = binaries.filter((binary) => binary.result !== undefined);
  const crashed = binaries.filter((binary) => binary.result === undefined);
  if (binaries.length === 0 && crashes.length === 0) {
    throw new Error('parseCargoTest: no "test result: … passed; … failed; …" line; expected the output of cargo test (did the build fail?)');
  }
  for (const { result } of finished) {
    const match = result as RegExpExecArray;
    summary.passed += Number(match[2]);
    summary.failed += Number(match[3]);
    summary.skipped += Number(match[4]);
    summary.durationSeconds += Number(match[7] ?? 0);
  }
  const crashFailures: TestFailure[] = [];
  crashed.forEach((binary, index) => {
    const crash = crashes[index];
    const reported = binary.passed + binary.failed + binary.ignored;
    const unreported = Math.max(binary.announced - reported, 0);
    summary.passed += binary.passed;
    summary.failed += binary.failed + Math.max(unreported, 1);
    summary.skipped += binary.ignored;
    const how = crash ? `ended with ${crash.how}` : 'stopped';
    crashFailures.push({
      name: crash?.binary ?? `a test binary (running ${binary.announced} tests)`,
      message:
        unreported > 0
          ? `the test binary ${how} before its "test result:" line; ${unreported} of its ${binary.announced} tests did not report and count as failed`
          : `the test binary ${how} before its "test result:" line, after its ${reported} tests reported; it counts as one failed test`,
    });
  });
  for (const crash of crashes.slice(crashed.length)) {
    summary.failed += 1;
    crashFailures.push({ name: crash.binary, message: `the test binary ${crash.how} with no test results left unreported; it counts as one failed test` });
  }
  summary.failures = [...readCargoFailures(lines), ...crashFailures];
  summary.durationSeconds = Math.round(summary.durationSeconds * 1000) / 1000;
  return summary;
}

/** cargo's "process didn't exit successfully" lines of test binaries (not build scripts) that crashed, in order. */
function readCargoCrashes(lines: readonly string[]): { binary: string; how: string }[] {
  const crashes: { binary: string; how: string }[] = [];
  let lastError = '';
  for (const raw of lines) {
    const line = raw.trim();
    if (line.startsWith('error:')) lastError = line;
    const match = CARGO_ABNORMAL_EXIT.exec(line);
    // A build script's failure says the same after "error: failed to run custom build command".
    if (!match || !lastError.startsWith('error: test failed')) continue;
    if (match[3] === '101') continue; // libtest's own exit on a failed test, which its result line counts
    crashes.push({ binary: match[1] as string, how: (match[2] as string).replace(/^exit code:/, 'exit status:') });
  }
  return crashes;
}

/**
 * Failed tests are listed as "test NAME ... FAILED"; each one's captured
 * output follows in a "---- NAME stdout ----" section, whose panic message
 * is the reason.
 */
function readCargoFailures(lines: string[]): TestFailure[] {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of lines) {
    const header = /^---- (.+) stdout ----$/.exec(line);
    if (header) {
      current = [];
      sections.set(header[1] as string, current);
    } else if (current) {
      if (/^(failures:|test result:|successes:)/.test(line)) current = undefined;
      else current.push(line);
    }
  }
  const failed: string[] = [];
  for (const line of lines) {
    const match = /^test (.+?) \.\.\. FAILED$/.exec(line.trim());
    if (match && !failed.includes(match[1] as string)) failed.push(match[1] as string);
  }
  for (const name of sections.keys()) if (!failed.includes(name)) failed.push(name);
  return failed.map((name) => ({ name, message: cargoPanicMessage(sections.get(name) ?? []) }));
}

function cargoPanicMessage(section: string[]): string {
  const panicIndex = section.findIndex((line) => /panicked at /.test(line));
  if (panicIndex === -1) return section.join('\n').trim();
  const panicLine = section[panicIndex] as string;
  // Rust >= 1.73 puts the message on the lines after "panicked at FILE:L:C:";
  // older versions on the same line: "panicked at 'message', FILE:L:C".
  const inline = /panicked at '([\s\S]*)', \S+:\d+:\d+$/.exec(panicLine);
  if (inline) return inline[1] as string;
  const message: string[] = [];
  for (const line of section.slice(panicIndex + 1)) {
    if (line.trim() === '' || /^(note: |stack backtrace:)/.test(line)) break;
    message.push(line);
  }
  return message.join('\n').trim() || panicLine.trim();
}
