// The control commands on a folder of the original runner: it has no
// orchestrator, and `megatest resume` (which they used to suggest) refuses it.
// Each says what the folder is and what reads it, in one line, exit 2.

import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyLegacyFixtures } from '../legacy/legacyFixtures.js';
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
});
