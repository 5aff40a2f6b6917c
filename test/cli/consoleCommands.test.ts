// The commands that open the console, run without a terminal or with a bad
// flag: one line on stderr and exit 2 (never Ink's raw-mode stack trace or a
// hang), in the same words `run` uses; and no message says "megatest:" twice.

import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { BUILT, runCli } from '../helpers/cli.js';

describe.skipIf(!BUILT)(`console commands without a terminal${BUILT ? '' : ' (skipped: dist/ is not built; npm run build)'}`, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'megatest-attach-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('attach without a terminal: one line naming what to use instead, exit 2', async () => {
    const result = await runCli(['attach', '--runs-dir', dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('megatest: attach needs a terminal; use megatest status\n');
    expect(result.stdout).toBe('');
  });

  it('attach --theme solarized: the same one line and exit 2 as run --theme solarized', async () => {
    const attach = await runCli(['attach', '--theme', 'solarized', '--runs-dir', dir]);
    const run = await runCli(['run', '--theme', 'solarized', '--headless', '--runs-dir', dir]);
    expect(run.code).toBe(2);
    expect(attach.code).toBe(2);
    expect(attach.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(attach.stderr).toBe(run.stderr);
    expect(attach.stderr).toMatch(/--theme solarized/);
  });

  it.each([
    ['bash-complete', 'run_mega_test.sh'],
    ['python-killed', 'test_runner.py'],
  ])('resume of a run folder of the original runner (%s): one line pointing to replay and report, exit 2, nothing written', async (name, runner) => {
    const legacy = path.join(dir, name);
    cpSync(path.join(PACKAGE_ROOT, 'test', 'fixtures', 'legacy', name), legacy, { recursive: true });
    const before = readdirSync(legacy, { recursive: true }).sort();
    const result = await runCli(['resume', legacy]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`megatest resume: ${legacy} is a run folder of ${runner}, with no megatest checkpoints or agents to go on with; megatest replay ${legacy} and megatest report ${legacy} read it\n`);
    expect(readdirSync(legacy, { recursive: true }).sort()).toEqual(before);
  });

  it('a message that names its command is not prefixed "megatest:" a second time', async () => {
    const missing = path.join(dir, 'no-such-run');
    for (const args of [['resume', missing], ['report', missing], ['replay', missing]]) {
      const result = await runCli(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).not.toMatch(/megatest: megatest/);
      expect(result.stderr.split('\n').filter(Boolean), args.join(' ')).toHaveLength(1);
    }
  });
});
