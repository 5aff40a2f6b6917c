// `[session] headless = true` in a config file, run from a terminal: plain
// progress lines, as --headless gives, not the console. bin/megatest.js
// starts console commands in a node with the console's small heap; the
// orchestrator of a headless run must not live in it, so the command runs
// again without it. At 80x24 in tmux; waits key on the pane and the run's
// files, never on sleeps.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { isPidAlive, readControlFile } from '../../src/io/sessions.js';
import { BUILT, killRunsIn, runCli, waitFor, waitForEvent } from '../helpers/cli.js';
import { HAS_TMUX, TmuxServer } from '../helpers/tmux.js';

const BIN = path.join(PACKAGE_ROOT, 'bin', 'megatest.js');
const server = new TmuxServer('confighl');
let base: string;

beforeAll(() => {
  base = mkdtempSync(path.join(tmpdir(), 'megatest-confighl-'));
  if (HAS_TMUX) server.start();
});
afterAll(() => {
  if (HAS_TMUX) server.kill();
  killRunsIn(path.join(base, 'runs'));
  rmSync(base, { recursive: true, force: true });
});

const skip = !BUILT || !HAS_TMUX;
describe.skipIf(skip)(`[session] headless in the config${skip ? ' (skipped: needs dist/ built and tmux)' : ''}`, () => {
  it('runs headless from a terminal, its orchestrator outside the console heap, and megatest stop ends it', async () => {
    const config = path.join(base, 'headless.toml');
    writeFileSync(config, '[session]\nheadless = true\n\n[monitoring]\nhealth_check_interval = 1\n');
    const runDir = path.join(base, 'runs', 'confighl');
    const command = `env -u CI LANG=C.UTF-8 TERM=xterm-256color ${process.execPath} ${BIN} run task_queue --config ${config} --duration 10m --agents 2 --runs-dir ${path.join(base, 'runs')} --session-id confighl --port 18871; echo "EXIT=$?"; sleep 120`;
    server.run('new-session', '-d', '-s', 'hl', '-x', '80', '-y', '24', command);

    // The plain lines of a headless run, not the console's frame.
    await server.waitForScreen('hl', /phase 1 bootstrap started/, 120_000);
    await waitForEvent(runDir, 'phase_started');
    const control = await waitFor(() => readControlFile(runDir) ?? undefined, 'the control file', 60_000);
    expect(isPidAlive(control.pid)).toBe(true);
    const argv = readFileSync(`/proc/${control.pid}/cmdline`, 'utf8').split('\0');
    expect(argv).toContain('--headless');
    expect(argv.some((arg) => arg.startsWith('--max-old-space-size'))).toBe(false);
    expect(server.screen('hl')).not.toMatch(/\? help/);

    const stopped = await runCli(['stop', runDir]);
    expect(stopped.code, stopped.stderr).toBe(0);
    const screen = await server.waitForScreen('hl', /EXIT=\d+/, 120_000);
    expect(screen).toMatch(/session ended: interrupted/);
    expect(screen).toMatch(/EXIT=130/);
  });
});
