// `megatest resume DIR --checkpoint ID` in the console (a terminal, no CI)
// of a killed run: a damaged checkpoint, or one that is not there, is refused
// before the detached orchestrator is started, with the one line and exit
// code headless gives (1 damaged, 2 not there). Before, the refusal was the
// detached orchestrator's, in orchestrator.log, and the person saw only
// "orchestrator not running". The terminal is `script`'s pseudo-terminal;
// waits key on events and on the processes' exits.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { BIN, BUILT, killAgentsOf, killRunsIn, readEvents, removeDir, runCli, runHeadless, tempRunsDir, waitForEventWhileRunning } from '../helpers/cli.js';

const CONFIG = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'e2e', 'brisk.toml');
const HAS_SCRIPT = spawnSync('script', ['--version']).status === 0;

/** The command in a pseudo-terminal (stdin and stdout are terminals, CI unset): what a person typing it sees, and its exit code. */
function inTerminal(args: string[]): { code: number | null; output: string } {
  const command = [process.execPath, BIN, ...args].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ');
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', TERM: 'xterm' };
  delete env.CI;
  const result = spawnSync('script', ['-qefc', command, '/dev/null'], { cwd: PACKAGE_ROOT, env, encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return { code: result.status, output: (result.stdout + result.stderr).replace(/\r/g, '') };
}

describe.skipIf(!BUILT || !HAS_SCRIPT)(`resume --checkpoint of a bad checkpoint in the console${BUILT ? '' : ' (skipped: dist/ is not built; npm run build)'}${HAS_SCRIPT ? '' : ' (skipped: script(1), the pseudo-terminal it runs in, is not installed)'}`, () => {
  const runsDir = tempRunsDir('megatest-resume-checkpoint-console-');
  const runDir = path.join(runsDir, 'console-refusal');
  let damaged: string;
  let logBefore: string;

  beforeAll(async () => {
    const run = runHeadless(['run', 'task_queue', '--headless', '--agents', '2', '--duration', '2m', '--config', CONFIG, '--runs-dir', runsDir, '--session-id', 'console-refusal', '--port', '18965'], {
      timeoutMs: 240_000,
    });
    const checkpoint = await waitForEventWhileRunning(run, runDir, 'checkpoint_created', () => true, 180_000);
    run.child.kill('SIGKILL');
    await run.done;
    killAgentsOf(runDir);
    damaged = checkpoint.id;
    // One character of the body changed: the checkpoint fails its checksum.
    const file = path.join(runDir, 'checkpoints', `${damaged}.json`);
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace(/"phase": ?"([^"]*)"/, (_m, phase: string) => `"phase": "${phase}x"`));
    expect(readFileSync(file, 'utf8')).not.toBe(text);
    logBefore = readFileSync(path.join(runDir, 'events.jsonl'), 'utf8');
  }, 240_000);

  afterAll(() => {
    killRunsIn(runsDir);
    removeDir(runsDir);
  });

  it('a damaged one: the headless line and exit 1, and no orchestrator started', async () => {
    const headless = await runCli(['resume', runDir, '--checkpoint', damaged, '--headless']);
    expect(headless.code, headless.stderr).toBe(1);
    const line = headless.stderr.trim();
    expect(line).toMatch(new RegExp(`^megatest resume --checkpoint ${damaged}: refused: `));
    expect(line.split('\n')).toHaveLength(1);

    const console = inTerminal(['resume', runDir, '--checkpoint', damaged]);
    expect(console.code, console.output).toBe(1);
    expect(console.output.trim()).toBe(line);
    expect(console.output).not.toMatch(/orchestrator not running/);
    // Refused before anything started: no orchestrator output, the log as it was.
    expect(existsSync(path.join(runDir, 'orchestrator.log'))).toBe(false);
    expect(readFileSync(path.join(runDir, 'events.jsonl'), 'utf8')).toBe(logBefore);
  }, 120_000);

  it('one that is not there: the headless line and exit 2', async () => {
    const headless = await runCli(['resume', runDir, '--checkpoint', 'checkpoint_999', '--headless']);
    expect(headless.code, headless.stderr).toBe(2);
    const console = inTerminal(['resume', runDir, '--checkpoint', 'checkpoint_999']);
    expect(console.code, console.output).toBe(2);
    expect(console.output.trim()).toBe(headless.stderr.trim());
    expect(existsSync(path.join(runDir, 'orchestrator.log'))).toBe(false);
    expect(readEvents(runDir).length).toBeGreaterThan(0);
    expect(readFileSync(path.join(runDir, 'events.jsonl'), 'utf8')).toBe(logBefore);
  }, 120_000);
});
