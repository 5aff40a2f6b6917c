// The phase gates: build, tests and coverage of project/, and the project's
// own benchmark when the config names one, each read from the tool's own
// output or report file.

import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { ProjectTemplate } from '../config/types.js';
import { DEFAULT_MAX_KEPT_LINE_BYTES, DEFAULT_MAX_OUTPUT_BYTES, runCommand, type OutputKept } from '../measure/runCommand.js';
import { parseTestOutput, summaryLines, type TestOutputFormat, type TestSummary } from '../measure/testResults.js';
import { CoverageNotMeasured, parseCoverage, type CoverageSummary } from '../measure/coverage.js';
import { readOpsPerSecond } from '../measure/benchmarkOutput.js';

export type ProjectCommands = Pick<
  ProjectTemplate,
  'build_command' | 'test_command' | 'coverage_command' | 'test_format' | 'test_report' | 'coverage_report' | 'coverage_format'
>;

export interface BuildResult {
  ok: boolean;
  /** Cut short by the caller's signal: the result says nothing about the project. */
  aborted: boolean;
  duration_ms: number;
  command: string;
  output_tail: string;
}

export interface TestRunResult {
  summary: TestSummary | null;
  coverage: CoverageSummary | null;
  duration_ms: number;
  timed_out: boolean;
  /** Cut short by the caller's signal: no figures. (Absent in checkpoints older than it.) */
  aborted?: boolean;
  /** Which command and report the figures were read from. */
  source: string;
  /** Why figures are missing, when they are. */
  problem: string | null;
}

// A test folder, a JS/TS test file, pytest's test_*.py and *_test.py, Go's *_test.go, a conftest.py.
const TEST_FILE = /(^|\/)(test|tests|__tests__)\/|\.(test|spec)\.[cm]?[jt]sx?$|(^|\/)(test_[^/]*|[^/]*_test|conftest)\.py$|_test\.go$/;

/**
 * Which files a coverage report names are the project's test files. Line
 * coverage is of the code under test: the test files a coverage report
 * names (Node 20's lcov reporter includes them and cannot exclude them;
 * coverage.py with `--cov=.` does too) are left out, of every format alike
 * (parseCoverage's leaveOut). A file is a test file by its path inside the
 * project: a folder above project/ named test/ or tests/ (where the run
 * folder lies, say) says nothing of it. A path outside the project is judged
 * whole; a relative one is inside the project (or a report's source folder).
 */
export function testFileFilter(projectDir: string): (file: string) => boolean {
  const roots = new Set([path.resolve(projectDir)]);
  try {
    roots.add(realpathSync(projectDir));
  } catch {
    // A project folder gone since: its path as given.
  }
  const prefixes = [...roots].map((root) => (root.endsWith(path.sep) ? root : `${root}${path.sep}`));
  return (file) => {
    const trimmed = file.trim();
    const prefix = prefixes.find((candidate) => trimmed.startsWith(candidate));
    return TEST_FILE.test(prefix === undefined ? trimmed : trimmed.slice(prefix.length));
  };
}

/** Failing tests named in a test run's result, the first ones in the report; the count of all stays in `failed`. */
export const FAILURES_KEPT = 50;
/** A failure's message is cut after this many characters (marked with "…"). */
export const FAILURE_MESSAGE_CHARS = 1000;

/**
 * The result goes into every checkpoint body (test_results) and what a CLI
 * agent is told: a suite of 10,000 failing tests named each one, with its
 * message, in every checkpoint file.
 */
function withFewFailures(summary: TestSummary): TestSummary {
  const cut = (message: string) => (message.length > FAILURE_MESSAGE_CHARS ? `${message.slice(0, FAILURE_MESSAGE_CHARS)}…` : message);
  if (summary.failures.length <= FAILURES_KEPT && summary.failures.every(({ name, message }) => name.length <= FAILURE_MESSAGE_CHARS && message.length <= FAILURE_MESSAGE_CHARS)) return summary;
  return { ...summary, failures: summary.failures.slice(0, FAILURES_KEPT).map(({ name, message }) => ({ name: cut(name), message: cut(message) })) };
}

function tail(text: string, lines = 15): string {
  return text.split('\n').slice(-lines).join('\n').trim();
}

export async function runBuild(projectDir: string, commands: ProjectCommands, timeoutMs: number, signal?: AbortSignal): Promise<BuildResult> {
  if (commands.build_command.trim() === '') {
    return { ok: true, aborted: false, duration_ms: 0, command: '(none configured)', output_tail: '' };
  }
  const result = await runCommand(commands.build_command, { cwd: projectDir, timeoutMs, signal });
  return {
    ok: result.code === 0 && !result.timedOut && !result.aborted,
    aborted: result.aborted,
    duration_ms: Math.round(result.durationMs),
    command: commands.build_command,
    output_tail: tail(result.timedOut ? `timed out after ${timeoutMs} ms\n${result.stderr}` : `${result.stdout}\n${result.stderr}`),
  };
}

/**
 * Runs the coverage command (which also runs the tests) when one is set,
 * otherwise the test command, and reads both figures from their reports.
 * A coverage command that gives no test results (its tool not installed,
 * as `cargo llvm-cov` often is not) costs the coverage only: the test
 * command then runs alone, in the time left, and the tests are still read.
 */
export async function runTests(projectDir: string, commands: ProjectCommands, timeoutMs: number, signal?: AbortSignal): Promise<TestRunResult> {
  const coverageCommand = commands.coverage_command.trim();
  const { result: first, exit } = await runAndRead(projectDir, commands, coverageCommand !== '' ? commands.coverage_command : commands.test_command, timeoutMs, signal);
  const fallBack = first.summary === null && !first.timed_out && !first.aborted && coverageCommand !== '' && commands.test_command.trim() !== '' && coverageCommand !== commands.test_command.trim();
  const timeLeft = timeoutMs - first.duration_ms;
  if (!fallBack || timeLeft < 1000) return first;
  const { result: alone } = await runAndRead(projectDir, { ...commands, coverage_report: '' }, commands.test_command, timeLeft, signal);
  if (alone.summary === null) return { ...alone, duration_ms: first.duration_ms + alone.duration_ms, problem: `${first.problem}; and without coverage: ${alone.problem}` };
  return {
    ...alone,
    duration_ms: first.duration_ms + alone.duration_ms,
    problem: `coverage not measured: the coverage command gave no test results (${exit}); the tests were read from test_command`,
  };
}

/** One command run and its figures read; `exit` is how it ended ("exit 101: error: …") for a message. */
async function runAndRead(projectDir: string, commands: ProjectCommands, command: string, timeoutMs: number, signal?: AbortSignal): Promise<{ result: TestRunResult; exit: string }> {
  const coverageFile = commands.coverage_report ? path.join(projectDir, commands.coverage_report) : '';
  if (coverageFile) {
    rmSync(coverageFile, { force: true });
    mkdirSync(path.dirname(coverageFile), { recursive: true });
  }
  const reportFile = commands.test_report ? path.join(projectDir, commands.test_report) : '';
  if (reportFile) rmSync(reportFile, { force: true });

  // An output over 1 MiB keeps its summary lines from before its last MiB.
  const run = await runCommand(command, { cwd: projectDir, timeoutMs, signal, keepLines: summaryLines(commands.test_format) });
  const clue = outputClue(run.stderr);
  const exit = `exit ${run.code ?? run.signal}${clue === '' ? '' : `: ${clue}`}`;
  const base = { duration_ms: Math.round(run.durationMs), timed_out: run.timedOut, aborted: run.aborted, source: command };
  if (run.aborted) return { result: { ...base, summary: null, coverage: null, problem: 'test run cut short' }, exit };
  if (run.timedOut) {
    return { result: { ...base, summary: null, coverage: null, problem: `test command killed after ${Math.round(timeoutMs / 1000)} s (limits.max_test_runtime_min)` }, exit };
  }
  let summary: TestSummary | null = null;
  let problem: string | null = null;
  const fromReport = reportFile !== '' && existsSync(reportFile);
  const cut = fromReport ? null : outputCut(commands.test_format, run.stdoutKept, run.stderrKept);
  if (cut !== null) problem = `test results not measured: ${cut}; ${exit}`;
  else {
    try {
      // stderr too when stdout is read: where cargo says a test binary crashed.
      summary = withFewFailures(fromReport ? parseTestOutput(commands.test_format, readFileSync(reportFile, 'utf8')) : parseTestOutput(commands.test_format, run.stdout, run.stderr));
    } catch (error) {
      problem = `test results unreadable (${commands.test_format}): ${(error as Error).message}; ${exit}`;
    }
  }
  let coverage: CoverageSummary | null = null;
  if (coverageFile && existsSync(coverageFile)) {
    try {
      const report = readFileSync(coverageFile, 'utf8');
      coverage = parseCoverage(commands.coverage_format, report, { leaveOut: testFileFilter(projectDir) });
    } catch (error) {
      const what = error instanceof CoverageNotMeasured ? 'coverage not measured' : 'coverage report unreadable';
      problem = problem ?? `${what} (${commands.coverage_format}): ${(error as Error).message}`;
    }
  }
  return { result: { ...base, summary, coverage, problem }, exit };
}

/**
 * Why the output the results would be read from is not whole where a part
 * would read as the whole: cut to its last MiB with no summary lines kept
 * from before it (JUnit, which is not read in part, or more summary lines
 * than are kept). Null when it can be read.
 */
function outputCut(format: TestOutputFormat, stdout: OutputKept, stderr: OutputKept): string | null {
  const streams: [string, OutputKept][] = [['output', stdout]];
  // cargo's crash lines are on stderr (parseCargoTest).
  if (format === 'cargo') streams.push(['stderr', stderr]);
  for (const [name, kept] of streams) {
    if (kept.kept !== 'tail') continue;
    const why = summaryLines(format) === undefined ? `${format} output is not read in part` : `its summary lines were over the ${mebibytes(DEFAULT_MAX_KEPT_LINE_BYTES)} kept`;
    return `the test ${name} was ${mebibytes(kept.totalBytes)}, over the ${mebibytes(DEFAULT_MAX_OUTPUT_BYTES)} kept, and was cut (${why})`;
  }
  return null;
}

function mebibytes(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
}

/**
 * The last "error:" line of a failed command's stderr when it has one, else
 * its last lines: cargo's "error: no such command: `llvm-cov`" comes before
 * its help lines, pytest's "error: unrecognized arguments: --cov" after its
 * usage line.
 */
function outputClue(stderr: string): string {
  const error = stderr.split('\n').reverse().find((line) => /\b(error|fatal):/i.test(line));
  return error !== undefined ? error.trim() : tail(stderr, 3);
}

export interface BenchmarkResult {
  ok: boolean;
  opsPerSecond: number | null;
  /** Why there is no figure, said of the benchmark: "failed with exit 1: …", "printed no operations per second (…)". */
  problem: string | null;
  duration_ms: number;
  command: string;
  /** Cut short by the caller's signal: the result says nothing about the project. */
  aborted: boolean;
}

/** Runs [project.performance] benchmark_command in project/ and reads the ops/s it prints (benchmarkOutput.ts). */
export async function runBenchmark(projectDir: string, command: string, timeoutMs: number, signal?: AbortSignal): Promise<BenchmarkResult> {
  const run = await runCommand(command, { cwd: projectDir, timeoutMs, signal });
  const base = { duration_ms: Math.round(run.durationMs), command, aborted: run.aborted };
  const failed = (problem: string): BenchmarkResult => ({ ...base, ok: false, opsPerSecond: null, problem });
  if (run.aborted) return failed('was cut short');
  if (run.timedOut) return failed(`was killed after ${Math.round(timeoutMs / 1000)} s (limits.max_test_runtime_min)`);
  if (run.code !== 0) return failed(`failed with exit ${run.code ?? run.signal}: ${outputClue(run.stderr) || tail(run.stdout, 3)}`);
  const read = readOpsPerSecond(run.stdout);
  return 'problem' in read ? failed(read.problem) : { ...base, ok: true, opsPerSecond: read.opsPerSecond, problem: null };
}
