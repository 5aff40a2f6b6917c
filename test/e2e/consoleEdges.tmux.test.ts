// The console's edges as a person meets them in a real terminal at 80x24
// (tmux): the help scrolls to every key; Enter opens an agent's detail and
// Esc goes back; a compression shows in the log and, through Tab, in the
// alerts; `q` gives the shell back while the run goes on; a
// finished run's console (stopped from the shell) never says to resume it; a timed-out run's phase
// bar shows where it stopped; a killed run's console shows the resume command whole; a legacy folder is
// refused by attach in one line. Waits key on
// what the pane shows, never on sleeps.

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { isPidAlive, readControlFile } from '../../src/io/sessions.js';
import { agentPidsOf, BUILT, killRunsIn, readStatusWord, runCli, runHeadless, waitFor, waitForEventWhileRunning } from '../helpers/cli.js';
import { HAS_TMUX, TmuxServer } from '../helpers/tmux.js';

const BIN = path.join(PACKAGE_ROOT, 'bin', 'megatest.js');
const FAST = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'e2e', 'fast.toml');
const SIM_AGENT = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'e2e', 'sim-agent.mjs');
const ENV = 'env -u CI LANG=C.UTF-8 TERM=xterm-256color';

const server = new TmuxServer('edges');
const tmux = (...args: string[]): string => server.run(...args);
const screen = (session: string): string => server.screen(session);
const waitForScreen = (session: string, pattern: RegExp, timeoutMs = 60_000): Promise<string> => server.waitForScreen(session, pattern, timeoutMs, 50);

function keyLine(text: string): string {
  return text.split('\n').filter((l) => l.trim() !== '').at(-1) ?? '';
}

describe.skipIf(!HAS_TMUX || !BUILT)(`the console's edges at 80x24 in tmux${HAS_TMUX && BUILT ? '' : ' (skipped: needs tmux and a built dist/)'}`, () => {
  beforeAll(() => {
    server.start();
  });
  const runsDir = mkdtempSync(path.join(tmpdir(), 'megatest-edges-'));
  afterAll(() => {
    server.kill();
    killRunsIn(runsDir);
    rmSync(runsDir, { recursive: true, force: true });
  });

  it('help scrolls, Enter and Esc, compress in the log and alerts, Tab, q gives the shell back while the run goes on, a finished run says no resume', async () => {
    const runDir = path.join(runsDir, 'edges');
    const session = 'edges';
    // 30 minutes: every step below, up to q, happens while the run goes on, however slowly a loaded
    // machine draws; the test stops the run itself.
    tmux(
      'new-session', '-d', '-s', session, '-x', '80', '-y', '24',
      `cd ${PACKAGE_ROOT} && ${ENV} node ${BIN} run task_queue --duration 30m --agents 4 --runs-dir ${runsDir} --session-id edges --config ${FAST} --port 18750; echo SHELL-BACK $(date +%s%3N); sleep 600`,
    );
    await waitForScreen(session, /bootstrap/);
    await waitFor(() => existsSync(path.join(runDir, 'control.json')) || undefined, 'control.json');

    // The key line keeps ? and q (and Q stop) at 80 columns.
    // (A capture may land while a frame is written top to bottom: the screen is read once its
    // last line, the key line, is there.)
    const dashboard = await waitForScreen(session, /── Agents[\s\S]*\? help/);
    expect(keyLine(dashboard)).toMatch(/\? help.*q detach.*Q stop/);

    // ? help: cut at 80x24, it scrolls (PgDn) to the last keys, its key line says how to close it.
    tmux('send-keys', '-t', session, '?');
    const help = await waitForScreen(session, /── Help .*↓ \d+ more[\s\S]*close help/);
    expect(keyLine(help)).toMatch(/\?\/Esc close help/);
    // One page at a time, each once the last has been drawn: the help's title line says where it
    // stands ("↑ 12 more · ↓ 14 more"); the clock ticking elsewhere on the screen is not a scroll.
    const helpTitle = (text: string) => text.split('\n').find((l) => l.startsWith('── Help')) ?? '';
    let page = help;
    for (let i = 0; i < 15 && !/Stop the run \(asks to confirm\)/.test(page); i++) {
      const before = helpTitle(page);
      expect(before, 'the help ended before "Stop the run"').toMatch(/↓ \d+ more/);
      tmux('send-keys', '-t', session, 'NPage');
      page = await waitFor(() => {
        const now = screen(session);
        const title = helpTitle(now);
        return title !== '' && title !== before && /close help/.test(keyLine(now)) ? now : undefined;
      }, 'the help to scroll a page', 30_000, 50);
    }
    expect(page).toMatch(/Stop the run \(asks to confirm\)/);
    tmux('send-keys', '-t', session, 'Escape');
    await waitForScreen(session, /── Agents/);

    // Enter on the selected agent: its detail; Esc goes back.
    tmux('send-keys', '-t', session, 'Down');
    await waitForScreen(session, /selected agent-1/);
    tmux('send-keys', '-t', session, 'Enter');
    const detail = await waitForScreen(session, /── Agent agent-1[\s\S]*Output/);
    for (const expected of ['role', 'model', 'status', 'task', 'can do', 'tokens', 'tool calls', 'Errors', 'Output']) expect(detail).toContain(expected);
    await waitForScreen(session, /Output[^\n]*\n  \[sim\] /);
    tmux('send-keys', '-t', session, 'Escape');
    await waitForScreen(session, /── Agents/);

    // z compresses agent-1: the log says so, and so do the alerts (Tab puts them in the log's place).
    tmux('send-keys', '-t', session, 'z');
    await waitForScreen(session, /\[agent-1\] context compressed from [\d,]+ to [\d,]+ tokens/);
    tmux('send-keys', '-t', session, 'Tab');
    await waitForScreen(session, /── Alerts[\s\S]*agent-1: context compressed \d+ → \d+ tokens/);
    tmux('send-keys', '-t', session, 'Tab');
    await waitForScreen(session, /── Log/);

    // Esc deselects.
    tmux('send-keys', '-t', session, 'Escape');
    await waitForScreen(session, /none selected/);

    // q: the shell is back while the run goes on: it did not wait for the run's end (30 minutes
    // away; the orchestrator is still running below). How soon is printed, not bounded: within a
    // second on a quiet machine, and a loaded one may take longer without anything being wrong.
    const sent = Date.now();
    tmux('send-keys', '-t', session, 'q');
    const back = await waitForScreen(session, /SHELL-BACK (\d+)/);
    const backAt = Number(/SHELL-BACK (\d+)/.exec(back)![1]);
    console.log(`q: the shell was back ${backAt - sent} ms after the key was sent`);
    expect(back).toMatch(/The run goes on/);
    // Ctrl-C used to stop the original runner: how to stop this one is said beside it.
    expect(back.replace(/\n/g, '')).toContain(`Stop it: megatest stop ${runDir}`);
    const control = readControlFile(runDir);
    expect(control && isPidAlive(control.pid)).toBe(true);
    expect(readStatusWord(runDir)).toBe('running');

    // Once the run has ended (stopped from the shell, not left to run out its 30 minutes), its console
    // shows how it ended and never the resume hint.
    const stopped = await runCli(['stop', runDir]);
    expect(stopped.code, stopped.stderr).toBe(0);
    await waitFor(() => readStatusWord(runDir) === 'interrupted' || undefined, 'the run to end', 180_000, 200);
    await waitFor(() => existsSync(path.join(runDir, 'final_report.md')) || undefined, 'the report', 60_000);
    await waitFor(() => !isPidAlive(control!.pid) || undefined, 'the orchestrator to exit', 60_000, 200);
    tmux('kill-session', '-t', session);
    const attach = 'edges-ended';
    tmux('new-session', '-d', '-s', attach, '-x', '80', '-y', '24', `cd ${PACKAGE_ROOT} && ${ENV} node ${BIN} attach ${runDir}; echo SHELL-BACK; sleep 600`);
    // What a person sees first. (That the hint never comes later either, once the console has
    // looked at the orchestrator, is proven frame by frame in test/ui/runConsole.test.tsx: a
    // pane capture cannot tell when that look has happened.)
    const ended = await waitForScreen(attach, /session interrupted/);
    expect(ended).toMatch(/interrupted \(exit 130\)/);
    expect(ended).not.toContain('megatest resume');
    tmux('send-keys', '-t', attach, 'q');
    await waitForScreen(attach, /SHELL-BACK/);
    tmux('kill-session', '-t', attach);
  }, 300_000);

  it('a run whose orchestrator was killed shows the whole resume command, on a row of its own', async () => {
    // A folder name that makes "orchestrator not running — megatest resume DIR" too long for 80
    // columns, while "megatest resume DIR" alone fits.
    const sessionId = 'killed-run-with-a-longish-name'.slice(0, Math.max(8, 80 - 'megatest resume '.length - runsDir.length - 2));
    const runDir = path.join(runsDir, sessionId);
    expect(`orchestrator not running — megatest resume ${runDir}`.length).toBeGreaterThan(80);
    // 30 minutes: it is killed once it has made a tool call, however late that comes.
    const run = runHeadless(['run', 'task_queue', '--duration', '30m', '--agents', '2', '--headless', '--config', FAST, '--runs-dir', runsDir, '--session-id', sessionId, '--port', '18770'], { timeoutMs: 180_000 });
    await waitForEventWhileRunning(run, runDir, 'tool_call');
    run.child.kill('SIGKILL');
    await run.done;
    for (const pid of agentPidsOf(runDir)) process.kill(pid, 'SIGKILL');
    const session = 'killed';
    tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', `cd ${PACKAGE_ROOT} && ${ENV} node ${BIN} attach ${runDir}; echo SHELL-BACK; sleep 600`);
    const text = await waitForScreen(session, /megatest resume[\s\S]*\? help/);
    const lines = text.split('\n');
    expect(lines).toContain(`megatest resume ${runDir}`);
    expect(lines).toContain('orchestrator not running — carry the run on with:');
    expect(lines[1]).toMatch(/orchestrator not running$/);
    // q: the shell is back, told how to carry the run on (not that it goes on: nothing runs it).
    tmux('send-keys', '-t', session, 'q');
    const back = await waitForScreen(session, /SHELL-BACK/);
    expect(back.replace(/\n/g, '')).toContain(`orchestrator not running — megatest resume ${runDir}SHELL-BACK`);
    expect(back).not.toMatch(/The run goes on/);
    tmux('kill-session', '-t', session);
  }, 240_000);

  it('a timed-out run’s phase bar shows where it stopped', async () => {
    // Phase-end tests that sleep past the 10 s duration: the run ends timed out in its first phase.
    const config = path.join(runsDir, 'slow-gate.toml');
    writeFileSync(
      config,
      [
        '[projects.task_queue]',
        'build_command = "node scripts/build.mjs"',
        'test_command = "sleep 60"',
        'coverage_command = "sleep 60"',
        'test_format = "node-tap"',
        'test_report = ""',
        'coverage_report = "coverage/lcov.info"',
        'coverage_format = "lcov"',
        '[monitoring]',
        'health_check_interval = 600',
        '',
      ].join('\n'),
    );
    const result = await runHeadless(
      ['run', 'task_queue', '--duration', '10s', '--agents', '2', '--headless', '--config', config, '--agent', 'command', '--agent-cmd', `${JSON.stringify(process.execPath)} ${JSON.stringify(SIM_AGENT)}`, '--runs-dir', runsDir, '--session-id', 'stopped', '--port', '18760'],
      { timeoutMs: 120_000 },
    ).done;
    expect(result.code, result.stderr).toBe(124);
    const session = 'stopped';
    tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', `cd ${PACKAGE_ROOT} && ${ENV} node ${BIN} attach ${path.join(runsDir, 'stopped')}; sleep 600`);
    const text = await waitForScreen(session, /session timeout/);
    const [labels, bar] = text.split('\n').slice(2, 4);
    expect(labels).toMatch(/■ bootstrap/);
    expect(bar).toContain('■');
    expect(text).not.toContain('megatest resume');
    tmux('kill-session', '-t', session);
  }, 180_000);

  it('attach to a run folder of the original Bash runner: one line pointing to replay, exit 2, no stack trace', async () => {
    // Its metrics_current.json is the runner's own shape: the console once crashed on it.
    const legacy = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'legacy', 'bash-complete');
    const session = 'legacy';
    tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', `cd ${PACKAGE_ROOT} && ${ENV} node ${BIN} attach ${legacy}; echo EXIT-$?; sleep 600`);
    const text = await waitForScreen(session, /EXIT-\d+/);
    expect(text).toMatch(/EXIT-2/);
    // The line as printed: the pane's rows joined where the terminal wrapped them (-J), the space a
    // wrap fell on kept (a plain capture drops it, and the test failed or passed by the clone's path length).
    const printed = tmux('capture-pane', '-p', '-J', '-t', session).split('\n').map((line) => line.trimEnd());
    expect(printed).toContain(`megatest attach: ${legacy} is a run folder of run_mega_test.sh, not a megatest session to follow; megatest replay ${legacy} shows it`);
    expect(text).not.toMatch(/TypeError|at .*\.js:\d+/);
    tmux('kill-session', '-t', session);
  }, 60_000);
});
