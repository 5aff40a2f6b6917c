// A legacy run's figures as every view shows them (status, report, compare,
// the console's header): each the latest snapshot's that recorded it, the
// runner's own counts where it kept them, and "not recorded" (null, n/a)
// where it kept none.

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runControlCommand } from '../../src/cli/controlCommands.js';
import { foldRunFolder } from '../../src/io/foldLog.js';
import { runFigures } from '../../src/report/figures.js';
import { buildReport, renderMarkdown } from '../../src/report/report.js';
import { compareRuns } from '../../src/compare/viewModel.js';
import { convertLegacyRun } from '../../src/legacy/convert.js';
import { applyEvents, initialConsoleState } from '../../src/state/applyEvent.js';
import { headerModel } from '../../src/ui/viewModels/header.js';
import { REST_OF_PLAN_NOT_RECORDED } from '../../src/legacy/phases.js';
import { copyLegacyFixtures, metricsFiles, readJson } from './legacyFixtures.js';

let runs: string;
beforeEach(() => {
  runs = copyLegacyFixtures('megatest-legacy-figures-');
});
afterEach(() => rmSync(runs, { recursive: true, force: true }));

async function statusJson(dir: string): Promise<any> {
  const logs: string[] = [];
  const out = { log: (s: string) => logs.push(s), error: (s: string) => logs.push(s) };
  expect(await runControlCommand('status', { session: dir, runsDir: runs, json: true }, out)).toBe(0);
  return JSON.parse(logs.join('\n'));
}

async function statusText(dir: string): Promise<string> {
  const logs: string[] = [];
  const out = { log: (s: string) => logs.push(s), error: (s: string) => logs.push(s) };
  expect(await runControlCommand('status', { session: dir, runsDir: runs }, out)).toBe(0);
  return logs.join('\n');
}

describe('a torn last snapshot', () => {
  it('keeps the figures the snapshots before it recorded, in status, the report and the fold alike', async () => {
    const dir = path.join(runs, 'python-killed');
    const full = readJson(metricsFiles(dir).at(-1)!.file).metrics;
    // killed while writing: five fields, then nothing
    writeFileSync(
      path.join(dir, 'metrics', 'metrics_1772573450.json'),
      '{\n  "timestamp": "2026-03-04T03:00:50.900000",\n  "metrics": {\n    "elapsed_seconds": 1830,\n    "total_tokens": 151000,\n    "tokens_per_minute": 4950.0,\n    "tasks_rem',
    );
    const view = await statusJson(dir);
    expect(view.metrics).toMatchObject({ total_tokens: 151000, errors_encountered: full.errors_encountered, lines_of_code: full.lines_of_code, tasks_completed: full.tasks_completed });
    expect(await statusText(dir)).toMatch(new RegExp(`errors ${full.errors_encountered}\\b`));
    expect(await statusText(dir)).toMatch(new RegExp(`LOC ${full.lines_of_code.toLocaleString('en-US')}\\b`));
    const report = await buildReport(dir);
    expect(report.reliability.errors).toBe(full.errors_encountered);
    expect(report.measurements.lines_of_code).toBe(full.lines_of_code);
    expect(report.measurements.total_tokens).toBe(151000);
    expect(renderMarkdown(report)).not.toMatch(/errors: not recorded/);
    const figures = runFigures((await foldRunFolder(dir)).state);
    expect(figures).toMatchObject({ errors: full.errors_encountered, linesOfCode: full.lines_of_code, totalTokens: 151000, tasksCompleted: full.tasks_completed });
  });
});

/** Sets `"key": <number>` in a legacy JSON file as written (the Bash runner's heredoc), or removes the line with null. */
function setCount(file: string, key: string, value: number | null): void {
  const text = readFileSync(file, 'utf8');
  const line = new RegExp(`\\n\\s*"${key}": \\d+,?`);
  expect(text).toMatch(line);
  writeFileSync(file, value === null ? text.replace(line, '') : text.replace(new RegExp(`("${key}": )\\d+`), `$1${value}`));
}

describe("a Bash run's checkpoints", () => {
  it('are the count its runner recorded (metrics_current.json, final_report.json), in status, the report, compare and the header', async () => {
    const dir = path.join(runs, 'bash-complete');
    setCount(path.join(dir, 'metrics_current.json'), 'checkpoints', 7);
    setCount(path.join(dir, 'final_report.json'), 'checkpoints_created', 7);
    expect((await statusJson(dir)).metrics.checkpoint_count).toBe(7);
    expect(await statusText(dir)).toMatch(/checkpoint\s+none in the folder {2}\(the runner counted 7\)/);
    const report = await buildReport(dir);
    expect(report.reliability.checkpoints).toBe(7);
    expect(renderMarkdown(report)).toMatch(/- checkpoints: 7 /);
    const folded = await foldRunFolder(dir);
    expect(runFigures(folded.state).checkpoints).toBe(7);
    const compared = compareRuns([{ name: dir, state: folded.state, report }]);
    expect(compared.rows.find((r) => r.key === 'checkpoints')!.cells[0]!.value).toBe(7);
    const run = applyEvents(initialConsoleState(), (await convertLegacyRun(dir)).events);
    expect(headerModel(run, { nowMs: Date.now(), runDir: dir }).countsText).toMatch(/ 7 ckpt/);
  });

  it("the final report's count is the run's (it counts once more as it ends); none recorded is not recorded, not 0", async () => {
    const dir = path.join(runs, 'bash-complete');
    setCount(path.join(dir, 'metrics_current.json'), 'checkpoints', 5);
    setCount(path.join(dir, 'final_report.json'), 'checkpoints_created', 6);
    expect((await statusJson(dir)).metrics.checkpoint_count).toBe(6);
    setCount(path.join(dir, 'metrics_current.json'), 'checkpoints', null);
    setCount(path.join(dir, 'final_report.json'), 'checkpoints_created', null);
    expect((await statusJson(dir)).metrics.checkpoint_count).toBeNull();
    const report = await buildReport(dir);
    expect(report.reliability.checkpoints).toBeNull();
    expect(renderMarkdown(report)).toMatch(/- checkpoints: not recorded/);
  });
});

describe("a Python run's planned length and recoveries", () => {
  /** python-killed with its own test_session.log: a 1-hour run of 20-minute phases, one recovery. */
  function withLog(dir: string): void {
    writeFileSync(
      path.join(dir, 'test_session.log'),
      [
        '2026-03-04 01:30:00,000 - mega_test - INFO - Starting mega test session: python-killed',
        '2026-03-04 01:30:00,001 - mega_test - INFO - Duration: 1 hours',
        '2026-03-04 01:30:00,002 - mega_test - INFO - Starting phase: bootstrap (20 minutes)',
        '2026-03-04 02:00:00,000 - mega_test - INFO - Attempting recovery...',
        '2026-03-04 02:00:02,000 - mega_test - INFO - Successfully resumed task checkpoint_1772569800',
        '2026-03-04 02:30:20,000 - mega_test - INFO - Phase bootstrap complete',
        '2026-03-04 02:30:20,001 - mega_test - INFO - Starting phase: development (20 minutes)',
        '',
      ].join('\n'),
    );
  }

  it('reads the length and phases its log records, and counts the recoveries it logged', async () => {
    const dir = path.join(runs, 'python-killed');
    withLog(dir);
    const view = await statusJson(dir);
    expect(view.duration_seconds).toBe(3600);
    expect(view.metrics).toMatchObject({ recoveries: 1, consensus_votes_cast: null });
    const { state } = await foldRunFolder(dir);
    // the two phases it logged, and the 20 minutes its 1 hour leaves after them, which no file names
    expect(state.phases.map((p) => [p.name, p.durationSeconds, p.status])).toEqual([
      ['bootstrap', 1200, 'passed'],
      ['development', 1200, 'running'],
      [REST_OF_PLAN_NOT_RECORDED, 1200, 'pending'],
    ]);
    const report = await buildReport(dir);
    expect(report.configured_duration_seconds).toBe(3600);
    expect(report.reliability.recoveries).toBe(1);
    expect(report.loc_target_scale?.duration_seconds).toBe(3600);
  });

  it('without its log: the planned length, the phases\' and the recoveries are not recorded, and no time left or share of a plan is shown', async () => {
    const dir = path.join(runs, 'python-killed');
    // still going: a snapshot written now (no pid to check; see liveness.ts)
    const nowUnix = Math.floor(Date.now() / 1000);
    const local = new Date(nowUnix * 1000 + 330 * 60_000).toISOString().slice(0, 19); // the fixture's zone, +05:30
    writeFileSync(
      path.join(dir, 'metrics', `metrics_${nowUnix}.json`),
      JSON.stringify({ timestamp: local, metrics: { elapsed_seconds: 10, total_tokens: 160000, errors_encountered: 4, phase: 'development', status: 'running' } }),
    );
    const view = await statusJson(dir);
    expect(view.duration_seconds).toBeNull();
    expect(view.metrics).toMatchObject({ estimated_remaining: null, recoveries: null, consensus_votes_cast: null });
    const text = await statusText(dir);
    expect(text).toMatch(/elapsed\s+\S+ {2}\(planned length not recorded\)$/m);
    expect(text).not.toMatch(/ left\)/);
    expect(text).toMatch(/recoveries n\/a/);
    const { state } = await foldRunFolder(dir);
    expect(state.session!.durationSeconds).toBeNull();
    expect(state.phases.every((p) => p.durationSeconds === 0)).toBe(true);
    const run = applyEvents(initialConsoleState(), (await convertLegacyRun(dir)).events);
    const header = headerModel(run, { nowMs: Date.now(), runDir: dir });
    expect(header.progressText).toMatch(/ \/ plan not recorded$/);
    const report = await buildReport(dir);
    expect(report.configured_duration_seconds).toBeNull();
    expect(report.reliability.recoveries).toBeNull();
    expect(renderMarkdown(report)).toMatch(/- recoveries: not recorded/);
    expect(report.criteria_not_judged?.find((c) => c.id === 'loc_target')?.reason).toMatch(/no planned length/);
    expect(renderMarkdown(report)).toMatch(/\| elapsed \| [\d.]+ s \(planned length not recorded\) \|/);
    const compared = compareRuns([{ name: dir, state, report }]);
    expect(compared.rows.find((r) => r.key === 'recoveries')!.cells[0]!.value).toBeNull();
  });
});

describe("a converted Python run's phase plan", () => {
  /** python-complete's lines in test_session.log (beside the fixtures), as the runner wrote them, read here by pattern. */
  function loggedPlan(): { name: string; seconds: number }[] {
    const log = readFileSync(path.join(runs, 'test_session.log'), 'utf8').split('\n');
    const from = log.findIndex((l) => l.endsWith('Starting mega test session: python-complete'));
    const to = log.findIndex((l, i) => i > from && / - Starting mega test session: /.test(l));
    return log
      .slice(from, to)
      .map((l) => / - Starting phase: (\S+) \((\d+) minutes\)$/.exec(l))
      .filter((m) => m !== null)
      .map((m) => ({ name: m![1]!, seconds: Number(m![2]) * 60 }));
  }

  it('session_started carries the phases its log names, with their minutes: at 1 h of 6 the header says phase 1/4 and 16%, not 1/1 at 99%', async () => {
    const dir = path.join(runs, 'python-complete');
    const plan = loggedPlan();
    // by hand: bootstrap 60, development 120, refinement 120, finalization 60 minutes: the 6 hours it logged
    expect(plan.map((p) => p.name)).toEqual(['bootstrap', 'development', 'refinement', 'finalization']);
    expect(plan.reduce((sum, p) => sum + p.seconds, 0)).toBe(6 * 3600);
    const { events } = await convertLegacyRun(dir);
    const started = events[0]!;
    expect(started.type).toBe('session_started');
    if (started.type !== 'session_started') return;
    expect(started.phases.map((p) => ({ name: p.name, seconds: p.duration_seconds }))).toEqual(plan);
    const startMs = Date.parse(started.ts);
    const at = startMs + 3600_000;
    const run = applyEvents(initialConsoleState(), events.filter((e) => Date.parse(e.ts) <= at));
    const header = headerModel(run, { nowMs: at, runDir: dir });
    expect(header.phaseText).toBe('phase 1/4 bootstrap');
    expect(header.progressText).toBe('1h00m / 6h00m  16%  ETA 5h00m');
    expect(header.progressText).not.toMatch(/plan \d+%/);
  });

  it('without its log: the phases the files show, no minutes, no share of a plan', async () => {
    const dir = path.join(runs, 'python-complete');
    rmSync(path.join(runs, 'test_session.log'));
    const { events } = await convertLegacyRun(dir);
    const started = events[0]!;
    if (started.type !== 'session_started') throw new Error('no session_started');
    const names = [...new Set(metricsFiles(dir).map((f) => readJson(f.file).metrics.phase as string))];
    expect(started.phases.map((p) => [p.name, p.duration_seconds])).toEqual(names.map((name) => [name, 0]));
    const startMs = Date.parse(started.ts);
    const at = startMs + 3600_000;
    const run = applyEvents(initialConsoleState(), events.filter((e) => Date.parse(e.ts) <= at));
    const header = headerModel(run, { nowMs: at, runDir: dir });
    expect(header.phaseText).toBe(`phase 1/${names.length} bootstrap`);
    expect(header.progressText).toMatch(/ \/ plan not recorded$/);
  });
});
