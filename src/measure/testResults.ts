// Test results read from each runner's own machine output: node:test's TAP
// and JUnit reporters, pytest's JUnit XML, cargo test's summary lines, and
// the JSON report of jest and vitest (jestJson.ts).
// Where a runner prints its own totals (node:test's closing `# pass N`
// lines, cargo's `test result:` lines) those totals are used as they are.
// A cargo test binary that crashed prints no totals: its tests that
// reported count as they reported, the rest as failed (parseCargoTest).

import { assertNever } from '../contract/assertNever.js';
import { cargoSummaryLines, parseCargoTest } from './cargoTestOutput.js';
import { parseJestJson } from './jestJson.js';
import { parseJUnitXml } from './junitResults.js';
import type { LineChooser } from './streamKeeper.js';

export { parseCargoTest, parseJUnitXml };

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
  /** Tests that failed and then passed on a rerun, counted once in `passed` (JUnit XML of Gradle's test-retry or surefire's reruns); absent when none. */
  flaky?: number;
}

export type TestOutputFormat = 'node-tap' | 'junit' | 'cargo' | 'pytest-junit' | 'jest-json';

/**
 * `stderr` is the command's stderr when `text` is its stdout: cargo says
 * there which test binary crashed.
 */
export function parseTestOutput(format: TestOutputFormat, text: string, stderr = ''): TestSummary {
  switch (format) {
    case 'node-tap':
      return parseNodeTap(withoutAnsi(text));
    case 'junit':
    case 'pytest-junit':
      return parseJUnitXml(text);
    case 'cargo':
      return parseCargoTest(withoutAnsi(text), withoutAnsi(stderr));
    case 'jest-json':
      return parseJestJson(text);
    default:
      return assertNever(format, 'test output format (allowed: node-tap, junit, cargo, pytest-junit, jest-json)');
  }
}

/** ANSI escape sequences (colours, cursor moves): `cargo test -- --color=always`, FORCE_COLOR and CI settings put them in a runner's lines. */
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[()*+][0-9A-Za-z]|\u001b[@-Z\\-_]/g;

/** The text a runner would have printed without colour: "test result: \e[32mok\e[0m." is cargo's "test result: ok.". */
export function withoutAnsi(text: string): string {
  return text.includes('\u001b') ? text.replace(ANSI, '') : text;
}

/** A line chooser that judges each line as printed without colour. */
function colourBlind(chooser: LineChooser): LineChooser {
  const compact = chooser.compact;
  return Object.assign((line: string) => chooser(withoutAnsi(line)), compact ? { compact: (line: string) => compact(withoutAnsi(line)) } : {});
}

/**
 * The lines of a runner's output its reading needs, whatever the output's
 * size (runCommand's keepLines; the rest of an output over 1 MiB is its
 * tail): node:test TAP without the "# …" comments that carry the tests'
 * own console output (its "# Subtest:" lines and closing totals kept);
 * cargo's "running N tests", per-test and "test result:" lines, failure
 * headers and panic messages, and its errors. None for JUnit: an XML
 * document is not read in part. Past the lines kept (8 MiB), node:test's
 * are cut down to its runs' TAP version, plan and totals lines, from which
 * parseNodeTap still adds up each run's totals (the failures named are then
 * those in the last MiB).
 */
export function summaryLines(format: TestOutputFormat): (() => LineChooser) | undefined {
  switch (format) {
    case 'node-tap':
      return () =>
        colourBlind(
          Object.assign((line: string) => !/^\s*#/.test(line) || /^\s*# Subtest: /.test(line) || NODE_TOTAL_LINE.test(line), {
          compact: (line: string) => /^TAP version /.test(line) || /^1\.\.\d+\s*$/.test(line) || NODE_TOTAL_LINE.test(line),
          }),
        );
    case 'cargo':
      return () => colourBlind(cargoSummaryLines());
    case 'junit':
    case 'pytest-junit':
    case 'jest-json':
      return undefined;
    default:
      return assertNever(format, 'test output format (allowed: node-tap, junit, cargo, pytest-junit, jest-json)');
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
