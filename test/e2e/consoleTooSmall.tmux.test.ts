// The console in a window made too small for it, as a person meets it in
// tmux: shrunk to 30x10 mid-replay, the pane shows the header's first row
// with SIMULATED, the size it needs and the key line, nothing scrolled off
// or drawn over; made 80x24 again, the dashboard comes back; q still leaves.
// A replay opened paused (--at) on the recorded restore session: the same
// <App/> as the live console, with no run to start. Waits key on what the
// pane shows, never on sleeps.

import { mkdirSync, mkdtempSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { BUILT } from '../helpers/cli.js';
import { HAS_TMUX, TmuxServer } from '../helpers/tmux.js';

const BIN = path.join(PACKAGE_ROOT, 'bin', 'megatest.js');
const ENV = 'env -u CI LANG=C.UTF-8 TERM=xterm-256color';
const server = new TmuxServer('toosmall');
const tmux = (...args: string[]): string => server.run(...args);

describe.skipIf(!HAS_TMUX || !BUILT)(`a window too small for the console, in tmux${HAS_TMUX && BUILT ? '' : ' (skipped: needs tmux and a built dist/)'}`, () => {
  const root = mkdtempSync(path.join(tmpdir(), 'megatest-toosmall-'));
  const runDir = path.join(root, 'rec');
  mkdirSync(runDir);
  copyFileSync(path.join(PACKAGE_ROOT, 'test', 'fixtures', 'events', 'restore_session.jsonl'), path.join(runDir, 'events.jsonl'));
  beforeAll(() => server.start());
  afterAll(() => {
    server.kill();
    rmSync(root, { recursive: true, force: true });
  });

  it('30x10: header row, the size needed, the key line; 80x24 again: the dashboard; q leaves', async () => {
    const session = 'small';
    tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', `cd ${PACKAGE_ROOT} && ${ENV} node ${BIN} replay ${runDir} --at 130; echo SHELL-BACK; sleep 600`);
    await server.waitForScreen(session, /── Agents[\s\S]*\? help/, 60_000);

    tmux('resize-window', '-t', session, '-x', '30', '-y', '10');
    const small = await server.waitForScreen(session, /too small/);
    const rows = small.split('\n');
    // The header's first row stays on top (nothing scrolled it off), the key line last.
    expect(rows[0]).toMatch(/^megatest +SIMULATED/);
    expect(small.replace(/\s+/g, ' ')).toContain('30x10 is too small for the console: it needs 40x12 or more.');
    expect(small).toMatch(/\? help/);
    expect(small).not.toMatch(/── Agents/);

    tmux('resize-window', '-t', session, '-x', '80', '-y', '24');
    const again = await server.waitForScreen(session, /── Agents[\s\S]*\? help/);
    expect(again).not.toContain('too small');
    expect(again.split('\n')[0]).toMatch(/^megatest +SIMULATED/);

    tmux('resize-window', '-t', session, '-x', '30', '-y', '10');
    await server.waitForScreen(session, /too small/);
    tmux('send-keys', '-t', session, 'q');
    await server.waitForScreen(session, /SHELL-BACK/);
  }, 120_000);
});
