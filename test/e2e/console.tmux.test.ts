// The console as a person uses it: `megatest run` inside tmux, keys sent with
// send-keys, the screen read with capture-pane. Condition waits only.

import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { isPidAlive, readControlFile } from '../../src/io/sessions.js';
import { killRunsIn, readStatusWord, waitFor as waitUntil } from '../helpers/cli.js';
import { HAS_TMUX, TmuxServer } from '../helpers/tmux.js';

const BIN = path.join(PACKAGE_ROOT, 'bin', 'megatest.js');
const FAST = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'e2e', 'fast.toml');

const server = new TmuxServer('e2e');
const tmux = (...args: string[]): string => server.run(...args);
const screen = (session: string): string => server.screen(session);
const waitForScreen = (session: string, pattern: RegExp, timeoutMs = 30_000): Promise<string> => server.waitForScreen(session, pattern, timeoutMs, 100);

function waitFor<T>(what: string, probe: () => T | null | undefined | false, timeoutMs = 30_000): Promise<T> {
  return waitUntil(() => probe() ?? undefined, what, timeoutMs);
}

/** Waits for a status word, showing the screen if it does not come. */
async function waitForStatus(session: string, runDir: string, word: string, timeoutMs = 30_000): Promise<void> {
  try {
    await waitFor(`status ${word}`, () => readStatusWord(runDir) === word, timeoutMs);
  } catch (error) {
    let shown = '';
    try {
      shown = screen(session);
    } catch {
      shown = '(no screen)';
    }
    throw new Error(`${(error as Error).message} (status is ${readStatusWord(runDir)})\n--- screen ---\n${shown}`);
  }
}

function checkpointFiles(runDir: string): string[] {
  return readdirSync(path.join(runDir, 'checkpoints')).filter((f) => /^checkpoint_\d+\.json$/.test(f)).sort();
}

/** project/ equals the checkpoint's manifest: the same files with the same bytes. */
async function projectMatches(runDir: string, checkpointId: string): Promise<boolean> {
  // read through the store: the manifest is kept as folder listings in objects/
  const { body } = await new CheckpointStore(path.join(runDir, 'checkpoints')).read(checkpointId);
  const expected = body.file_system_state.entries.filter((e) => e.type === 'file');
  const project = path.join(runDir, 'project');
  const actual: string[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === '.git' || entry.name === 'node_modules') continue;
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path.join(dir, entry.name), rel);
      else if (entry.isFile()) actual.push(rel);
    }
  };
  walk(project, '');
  if (actual.sort().join('\n') !== expected.map((e) => e.path).sort().join('\n')) return false;
  return expected.every((e) => createHash('sha256').update(readFileSync(path.join(project, e.path))).digest('hex') === e.sha256);
}

const HEADER_PAUSED = /^megatest.*\bpaused\b/m;

const VARIANTS = [
  { name: '80x24', width: 80, height: 24, env: 'LANG=C.UTF-8' },
  { name: '120x40', width: 120, height: 40, env: 'LANG=C.UTF-8' },
  { name: '80x24 NO_COLOR=1 LANG=C', width: 80, height: 24, env: 'NO_COLOR=1 LANG=C LC_ALL=C' },
];

describe.skipIf(!HAS_TMUX)('console end to end in tmux (skipped: tmux is not installed)', () => {
  beforeAll(() => {
    server.start();
  });
  const runsDir = mkdtempSync(path.join(tmpdir(), 'megatest-tmux-'));
  afterAll(() => {
    server.kill();
    killRunsIn(runsDir);
    rmSync(runsDir, { recursive: true, force: true });
  });

  for (const [index, variant] of VARIANTS.entries()) {
    it(`runs, checkpoints, pauses, restores, detaches, attaches and stops at ${variant.name}`, async () => {
      const sessionId = `tmux-${index}`;
      const runDir = path.join(runsDir, sessionId);
      const session = `console-${index}`;
      const command = `cd ${PACKAGE_ROOT} && env -u CI ${variant.env} TERM=xterm-256color node ${BIN} run task_queue --duration 30m --agents 4 --runs-dir ${runsDir} --session-id ${sessionId} --config ${FAST} --port ${18300 + index * 10}; sleep 600`;
      tmux('new-session', '-d', '-s', session, '-x', String(variant.width), '-y', String(variant.height), command);

      // The phase bar is up, with the simulation labelled.
      const first = await waitForScreen(session, /bootstrap/);
      expect(first).toMatch(/SIMULATED/);
      await waitFor('control.json', () => existsSync(path.join(runDir, 'control.json')));
      if (variant.env.includes('LANG=C ')) expect(first).toMatch(/^[\x20-\x7e\n]*$/);

      // c: a new checkpoint file, and the console says so.
      const before = checkpointFiles(runDir).length;
      tmux('send-keys', '-t', session, 'c');
      await waitFor('a new checkpoint file', () => checkpointFiles(runDir).length > before);
      await waitForScreen(session, /checkpoint checkpoint_\d+ created/);

      // p: paused, then running again.
      tmux('send-keys', '-t', session, 'p');
      await waitForStatus(session, runDir, 'paused');
      await waitForScreen(session, HEADER_PAUSED);

      // r while paused (no agent writes meanwhile): restore the oldest checkpoint.
      tmux('send-keys', '-t', session, 'r');
      await waitForScreen(session, /Restore a checkpoint/);
      for (let i = 0; i < 20; i++) tmux('send-keys', '-t', session, 'Down');
      await waitForScreen(session, /▶ checkpoint_001|> checkpoint_001/);
      tmux('send-keys', '-t', session, 'Enter');
      await waitForScreen(session, /Restore checkpoint_001/);
      tmux('send-keys', '-t', session, 'y');
      await waitForScreen(session, /restored checkpoint_001/);
      await waitFor('status back to paused after the restore', () => readStatusWord(runDir) === 'paused');
      expect(await projectMatches(runDir, 'checkpoint_001')).toBe(true);
      // p toggles on what the console shows: wait until it shows paused again.
      await waitForScreen(session, HEADER_PAUSED);
      tmux('send-keys', '-t', session, 'p');
      await waitForStatus(session, runDir, 'running');

      // q: the console goes, the orchestrator stays. Sent with an Enter after it, as a shell habit: tmux
      // writes the two at once, so the console reads them in one go (they matched no key before ed41911).
      tmux('send-keys', '-t', session, 'q', 'Enter');
      await waitForScreen(session, /megatest attach/);
      const control = readControlFile(runDir);
      expect(control && isPidAlive(control.pid)).toBe(true);

      // megatest attach: the console is back.
      tmux('kill-session', '-t', session);
      const attach = `${session}-attach`;
      tmux('new-session', '-d', '-s', attach, '-x', String(variant.width), '-y', String(variant.height), `cd ${PACKAGE_ROOT} && env -u CI ${variant.env} TERM=xterm-256color node ${BIN} attach --runs-dir ${runsDir}; sleep 600`);
      await waitForScreen(attach, new RegExp(sessionId));
      await waitForScreen(attach, /development|refinement|finalization|bootstrap/);

      // Q: confirm, the run stops with its report.
      tmux('send-keys', '-t', attach, 'Q');
      await waitForScreen(attach, /Stop the run\?/);
      tmux('send-keys', '-t', attach, 'y');
      await waitFor('status interrupted', () => readStatusWord(runDir) === 'interrupted', 60_000);
      await waitFor('the final report', () => existsSync(path.join(runDir, 'final_report.md')), 60_000);
      await waitForScreen(attach, /Report: /, 60_000);
      tmux('kill-session', '-t', attach);
    }, 240_000);
  }
});
