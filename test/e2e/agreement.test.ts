// One finished run, three views of it: final_report.json, `megatest status
// DIR --json` (the orchestrator gone, so read from the files) and the last
// frame of the console opened on the run folder (startConsole, wired as
// `megatest attach` wires it: the tail of the folder, the batching store,
// Ink) at 120x40. Tasks done/left, elapsed, tokens and tool calls must agree.
//
// What the console draws: elapsed in the header ("1m02s / 1m30s",
// formatDuration, whole seconds), tokens in the header ("105k tok",
// formatCount) and tool calls per agent in the grid's "tools" column. It
// draws no task count at any size, so tasks are compared with the console's
// own fold (its store) instead of its screen. Elapsed is published at three
// resolutions (report: 0.1 s, status: whole seconds rounded, console: whole
// seconds cut), so each is compared with the one exact figure the fold of
// events.jsonl gives, at its own resolution.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { isOrchestratorAlive } from '../../src/io/sessions.js';
import { elapsedMsAtLastEvent, foldAll } from '../../src/state/fold.js';
import { tasksCompleted, tasksRemaining, tasksTotal, type RunState } from '../../src/state/runState.js';
import { startConsole } from '../../src/ui/runConsole.js';
import { CONSOLE_PORTS } from '../../src/cli/consolePorts.js';
import { formatCount, formatDuration } from '../../src/ui/viewModels/format.js';
import type { FinalReport } from '../../src/report/report.js';
import { agentPidsOf, readEvents, readReport, runHeadless, waitFor, type CliResult } from '../helpers/cli.js';
import { agentToolCells, headerFigures, statusJson, type HeaderFigures, type StatusJson } from '../helpers/agreement.js';
import { fakeActions, fakeTerminal, plain } from '../ui/helpers.js';

const BRISK = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'e2e', 'brisk.toml');
const ENV = { LANG: 'C.UTF-8', TERM: 'xterm-256color' };

describe('final report, status and the console agree on a finished run', () => {
  const runsDir = mkdtempSync(path.join(tmpdir(), 'megatest-agreement-'));
  const runDir = path.join(runsDir, 'agree');
  let result: CliResult;
  let report: FinalReport;
  let status: StatusJson;
  let fold: RunState;
  let consoleRun: RunState;
  let frame: string;
  let header: HeaderFigures | null;

  beforeAll(async () => {
    // brisk.toml: the sim takes 20% of each phase, so the run ends on its own
    // (0) well within the time given, or times out (124) on a loaded machine;
    // the figures must agree either way.
    const run = runHeadless(
      ['run', 'task_queue', '--headless', '--agents', '3', '--duration', '45s', '--seed', '3', '--config', BRISK, '--runs-dir', runsDir, '--session-id', 'agree', '--port', '18620'],
      { timeoutMs: 300_000 },
    );
    result = await run.done;
    report = readReport(runDir);
    fold = foldAll(readEvents(runDir));
    status = await statusJson(runDir);

    const { stdout, stdin } = fakeTerminal(120, 40);
    const started = startConsole({
      runDir,
      actions: fakeActions(),
      isOrchestratorAlive: () => isOrchestratorAlive(runDir),
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
      env: ENV,
      ports: CONSOLE_PORTS,
    });
    // The console has read the whole log when its fold reaches the last event.
    await waitFor(() => {
      const run = started.store.getState().run;
      return run.ended !== null && run.lastSeq === fold.lastSeq && run.orchestrator === 'dead';
    }, 'the console to read the whole run', 60_000);
    // ...and has drawn it when a frame shows the ended status.
    await waitFor(
      () => stdout.frames.some((f) => plain(f).includes(`${report.status} (exit ${report.exit_code})`)) || undefined,
      'a frame of the ended run',
      30_000,
    ).catch(() => undefined); // Ink in CI mode draws only at unmount: checked below on the last frame.
    consoleRun = started.store.getState().run;
    stdin.write('q');
    await expect(started.outcome).resolves.toBe('ended');
    const frames = stdout.frames.map(plain).filter((f) => headerFigures(f) !== null);
    frame = frames.at(-1) ?? '';
    header = headerFigures(frame);
  }, 420_000);

  afterAll(() => {
    for (const pid of agentPidsOf(runDir)) process.kill(pid, 'SIGKILL');
    rmSync(runsDir, { recursive: true, force: true });
  });

  it('ran to its end and wrote the report; the orchestrator is gone', () => {
    expect([0, 124], `${result.stdout}\n${result.stderr}`).toContain(result.code);
    expect(existsSync(path.join(runDir, 'final_report.json'))).toBe(true);
    expect(existsSync(path.join(runDir, 'control.json'))).toBe(false);
    expect(agentPidsOf(runDir)).toEqual([]);
    expect(status.running).toBe(false);
    expect(status.status).toBe(report.status);
    expect(fold.ended).not.toBeNull();
    expect(frame, 'no console frame with a header').not.toBe('');
    expect(frame).toContain(`${report.status} (exit ${report.exit_code})`);
    expect(report.measurements.tasks_completed).toBeGreaterThan(0);
    expect(report.measurements.tool_calls).toBeGreaterThan(0);
  });

  it('agrees on tasks done and left', () => {
    const m = status.metrics!;
    const r = report.measurements;
    expect({ done: m.tasks_completed, left: m.tasks_remaining }).toEqual({ done: r.tasks_completed, left: r.tasks_remaining });
    expect({ done: tasksCompleted(consoleRun), left: tasksRemaining(consoleRun), total: tasksTotal(consoleRun) }).toEqual({
      done: r.tasks_completed,
      left: r.tasks_remaining,
      total: r.tasks_total,
    });
    expect({ done: tasksCompleted(fold), left: tasksRemaining(fold) }).toEqual({ done: r.tasks_completed, left: r.tasks_remaining });
  });

  it('agrees on tokens', () => {
    expect(status.metrics!.total_tokens).toBe(report.measurements.total_tokens);
    expect(consoleRun.counters.totalTokens).toBe(report.measurements.total_tokens);
    expect(report.measurements.total_tokens).not.toBeNull();
    expect(header?.tokens, header?.line).toBe(formatCount(report.measurements.total_tokens!));
  });

  it('agrees on tool calls', () => {
    expect(status.metrics!.tool_calls).toBe(report.measurements.tool_calls);
    expect(consoleRun.counters.toolCalls).toBe(report.measurements.tool_calls);
    // On screen: the grid's tools column, one cell per agent, exact below 1000.
    const cells = agentToolCells(frame);
    expect(cells, frame).not.toBeNull();
    expect([...cells!.keys()].sort()).toEqual(status.metrics!.agents.map((a) => a.name).sort());
    for (const agent of status.metrics!.agents) expect(cells!.get(agent.name), `${agent.name}\n${frame}`).toBe(formatCount(agent.tool_calls));
    const shownTotal = [...cells!.values()].reduce((sum, cell) => sum + Number(cell), 0);
    expect(shownTotal, frame).toBe(report.measurements.tool_calls);
  });

  it('agrees on elapsed, each at the resolution it is shown at', () => {
    const exact = elapsedMsAtLastEvent(fold) / 1000;
    expect(report.elapsed_seconds).toBe(Math.round(exact * 10) / 10);
    expect(status.metrics!.elapsed_seconds).toBe(Math.round(exact));
    expect(header?.elapsed, header?.line).toBe(formatDuration(exact));
    expect(header?.total, header?.line).toBe(formatDuration(report.configured_duration_seconds!));
    // The three figures are one reading: none is more than its rounding away from the others.
    expect(Math.abs(status.metrics!.elapsed_seconds! - report.elapsed_seconds!)).toBeLessThanOrEqual(0.55);
    expect(Math.abs(Math.floor(report.elapsed_seconds!) - Math.floor(exact))).toBeLessThanOrEqual(1);
  });
});
