// Leaving the console of a run that has ended, as a person meets it in tmux:
// the console builds the report for the exit code and says where it is.
// When it could not (the run folder's config.json damaged), the shell came
// back with nothing said and exit 1; now one line says the run's status, why
// the report could not be built, and what tries again. Waits key on what the
// pane shows, never on sleeps.

import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { BUILT } from '../helpers/cli.js';
import { HAS_TMUX, TmuxServer } from '../helpers/tmux.js';

const BIN = path.join(PACKAGE_ROOT, 'bin', 'megatest.js');
const ENV = 'env -u CI LANG=C.UTF-8 TERM=xterm-256color';
const server = new TmuxServer('consoleend');
const tmux = (...args: string[]): string => server.run(...args);

describe.skipIf(!HAS_TMUX || !BUILT)(`q on an ended run whose report cannot be built, in tmux${HAS_TMUX && BUILT ? '' : ' (skipped: needs tmux and a built dist/)'}`, () => {
  const root = mkdtempSync(path.join(tmpdir(), 'megatest-consoleend-'));
  // The recorded session ends completed (its last event); its status file says so; its config.json is damaged.
  const runDir = path.join(root, 'ended');
  mkdirSync(runDir);
  copyFileSync(path.join(PACKAGE_ROOT, 'test', 'fixtures', 'events', 'restore_session.jsonl'), path.join(runDir, 'events.jsonl'));
  writeFileSync(path.join(runDir, 'status'), 'completed\n');
  writeFileSync(path.join(runDir, 'config.json'), '{damaged');
  beforeAll(() => server.start());
  afterAll(() => {
    server.kill();
    rmSync(root, { recursive: true, force: true });
  });

  it('says the status, why there is no report, and what tries again; exit 1', async () => {
    const session = 'ended';
    tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '40', `cd ${root} && ${ENV} node ${BIN} attach ${runDir}; echo EXIT-$?; sleep 600`);
    await server.waitForScreen(session, /q leaves the console/, 60_000);
    tmux('send-keys', '-t', session, 'q');
    await server.waitForScreen(session, /EXIT-\d+/);
    // The pane's rows joined where the terminal wrapped them.
    const lines = tmux('capture-pane', '-p', '-J', '-t', session).split('\n').filter((line) => line.trim() !== '');
    const exit = lines.findIndex((line) => /^EXIT-/.test(line));
    expect(lines[exit]).toBe('EXIT-1');
    const said = lines[exit - 1]!;
    expect(said).toMatch(/^Session ended completed, but its report could not be built: /);
    expect(said).toContain('config.json');
    expect(said).toContain(`(megatest report ${runDir} tries again)`);
  }, 120_000);
});
