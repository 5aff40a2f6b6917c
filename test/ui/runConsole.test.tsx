// runConsole against a real run folder on disk: the tail, the batching
// store, Ink and the keys, wired as the CLI wires them.

import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { writeFileAtomicSync } from '../../src/io/atomic.js';
import { LogIndexUpkeep } from '../../src/io/logIndexUpkeep.js';
import { foldAll } from '../../src/state/fold.js';
import { startConsole } from '../../src/ui/runConsole.js';
import { CONSOLE_PORTS } from '../../src/cli/consolePorts.js';
// Not liveConsole.js: Ink must be loaded through runConsole.js (consoleImport.ts), or under CI it draws no frame.
import { CLEAR_SCREEN, ENTER_ALTERNATE_SCREEN, LEAVE_ALTERNATE_SCREEN, NOT_STOPPED } from '../../src/ui/terminalScreen.js';
import { fakeActions, fakeTerminal, fixtureEvents, fixtureLogLines, plain } from './helpers.js';

// A deadline for a stuck test, not an expectation: a loaded machine draws and reads 5-10x slower.
const WAIT = { timeout: 30_000, interval: 20 };
const ENV = { LANG: 'C.UTF-8', TERM: 'xterm-256color' };
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function runFolder(eventCount: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'megatest-console-'));
  dirs.push(dir);
  const events = fixtureEvents();
  writeFileSync(path.join(dir, 'events.jsonl'), events.slice(0, eventCount).map((e) => JSON.stringify(e) + '\n').join(''));
  writeFileSync(path.join(dir, 'session.log'), fixtureLogLines().slice(0, 50).join('\n') + '\n');
  writeFileSync(path.join(dir, 'status'), 'running\n');
  return dir;
}

describe('runConsole on a real run folder', () => {
  it('follows the folder live, sends keys to the actions, and ends with the run', async () => {
    const dir = runFolder(120);
    const { stdout, stdin } = fakeTerminal(100, 30);
    const actions = fakeActions();
    const started = startConsole({
      runDir: dir,
      actions,
      isOrchestratorAlive: () => true,
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
      env: ENV,
      ports: CONSOLE_PORTS,
    });
    const run = () => started.store.getState().run;
    await vi.waitFor(() => {
      expect(run().agents.map((a) => a.name)).toEqual(['agent-1', 'agent-2', 'agent-3', 'agent-4']);
      expect(run().log.length).toBe(50);
      expect(run().status).toBe('running');
    }, WAIT);
    expect(run().orchestrator).toBe('alive');

    stdin.write('c');
    await vi.waitFor(() => expect(actions.calls).toEqual(['checkpoint']), WAIT);
    await vi.waitFor(() => expect(started.store.getState().ui.toast?.message).toBe('checkpoint done'), WAIT);

    const rest = fixtureEvents().slice(120);
    appendFileSync(path.join(dir, 'events.jsonl'), rest.map((e) => JSON.stringify(e) + '\n').join(''));
    appendFileSync(path.join(dir, 'session.log'), fixtureLogLines().slice(50).join('\n') + '\n');
    writeFileAtomicSync(path.join(dir, 'status'), 'completed\n');
    await vi.waitFor(() => {
      expect(run().ended?.status).toBe('completed');
      expect(run().log.length).toBe(fixtureLogLines().length);
    }, WAIT);

    stdin.write('q');
    await expect(started.outcome).resolves.toBe('ended');
    const screen = plain(stdout.frames.join(''));
    expect(screen).toContain('SIMULATED');
    expect(screen).toContain('agent-4');
  });

  it('Ctrl-Z gives the screen back and stops the job; once continued it draws a whole frame again, keys and all; Ctrl-L draws one on a cleared screen', async () => {
    const dir = runFolder(120);
    const { stdout, stdin } = fakeTerminal(100, 30);
    stdout.isTTY = true;
    const actions = fakeActions();
    const stops: number[] = [];
    let stopped = true;
    const started = startConsole({
      runDir: dir,
      actions,
      isOrchestratorAlive: () => true,
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
      env: ENV,
      // The job's stop, as the shell's fg ends it: the frames written up to here are what the console left on screen.
      ports: {
        ...CONSOLE_PORTS,
        stopJob: async () => {
          stops.push(stdout.frames.length);
          return stopped;
        },
      },
    });
    await vi.waitFor(() => expect(plain(stdout.frames.join(''))).toContain('agent-4'), WAIT);
    stdin.write('\u001A');
    await vi.waitFor(() => expect(stops).toHaveLength(1), WAIT);
    // Ink left (its cursor shown again), then the alternate screen was left, before the stop.
    const beforeStop = stdout.frames.slice(0, stops[0]);
    expect(beforeStop.at(-1)).toBe(LEAVE_ALTERNATE_SCREEN);
    expect(beforeStop.join('')).toContain('\u001B[?25h');
    // After it: the alternate screen again, and a whole frame drawn on it, though nothing changed.
    await vi.waitFor(() => {
      const after = stdout.frames.slice(stops[0]);
      expect(after[0]).toBe(ENTER_ALTERNATE_SCREEN);
      const screen = plain(after.join(''));
      for (const text of ['Agents', 'agent-1', 'agent-4', '? help']) expect(screen).toContain(text);
    }, WAIT);
    // Keys work on the new drawing.
    stdin.write('c');
    await vi.waitFor(() => expect(actions.calls).toEqual(['checkpoint']), WAIT);

    // Ctrl-L: the screen cleared and a whole frame drawn on it, though nothing changed.
    const beforeRedraw = stdout.frames.length;
    stdin.write('\u000C');
    await vi.waitFor(() => {
      const after = stdout.frames.slice(beforeRedraw);
      const cleared = after.indexOf(CLEAR_SCREEN);
      expect(cleared).toBeGreaterThan(-1);
      const screen = plain(after.slice(cleared).join(''));
      for (const text of ['Agents', 'agent-1', 'agent-4', '? help']) expect(screen).toContain(text);
    }, WAIT);
    expect(stops).toHaveLength(1);

    // No shell with job control to stop it: the console says so, and goes on.
    stopped = false;
    stdin.write('\u001A');
    await vi.waitFor(() => expect(stops).toHaveLength(2), WAIT);
    await vi.waitFor(() => expect(plain(stdout.frames.slice(stops[1]).join(''))).toContain('Ctrl-Z: no shell with job control'), WAIT);
    expect(started.store.getState().ui.toast?.message).toBe(NOT_STOPPED);

    stdin.write('q');
    await expect(started.outcome).resolves.toBe('detached');
    expect(stdout.frames.at(-1)).toBe(LEAVE_ALTERNATE_SCREEN);
  });

  it('says the orchestrator is not running, with the resume command, and q detaches', async () => {
    const dir = runFolder(60);
    const { stdout, stdin } = fakeTerminal(80, 24);
    const started = startConsole({
      runDir: dir,
      actions: fakeActions(),
      isOrchestratorAlive: () => false,
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
      env: { ...ENV, NO_COLOR: '1' },
      ports: CONSOLE_PORTS,
    });
    await vi.waitFor(() => expect(started.store.getState().run.orchestrator).toBe('dead'), WAIT);
    const said = `megatest resume ${dir}`;
    await vi.waitFor(() => {
      // At 80 columns the command gets a row of its own (a long temp dir's path wraps onto the next): never cut.
      const frame = plain(stdout.frames.at(-1));
      const lines = frame.split('\n');
      const at = lines.findIndex((text) => text.includes('megatest resume'));
      expect(at, frame).toBeGreaterThan(-1);
      // The message rows end at the key line, which offers no run control: nothing would answer it.
      const keyLine = lines.map((text) => text.trim() !== '').lastIndexOf(true);
      expect(lines[keyLine], frame).toMatch(/\? help {2}q detach$/);
      expect(lines[keyLine], frame).not.toMatch(/checkpoint|restore|pause|stop/);
      const command = lines.slice(at, keyLine).join('\n').replace(/^.*megatest resume[\n ]/, 'megatest resume ').replaceAll('\n', '');
      expect(command, frame).toBe(said);
    }, WAIT);
    stdin.write('q');
    await expect(started.outcome).resolves.toBe('detached');
  });

  it('a finished run whose orchestrator is gone never says to resume it, not even while it loads', async () => {
    const dir = runFolder(Infinity);
    writeFileSync(path.join(dir, 'status'), 'completed\n');
    const { stdout, stdin } = fakeTerminal(80, 24);
    const started = startConsole({
      runDir: dir,
      actions: fakeActions(),
      isOrchestratorAlive: () => false,
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
      env: { ...ENV, NO_COLOR: '1' },
      ports: CONSOLE_PORTS,
    });
    // The orchestrator is told dead only once the log is read to its end: never beside a run not yet seen ended.
    const deadBeforeTheEnd: string[] = [];
    started.store.subscribe(({ run }) => {
      if (run.orchestrator === 'dead' && run.ended === null) deadBeforeTheEnd.push(`${run.status ?? 'no status'} after ${run.eventsApplied} events`);
    });
    await vi.waitFor(() => expect(started.store.getState().run.ended?.status).toBe('completed'), WAIT);
    await vi.waitFor(() => expect(started.store.getState().run.orchestrator).toBe('dead'), WAIT);
    expect(deadBeforeTheEnd).toEqual([]);
    await vi.waitFor(() => expect(plain(stdout.frames.at(-1))).toContain('session completed'), WAIT);
    expect(plain(stdout.frames.join(''))).not.toContain('megatest resume');
    stdin.write('q');
    await expect(started.outcome).resolves.toBe('ended');
  });

  it('attaches to an indexed run from its folded snapshot: the whole fold shows, the indexed lines are not read again', async () => {
    const dir = runFolder(0);
    const lines = fixtureEvents().map((e) => JSON.stringify(e));
    // A line that is not an event, inside the indexed part: read again, it would be reported.
    const first = [...lines.slice(0, 100), 'not an event', ...lines.slice(100, 300)];
    writeFileSync(path.join(dir, 'events.jsonl'), first.map((l) => l + '\n').join(''));
    const upkeep = await LogIndexUpkeep.open({ root: dir, events: path.join(dir, 'events.jsonl'), sessionLog: path.join(dir, 'session.log') }, () => undefined);
    await upkeep.close();
    appendFileSync(path.join(dir, 'events.jsonl'), lines.slice(300).map((l) => l + '\n').join(''));
    const expected = foldAll(fixtureEvents()); // the session ended: the status file's word does not change it
    const { stdout, stdin } = fakeTerminal(120, 40);
    const started = startConsole({
      runDir: dir,
      actions: fakeActions(),
      isOrchestratorAlive: () => true,
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
      env: ENV,
      ports: CONSOLE_PORTS,
    });
    const toasts: string[] = [];
    started.store.subscribe((s) => s.ui.toast && toasts.push(s.ui.toast.message));
    await vi.waitFor(() => {
      const { log, nextLogId, orchestrator, ...run } = started.store.getState().run;
      expect(run).toEqual(expected);
      expect(log.length).toBe(50);
    }, WAIT);
    await vi.waitFor(() => {
      const screen = plain(stdout.frames.at(-1));
      for (const agent of expected.agents) expect(screen).toContain(agent.name);
    }, WAIT);
    expect(toasts.filter((t) => /not an event/.test(t))).toEqual([]);
    // The first frame drawn is already the folded snapshot's: the session and every agent's row, no empty screen first.
    const firstFrame = plain(stdout.frames.find((f) => plain(f).includes('Agents')));
    expect(firstFrame).toContain(expected.session!.sessionId);
    for (const agent of expected.agents) expect(firstFrame).toContain(agent.name);
    stdin.write('q');
    await expect(started.outcome).resolves.toBe('ended');
  });
});
