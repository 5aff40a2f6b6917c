// What users of the original runner type out of habit gets a hint, in the one
// line of its refusal (exit 2): what megatest takes instead.

import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyLegacyFixtures } from '../legacy/legacyFixtures.js';
import { captureCli } from './captureCli.js';
import { MEGATEST_COMMANDS } from '../../src/cli/oldHabits.js';

let runs: string;
beforeAll(() => {
  runs = copyLegacyFixtures('megatest-old-habits-');
});
afterAll(() => rmSync(runs, { recursive: true, force: true }));

async function refusal(argv: string[]): Promise<string> {
  const result = await captureCli(argv);
  expect(result.code, argv.join(' ')).toBe(2);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, argv.join(' ')).toHaveLength(1);
  return lines[0]!;
}

describe("the original runner's habits", () => {
  it('run --project, --hours, --resume, -c/--config-file: the option megatest takes instead', async () => {
    expect(await refusal(['run', '--project', 'database'])).toBe(
      "megatest run: Unknown option '--project'; the project is the first argument: megatest run database (see megatest run --help)",
    );
    expect(await refusal(['run', 'database', '--hours', '6'])).toBe(
      "megatest run: Unknown option '--hours'; the length is --duration 6h (or HOURS, run's second argument) (see megatest run --help)",
    );
    expect(await refusal(['run', '--resume', 'test_runs/x'])).toBe(
      "megatest run: Unknown option '--resume'; a run goes on with megatest resume test_runs/x (see megatest run --help)",
    );
    expect(await refusal(['run', '-c', 'old.toml'])).toBe("megatest run: Unknown option '-c'; the config file is --config old.toml (see megatest run --help)");
    expect(await refusal(['run', '--config-file=old.toml'])).toBe(
      "megatest run: Unknown option '--config-file'; the config file is --config old.toml (see megatest run --help)",
    );
    // a command without --config gets no hint to use it
    expect(await refusal(['ls', '-c', 'x'])).toBe("megatest ls: Unknown option '-c' (see megatest ls --help)");
  });

  it('megatest migrate, config validate, config show: the command megatest names so', async () => {
    expect(await refusal(['migrate', 'old.toml'])).toBe('megatest: unknown command "migrate"; did you mean megatest config migrate OLD.toml? (see megatest --help)');
    expect(await refusal(['config', 'validate', 'old.toml'])).toBe(
      'megatest config: expected check FILE, print or migrate OLD.toml (got "validate"); did you mean megatest config check FILE?',
    );
    expect(await refusal(['config', 'show'])).toBe('megatest config: expected check FILE, print or migrate OLD.toml (got "show"); did you mean megatest config print?');
  });

  it('import of a legacy run folder: it needs none, report and replay read it', async () => {
    const dir = path.join(runs, 'python-complete');
    for (const argv of [['import', dir], ['import', '--agent', 'selfware', dir]]) {
      expect(await refusal(argv)).toBe(
        `megatest import: ${dir} is a run folder of test_runner.py, which needs no import: megatest report ${dir} and megatest replay ${dir} read it as it is`,
      );
    }
  });
});

describe('more habits', () => {
  it('a project type given as the command: megatest run PROJECT …', async () => {
    expect(await refusal(['task_queue', '6', '6'])).toBe('megatest: unknown command "task_queue"; did you mean megatest run task_queue 6 6? (see megatest --help)');
    // an unknown word that is no project type gets no such hint
    expect(await refusal(['nosuchproject', '6'])).toBe('megatest: unknown command "nosuchproject" (see megatest --help)');
  });

  it('a misspelt command: the command it was meant to be, in one line', async () => {
    // each written with one or two slips of the command beside it
    const slips: [string, string][] = [
      ['rn', 'run'],
      ['satus', 'status'],
      ['reprot', 'report'],
      ['relpay', 'replay'],
      ['checkpionts', 'checkpoints'],
      ['stp', 'stop'],
      ['LS', 'ls'],
    ];
    for (const [written, meant] of slips) {
      expect(await refusal([written])).toBe(`megatest: unknown command "${written}"; did you mean ${meant}? (see megatest --help)`);
    }
    expect(await refusal(['version'])).toBe('megatest: unknown command "version"; did you mean megatest --version? (see megatest --help)');
    // nothing close: no guess
    expect(await refusal(['frobnicate'])).toBe('megatest: unknown command "frobnicate" (see megatest --help)');
    expect(await refusal(['x'])).toBe('megatest: unknown command "x" (see megatest --help)');
  });

  it('every command a misspelling is matched against is one megatest takes', async () => {
    for (const command of MEGATEST_COMMANDS) {
      const result = await captureCli([command, '--help']);
      expect(result.stderr, command).not.toMatch(/unknown command/);
      expect({ command, code: result.code }).toEqual({ command, code: 0 });
    }
  });

  it('checkpoint verify X: megatest checkpoints verify X', async () => {
    expect(await refusal(['checkpoint', 'verify', 'X'])).toMatch(/; did you mean megatest checkpoints verify X\?$/);
  });

  it('config migrate --config OLD.toml is taken as config check takes it', async () => {
    const file = path.join(__dirname, '..', '..', 'config', 'mega_test_config.toml');
    const byFlag = await captureCli(['config', 'migrate', '--config', file]);
    const byArg = await captureCli(['config', 'migrate', file]);
    expect(byFlag.code).toBe(0);
    expect(byFlag.stdout).toBe(byArg.stdout);
    expect(await refusal(['config', 'migrate', '--config'])).toBe('megatest config migrate: --config needs a value: the OLD.toml file');
  });
});
