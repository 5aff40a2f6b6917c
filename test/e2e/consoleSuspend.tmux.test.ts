// Ctrl-Z in the console, as a person meets it in tmux: raw mode hands the
// key to the console, which gives the screen back and stops its job, so the
// shell says "Stopped" and prompts while the run goes on; `fg` brings the
// whole console back, keys and all. At 80x24 from an interactive bash (job
// control), and at 120x40 as a tmux pane's own command, where no shell could
// ever continue it: the console says so and stays. Waits key on what the
// pane shows and on the run's files, never on sleeps.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { isPidAlive, readControlFile } from '../../src/io/sessions.js';
import { agentPidsOf, BUILT, killRunsIn, readEvents, readStatusWord, runCli, waitFor, waitForEvent } from '../helpers/cli.js';
import { processState } from '../../src/io/processAlive.js';
import { HAS_TMUX, TmuxServer } from '../helpers/tmux.js';

const HAS_BASH = spawnSync('bash', ['--version']).status === 0;
const BIN = path.join(PACKAGE_ROOT, 'bin', 'megatest.js');
const FAST = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'e2e', 'fast.toml');
const ENV = 'env -u CI LANG=C.UTF-8 TERM=xterm-256color';
const PROMPT = 'SUSPEND-PROMPT$ ';

const server = new TmuxServer('suspend');
const tmux = (...args: string[]): string => server.run(...args);
const waitForScreen = (session: string, pattern: RegExp, timeoutMs = 60_000): Promise<string> => server.waitForScreen(session, pattern, timeoutMs, 50);

interface ProcessState {
  pid: number;
  state: string;
  parent: number;
  group: number;
}

/** Every process, with its state letter (T: stopped), parent and process group, from /proc. */
function processes(): ProcessState[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => {
      try {
        // After the command's closing parenthesis: state, parent's pid, process group.
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        const [state, parent, group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return [{ pid: Number(name), state: state!, parent: Number(parent), group: Number(group) }];
      } catch {
        return [];
      }
    });
}

/** The processes of the shell's job (the process group of its child), and what else runs under it. */
function jobOf(shellPid: number): { job: ProcessState[]; others: ProcessState[] } {
  const all = processes();
  const group = all.find((p) => p.parent === shellPid)?.group;
  const under: ProcessState[] = [];
  const visit = (parent: number) => {
    for (const child of all.filter((p) => p.parent === parent)) {
      under.push(child);
      visit(child.pid);
    }
  };
  visit(shellPid);
  return { job: under.filter((p) => p.group === group), others: under.filter((p) => p.group !== group) };
}

const DASHBOARD = /── Agents[\s\S]*\? help/;
/** The dashboard with the session's agents on it. */
const AGENTS_SHOWN = /running[\s\S]*── Agents 2[\s\S]*agent-1[\s\S]*agent-2[\s\S]*\? help/;

describe.skipIf(!HAS_TMUX || !HAS_BASH || !BUILT)(
  `Ctrl-Z in the console, in tmux${HAS_TMUX && HAS_BASH && BUILT ? '' : ' (skipped: needs tmux, bash and a built dist/)'}`,
  () => {
    beforeAll(() => {
      server.start();
    });
    const runsDir = mkdtempSync(path.join(tmpdir(), 'megatest-suspend-'));
    afterAll(() => {
      server.kill();
      killRunsIn(runsDir);
      rmSync(runsDir, { recursive: true, force: true });
    });

    it('at 80x24 from bash: Ctrl-Z stops the console and gives the prompt back while the run goes on; fg brings the console back whole, at the size the pane took meanwhile', async () => {
      const runDir = path.join(runsDir, 'suspend');
      const session = 'suspend';
      tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', `${ENV} PS1='${PROMPT}' bash --norc --noprofile -i`);
      await waitForScreen(session, /SUSPEND-PROMPT\$/);
      const shellPid = Number(tmux('display-message', '-p', '-t', session, '#{pane_pid}').trim());
      tmux('send-keys', '-t', session, `cd ${PACKAGE_ROOT}`, 'Enter');
      // 30 minutes: every step below happens while the run goes on, however slowly a loaded machine draws; the test stops it.
      tmux('send-keys', '-t', session, `node ${BIN} run task_queue --duration 30m --agents 2 --runs-dir ${runsDir} --session-id suspend --config ${FAST} --port 18640`, 'Enter');
      await waitForScreen(session, AGENTS_SHOWN);
      await waitFor(() => existsSync(path.join(runDir, 'control.json')) || undefined, 'control.json');
      const orchestrator = readControlFile(runDir)!.pid;

      tmux('send-keys', '-t', session, 'C-z');
      const stopped = await waitForScreen(session, /Stopped[\s\S]*\nSUSPEND-PROMPT\$\s*$/);
      // The shell's own screen, not the console's: the alternate screen was left.
      expect(stopped).not.toMatch(/── Agents/);
      // Every process of the job is stopped (the console and its re-exec parent); the orchestrator
      // it started (its own session) and the agents are not.
      const { job, others } = jobOf(shellPid);
      expect(job.length, JSON.stringify(job)).toBeGreaterThanOrEqual(1);
      expect(job.every((p) => p.state === 'T'), JSON.stringify(job)).toBe(true);
      expect(others.map((p) => p.pid)).toContain(orchestrator);
      expect(others.filter((p) => p.state === 'T'), JSON.stringify(others)).toEqual([]);
      // The run goes on meanwhile: its orchestrator writes events while the console is stopped.
      const seen = readEvents(runDir).length;
      await waitFor(() => readEvents(runDir).length > seen + 5 || undefined, 'the run to go on while the console is stopped', 60_000, 200);
      expect(jobOf(shellPid).job.every((p) => p.state === 'T')).toBe(true);

      // The pane grows while the console is stopped: the terminal's SIGWINCH went to the shell, not to it.
      tmux('resize-window', '-t', session, '-x', '100', '-y', '30');
      tmux('send-keys', '-t', session, 'fg', 'Enter');
      const back = await waitForScreen(session, AGENTS_SHOWN);
      expect(back).not.toMatch(/Stopped|SUSPEND-PROMPT/);
      // A whole frame from the top: the header, down to the key line.
      const rows = back.trimEnd().split('\n');
      expect(rows[0]).toMatch(/^megatest +SIMULATED +running +suspend/);
      expect(rows.at(-1)).toMatch(/\? help +q detach +Q stop$/);
      // Drawn at the pane's new size: the phase bar (under the header's two rows and the phase names) spans its
      // 100 columns, the frame its 30 rows (the last kept free).
      expect(rows[3]).toMatch(/^[█░▌▼│■]+$/);
      expect(rows[3]).toHaveLength(100);
      expect(rows).toHaveLength(29);
      // Keys work again: the help opens and closes.
      tmux('send-keys', '-t', session, '?');
      await waitForScreen(session, /── Help[\s\S]*close help/);
      tmux('send-keys', '-t', session, 'Escape');
      await waitForScreen(session, DASHBOARD);
      tmux('send-keys', '-t', session, 'q');
      await waitForScreen(session, /The run goes on[\s\S]*\nSUSPEND-PROMPT\$\s*$/);
      expect(isPidAlive(orchestrator)).toBe(true);
      expect(readStatusWord(runDir)).toBe('running');
      tmux('kill-session', '-t', session);

      // At 120x40, as a tmux pane's own command: no shell with job control would ever continue a
      // stopped console, and the kernel does not stop it. It says so, and goes on.
      const pane = 'no-job-control';
      tmux('new-session', '-d', '-s', pane, '-x', '120', '-y', '40', `cd ${PACKAGE_ROOT} && ${ENV} node ${BIN} attach ${runDir}; echo SHELL-BACK; sleep 600`);
      await waitForScreen(pane, AGENTS_SHOWN);
      tmux('send-keys', '-t', pane, 'C-z');
      const told = await waitForScreen(pane, /no shell with job control started this console[\s\S]*\? help/);
      const shown = told.trimEnd().split('\n');
      expect(shown[0]).toMatch(/^megatest +SIMULATED +running +suspend/);
      expect(shown.at(-1)).toMatch(/\? help +q detach +Q stop$/);
      expect(told).toMatch(/── Agents/);
      tmux('send-keys', '-t', pane, 'q');
      await waitForScreen(pane, /SHELL-BACK/);
      tmux('kill-session', '-t', pane);

      const stop = await runCli(['stop', runDir]);
      expect(stop.code, stop.stderr).toBe(0);
    }, 300_000);
    it('a headless run in the foreground: Ctrl-Z stops its agents with it (their own process groups), status, commands and an attached console say so at once, fg continues them all', async () => {
      const runDir = path.join(runsDir, 'headless');
      const session = 'headless';
      tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '40', `${ENV} PS1='${PROMPT}' bash --norc --noprofile -i`);
      await waitForScreen(session, /SUSPEND-PROMPT\$/);
      tmux('send-keys', '-t', session, `cd ${PACKAGE_ROOT}`, 'Enter');
      tmux('send-keys', '-t', session, `node ${BIN} run task_queue --headless --duration 30m --agents 2 --runs-dir ${runsDir} --session-id headless --config ${FAST} --port 18641`, 'Enter');
      await waitForEvent(runDir, 'tool_call');
      const orchestrator = readControlFile(runDir)!.pid;
      const agents = agentPidsOf(runDir);
      expect(agents).toHaveLength(2);

      tmux('send-keys', '-t', session, 'C-z');
      await waitForScreen(session, /Stopped[\s\S]*\nSUSPEND-PROMPT\$\s*$/);
      // Every agent is stopped with the orchestrator, though the terminal's stop reached only the orchestrator's job.
      for (const pid of [orchestrator, ...agents]) await waitFor(() => processState(pid) === 'T' || undefined, `process ${pid} stopped`, 60_000, 50);
      const seen = readEvents(runDir).length;
      // Asked meanwhile from another shell: a stopped orchestrator answers nothing, and that is said at once
      // (status from the files; a command refused), not after waiting out a timeout.
      const stoppedSays = `the orchestrator (pid ${orchestrator}) is stopped (Ctrl-Z or SIGSTOP) and cannot answer; \`fg\` in its terminal, or kill -CONT ${orchestrator}, continues it`;
      const status = await runCli(['status', runDir]);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stderr).toContain(stoppedSays);
      expect(status.stdout).toMatch(new RegExp(`status +running +\\(orchestrator pid ${orchestrator} stopped: Ctrl-Z or SIGSTOP; read from the files\\)`));
      const pause = await runCli(['pause', runDir]);
      expect(pause.code).toBe(1);
      expect(pause.stderr).toContain(`megatest pause: ${stoppedSays}`);
      // A console attached meanwhile says it in its header and message line, and offers no run control.
      const watcher = 'watcher';
      tmux('new-session', '-d', '-s', watcher, '-x', '120', '-y', '40', `cd ${PACKAGE_ROOT} && ${ENV} node ${BIN} attach ${runDir}; echo SHELL-BACK; sleep 600`);
      const watched = await waitForScreen(watcher, /orchestrator stopped \(Ctrl-Z or SIGSTOP\): it answers no key until `fg` in its terminal[\s\S]*\? help/);
      expect(watched.split('\n')[1]).toMatch(/orchestrator stopped$/);
      expect(watched.trimEnd().split('\n').at(-1)).not.toMatch(/checkpoint|pause|stop/);
      tmux('send-keys', '-t', watcher, 'q');
      await waitForScreen(watcher, /SHELL-BACK/);
      tmux('kill-session', '-t', watcher);

      tmux('send-keys', '-t', session, 'fg', 'Enter');
      for (const pid of [orchestrator, ...agents]) await waitFor(() => processState(pid) !== 'T' || undefined, `process ${pid} continued`, 60_000, 50);
      await waitFor(() => readEvents(runDir).length > seen + 5 || undefined, 'the run to go on after fg', 60_000, 200);
      await waitFor(
        () => /stopped by SIGTSTP \(Ctrl-Z\) for \d+ s, 2 agent process groups with it, continued now/.test(readFileSync(path.join(runDir, 'session.log'), 'utf8')) || undefined,
        'the stop in session.log',
        60_000,
        200,
      );
      expect(readStatusWord(runDir)).toBe('running');

      const stop = await runCli(['stop', runDir]);
      expect(stop.code, stop.stderr).toBe(0);
      await waitForScreen(session, /report: [\s\S]*\nSUSPEND-PROMPT\$\s*$/, 180_000);
      expect(readStatusWord(runDir)).toBe('interrupted');
      tmux('kill-session', '-t', session);
    }, 300_000);
  },
);
