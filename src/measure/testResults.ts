// Test results read from each runner's own machine output: node:test's TAP
// and JUnit reporters, pytest's JUnit XML, and cargo test's summary lines.
// Where a runner prints its own totals (node:test's closing `# pass N`
// lines, cargo's `test result:` lines) those totals are used as they are.
// A cargo test binary that crashed prints no totals: its tests that
// reported count as they reported, the rest as failed (parseCargoTest).

import { assertNever } from '../contract/assertNever.js';
import { parseJUnitXml } from './junitResults.js';

export { parseJUnitXml };

export interface TestFailure {
  name: string;
  message: string;
}

export interface TestSummary {
  passed: number;
  failed: number;
  skipped: number;
  durationSeconds: number;
  failures: TestFailure[];
}

export type TestOutputFormat = 'node-tap' | 'junit' | 'cargo' | 'pytest-junit';

/**
 * `stderr` is the command's stderr when `text` is its stdout: cargo says
 * there which test binary crashed.
 */
export function parseTestOutput(format: TestOutputFormat, text: string, stderr = ''): TestSummary {
  switch (format) {
    case 'node-tap':
      return parseNodeTap(text);
    case 'junit':
    case 'pytest-junit':
      return parseJUnitXml(text);
    case 'cargo':
      return parseCargoTest(text, stderr);
    default:
      return assertNever(format, 'test output format (allowed: node-tap, junit, cargo, pytest-junit)');
  }
}

/**
 * The lines of a runner's output its reading needs, whatever the output's
 * size (runCommand's keepLines; the rest of an output over 1 MiB is its
 * tail): node:test TAP without the "# …" comments that carry the tests'
 * own console output (its "# Subtest:" lines and closing totals kept);
 * cargo's "running N tests", per-test and "test result:" lines, failure
 * headers and panic messages, and its errors. None for JUnit: an XML
 * document is not read in part.
 */
export function summaryLines(format: TestOutputFormat): (() => (line: string) => boolean) | undefined {
  switch (format) {
    case 'node-tap':
      return () => (line) => !/^\s*#/.test(line) || /^\s*# Subtest: /.test(line) || NODE_TOTAL_LINE.test(line);
    case 'cargo':
      return () => {
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
      };
    case 'junit':
    case 'pytest-junit':
      return undefined;
    default:
      return assertNever(format, 'test output format (allowed: node-tap, junit, cargo, pytest-junit)');
  }
}

// ---------------------------------------------------------------- node TAP

interface TapPoint {
  indent: number;
  ok: boolean;
  name: string;
  directive: 'skip' | 'todo' | undefined;
  yaml: Record<string, string>;
  /** Whether test points of its subtests came before it (children print first). */
  hasChildren: boolean;
  /** Its line's index in the output. */
  line: number;
}

const TAP_POINT = /^(\s*)(not ok|ok)\b\s*(\d+)?\s*(?:-\s)?(.*)$/;

export function parseNodeTap(text: string): TestSummary {
  const lines = text.split(/\r?\n/);
  const points = readTapPoints(lines);
  const blocks = readNodeTapTotals(lines);
  if (blocks.length === 0 && points.length === 0) {
    throw new Error('parseNodeTap: no TAP test points ("ok N - name") and no "# tests N" summary; expected the output of node --test --test-reporter=tap');
  }

  const failures: TestFailure[] = points
    .filter((point) => !point.ok && point.directive === undefined && !isOnlyAContainer(point))
    .map((point) => ({ name: point.name, message: point.yaml.error ?? '' }));

  const summary: TestSummary = { passed: 0, failed: 0, skipped: 0, durationSeconds: 0, failures };
  // One block per run of node --test: a command that runs it twice prints two.
  for (const { totals } of blocks) {
    summary.passed += totals.pass ?? 0;
    summary.failed += (totals.fail ?? 0) + (totals.cancelled ?? 0);
    summary.skipped += (totals.skipped ?? 0) + (totals.todo ?? 0);
    summary.durationSeconds += (totals.duration_ms ?? 0) / 1000;
  }
  // A run cut off before its summary (killed at the time limit): count the
  // tests that reported, leaves only, since suites are not tests. A run
  // starts at its "TAP version" line, or where the previous run's summary ended.
  const runStarts = [0, ...blocks.map((block) => block.end)];
  lines.forEach((line, index) => {
    if (/^TAP version \d+\s*$/.test(line)) runStarts.push(index);
  });
  runStarts.sort((a, b) => a - b);
  const summarised = (line: number): boolean => {
    let start = 0;
    for (const candidate of runStarts) if (candidate <= line) start = candidate;
    const end = runStarts.find((candidate) => candidate > line) ?? lines.length;
    return blocks.some((block) => block.start >= start && block.start < end);
  };
  for (const point of points) {
    if (summarised(point.line)) continue;
    if (point.indent === 0) summary.durationSeconds += Number(point.yaml.duration_ms ?? 0) / 1000;
    if (isOnlyAContainer(point)) continue;
    if (point.directive !== undefined) summary.skipped++;
    else if (point.ok) summary.passed++;
    else summary.failed++;
  }
  return summary;
}

/** A suite, or a test whose failure is only that a subtest failed. */
function isOnlyAContainer(point: TapPoint): boolean {
  return point.yaml.type === 'suite' || (point.hasChildren && point.yaml.failureType === 'subtestsFailed');
}

function readTapPoints(lines: string[]): TapPoint[] {
  const points: TapPoint[] = [];
  // "# Subtest: name" lines open a test; its point at the same indent closes it.
  const open: { indent: number; name: string }[] = [];
  let previousPointIndent = -1;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as string;
    const subtest = /^(\s*)# Subtest: (.*)$/.exec(line);
    if (subtest) {
      open.push({ indent: (subtest[1] as string).length, name: unescapeTap(subtest[2] as string) });
      continue;
    }
    const match = TAP_POINT.exec(line);
    if (!match) continue;
    const indent = (match[1] as string).length;
    const { description, directive } = splitDirective(match[4] as string);
    while (open.length > 0 && (open[open.length - 1] as { indent: number }).indent > indent) open.pop();
    if (open.length > 0 && (open[open.length - 1] as { indent: number }).indent === indent) open.pop();
    const path = [...open.map((entry) => entry.name), description];
    const { yaml, next } = readYamlBlock(lines, index + 1, indent);
    points.push({
      indent,
      ok: match[2] === 'ok',
      name: path.join(' > '),
      directive,
      yaml,
      hasChildren: previousPointIndent > indent,
      line: index,
    });
    previousPointIndent = indent;
    index = next - 1;
  }
  return points;
}

function unescapeTap(value: string): string {
  return value.replace(/\\([\\#])/g, '$1');
}

function splitDirective(rest: string): { description: string; directive: 'skip' | 'todo' | undefined } {
  // A directive is an unescaped "#" followed by SKIP or TODO.
  const match = /^((?:[^\\#]|\\.)*?)\s*(?<!\\)#\s*(SKIP|TODO)\b.*$/i.exec(rest);
  if (!match) return { description: unescapeTap(rest.trim()), directive: undefined };
  return {
    description: unescapeTap((match[1] as string).trim()),
    directive: (match[2] as string).toUpperCase() === 'SKIP' ? 'skip' : 'todo',
  };
}

/** Reads the `---` … `...` YAML diagnostics after a test point (flat keys, scalars and block scalars). */
function readYamlBlock(lines: string[], start: number, pointIndent: number): { yaml: Record<string, string>; next: number } {
  const yaml: Record<string, string> = {};
  if (!/^\s*---\s*$/.test(lines[start] ?? '')) return { yaml, next: start };
  let index = start + 1;
  const keyIndent = pointIndent + 2;
  while (index < lines.length) {
    const line = lines[index] as string;
    if (/^\s*\.\.\.\s*$/.test(line)) return { yaml, next: index + 1 };
    const keyMatch = /^(\s*)([\w-]+):\s?(.*)$/.exec(line);
    if (!keyMatch || (keyMatch[1] as string).length !== keyIndent) {
      index++;
      continue;
    }
    const key = keyMatch[2] as string;
    const value = (keyMatch[3] as string).trim();
    index++;
    if (/^[|>][-+]?$/.test(value)) {
      const block: string[] = [];
      while (index < lines.length) {
        const blockLine = lines[index] as string;
        const lineIndent = blockLine.length - blockLine.trimStart().length;
        if (blockLine.trim() !== '' && lineIndent <= keyIndent) break;
        block.push(blockLine.slice(keyIndent + 2));
        index++;
      }
      yaml[key] = block.join('\n').replace(/\s+$/, '');
    } else {
      yaml[key] = unquoteYamlScalar(value);
    }
  }
  return { yaml, next: index };
}

function unquoteYamlScalar(value: string): string {
  if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) return value.slice(1, -1).replace(/''/g, "'");
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    try {
      return JSON.parse(value) as string;
    } catch {
      return value.slice(1, -1);
    }
  }
  return value === '~' ? '' : value;
}

const NODE_TOTAL_LINE = /^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ([\d.]+)\s*$/;

type NodeTotals = Partial<Record<'tests' | 'suites' | 'pass' | 'fail' | 'cancelled' | 'skipped' | 'todo' | 'duration_ms', number>>;

/**
 * The closing "# tests N … # duration_ms N" block of each run of node
 * --test, in order, with the index of the line after it. A block closes a
 * run where it follows the run's plan ("1..N"): a test's console output is
 * printed as "# …" comments too (node escapes a "#" at its start, but other
 * writers may not). Output with no block after a plan has its last block
 * taken, as a single run.
 */
function readNodeTapTotals(lines: string[]): { totals: NodeTotals; start: number; end: number }[] {
  const blocks: { totals: NodeTotals; start: number; end: number }[] = [];
  let last = -1;
  for (let index = 0; index < lines.length; index++) {
    if (!/^# tests \d+\s*$/.test(lines[index] as string)) continue;
    last = index;
    if (index > 0 && /^1\.\.\d+\s*$/.test(lines[index - 1] as string)) blocks.push(readTotalsFrom(lines, index));
  }
  if (blocks.length === 0 && last !== -1) blocks.push(readTotalsFrom(lines, last));
  return blocks;
}

function readTotalsFrom(lines: string[], start: number): { totals: NodeTotals; start: number; end: number } {
  const totals: NodeTotals = {};
  let index = start;
  for (; index < lines.length; index++) {
    const match = NODE_TOTAL_LINE.exec(lines[index] as string);
    if (!match) break;
    totals[match[1] as keyof NodeTotals] = Number(match[2]);
  }
  return { totals, start, end: index };
}

// ---------------------------------------------------------------- cargo test

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
