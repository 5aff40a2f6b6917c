// The control commands on a folder of the original runner: it has no
// orchestrator, and `megatest resume` (which they used to suggest) refuses it.
// Each says what the folder is and what reads it, in one line, exit 2.

import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyLegacyFixtures, makeBashRunGoing } from '../legacy/legacyFixtures.js';
import { captureCli } from './captureCli.js';

let runs: string;
beforeAll(() => {
  runs = copyLegacyFixtures('megatest-legacy-control-');
});
afterAll(() => rmSync(runs, { recursive: true, force: true }));

describe('control commands on a legacy run folder', () => {
  it('pause, checkpoint, stop, continue, compress: "a run folder of …", pointing to replay and report, never resume', async () => {
    for (const [name, runner] of [
      ['python-complete', 'test_runner.py'],
      ['bash-complete', 'run_mega_test.sh'],
    ] as const) {
      const dir = path.join(runs, name);
      const before = readdirSync(dir).sort();
      for (const command of ['pause', 'checkpoint', 'stop', 'continue', 'compress']) {
        const result = await captureCli([command, dir]);
        expect(result.code, command).toBe(2);
        expect(result.stderr.trim().split('\n'), command).toEqual([
          `megatest ${command}: ${dir} is a run folder of ${runner}, with no megatest orchestrator to ${command}: nothing to control; megatest replay ${dir} and megatest report ${dir} read it`,
        ]);
        expect(result.stderr).not.toContain('megatest resume');
      }
      const restore = await captureCli(['restore', dir, '--checkpoint', '1']);
      expect(restore.code).toBe(2);
      expect(restore.stderr).toBe(`megatest restore: ${dir} is a run folder of ${runner}, with no megatest checkpoint to restore (its own hold no files); megatest replay ${dir} and megatest report ${dir} read it\n`);
      expect(readdirSync(dir).sort()).toEqual(before);
    }
  });

  it('checkpoints verify: refused in one line, exit 2, not "no checkpoints … 0 of 0 usable" and exit 0', async () => {
    for (const [name, own] of [
      ['python-complete', 'its checkpoint files hold metrics and a git commit id, no files or checksums'],
      ['bash-complete', 'run_mega_test.sh keeps no checkpoint files in it'],
    ] as const) {
      const dir = path.join(runs, name);
      const runner = name.startsWith('python') ? 'test_runner.py' : 'run_mega_test.sh';
      const before = readdirSync(dir).sort();
      for (const json of [[], ['--json']]) {
        const result = await captureCli(['checkpoints', 'verify', dir, ...json]);
        expect(result.code).toBe(2);
        const line = `megatest checkpoints verify: ${dir} is a run folder of ${runner}, with no megatest checkpoints to verify (${own}); megatest replay ${dir} and megatest report ${dir} read it`;
        if (json.length === 0) {
          // (a process warning from running many commands in one test process may precede it)
          expect(result.stderr.split('\n').filter((l) => l.startsWith('megatest'))).toEqual([line]);
          expect(result.stderr).not.toMatch(/usable/);
          expect(result.stdout).toBe('');
        } else {
          expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: line, exit_code: 2 });
        }
      }
      expect(readdirSync(dir).sort()).toEqual(before);
    }
  });
});

describe('control commands on a legacy run the original runner is still going on with', () => {
  let monitor: ChildProcess;
  beforeAll(() => {
    // A live process started now, within the run's recorded span: the run's monitor as far as megatest can tell.
    monitor = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  });
  afterAll(() => {
    monitor.kill();
  });

  it('says it is still going and how to stop it (Ctrl-C where the runner runs), never "nothing to control"', async () => {
    const dir = path.join(runs, 'bash-going');
    cpSync(path.join(runs, 'bash-complete'), dir, { recursive: true });
    makeBashRunGoing(dir, monitor.pid!);
    const before = readdirSync(dir).sort();
    const going = `megatest %s: ${dir} is a run of run_mega_test.sh, still going (status says running and the monitor (pid ${monitor.pid}) is alive): `;
    const stop = await captureCli(['stop', dir]);
    expect(stop.code).toBe(2);
    expect(stop.stderr).toBe(`${going.replace('%s', 'stop')}megatest cannot stop it: stop it with Ctrl-C where run_mega_test.sh runs; megatest status ${dir} follows it\n`);
    for (const command of ['pause', 'checkpoint', 'continue', 'compress']) {
      const result = await captureCli([command, dir]);
      expect(result.code, command).toBe(2);
      expect(result.stderr, command).toBe(
        `${going.replace('%s', command)}the original runner takes no ${command} from outside (only Ctrl-C where run_mega_test.sh runs stops it); megatest status ${dir} follows it\n`,
      );
      expect(result.stderr).not.toContain('nothing to control');
    }
    const resume = await captureCli(['resume', dir]);
    expect(resume.code).toBe(2);
    expect(resume.stderr).toContain('still going');
    expect(resume.stderr).toContain(`let it finish (or stop it with Ctrl-C where run_mega_test.sh runs), then megatest replay ${dir}`);
    expect(readdirSync(dir).sort()).toEqual(before);
  });
});
