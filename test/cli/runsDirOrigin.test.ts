// A runs folder that cannot take a run folder was refused as "--runs-dir
// test_runs: not writable (EACCES)" when the person never typed --runs-dir:
// the folder came from the default (or a config file), and they went looking
// for a flag they had not given. The refusal now names where it came from and
// the way out (`; pass --runs-dir DIR`); a typed --runs-dir is named as typed.
// Run as root, a folder is writable whatever its mode: the refusals here are
// a runs folder that is a regular file, and a path through one (ENOTDIR).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_RUNS_DIR, runsDirChoiceFor, runsDirNaming } from '../../src/cli/runsDir.js';
import { BIN, BUILT } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'megatest-runsdir-origin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runsDirNaming', () => {
  it('a typed --runs-dir by the flag; else the default or the config file, and the way out', () => {
    expect(runsDirNaming({ dir: 'mine', source: { from: 'flag' } })).toEqual({ name: '--runs-dir mine', remedy: '' });
    expect(runsDirNaming({ dir: DEFAULT_RUNS_DIR, source: { from: 'default' } })).toEqual({
      name: `runs folder ${DEFAULT_RUNS_DIR} (the default, under the current folder)`,
      remedy: '; pass --runs-dir DIR',
    });
    expect(runsDirNaming({ dir: 'r', source: { from: 'config-file', file: 'c.toml', environment: false } })).toEqual({
      name: 'runs folder r ([session] runs_dir of --config c.toml)',
      remedy: '; pass --runs-dir DIR',
    });
    expect(runsDirNaming({ dir: 'r', source: { from: 'config-file', file: 'c.toml', environment: true } }).name).toBe('runs folder r ([session] runs_dir of CONFIG_FILE=c.toml)');
  });

  it('runsDirChoiceFor: a CONFIG_FILE is named only where it sets runs_dir itself', async () => {
    const sets = path.join(dir, 'sets.toml');
    writeFileSync(sets, '[session]\nruns_dir = "elsewhere"\n');
    const other = path.join(dir, 'other.toml');
    writeFileSync(other, '[session]\nagent_count = 2\n');
    expect(await runsDirChoiceFor('import', 'typed', { CONFIG_FILE: sets })).toEqual({ dir: 'typed', source: { from: 'flag' } });
    expect(await runsDirChoiceFor('import', undefined, { CONFIG_FILE: sets })).toEqual({ dir: 'elsewhere', source: { from: 'config-file', file: sets, environment: true } });
    expect(await runsDirChoiceFor('import', undefined, { CONFIG_FILE: other })).toEqual({ dir: DEFAULT_RUNS_DIR, source: { from: 'default' } });
    expect(await runsDirChoiceFor('import', undefined, {})).toEqual({ dir: DEFAULT_RUNS_DIR, source: { from: 'default' } });
  });
});

describe.skipIf(!BUILT)(`run and import where the runs folder cannot be made${BUILT ? '' : ' (skipped: dist/ is not built; npm run build)'}`, () => {
  // A folder of its own as the current folder, test_runs in it a regular file.
  const cwd = mkdtempSync(path.join(dir, 'cwd-'));
  writeFileSync(path.join(cwd, DEFAULT_RUNS_DIR), 'not a folder\n');
  const codex = path.join(cwd, 'codex.jsonl');
  writeFileSync(codex, [{ type: 'thread.started', thread_id: 't-1' }, { type: 'turn.started' }].map((event) => JSON.stringify(event) + '\n').join(''));
  const config = path.join(cwd, 'c.toml');
  const configured = path.join(DEFAULT_RUNS_DIR, 'configured');
  writeFileSync(config, `[session]\nruns_dir = ${JSON.stringify(configured)}\n`);

  const refusal = (args: string[], env: Record<string, string> = {}): string => {
    const result = spawnSync(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, CI: '1', NO_COLOR: '1', CONFIG_FILE: '', ...env }, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(2);
    const lines = result.stderr.trimEnd().split('\n');
    return lines[lines.length - 1]!;
  };
  const run = ['run', '--headless', '--duration', '10s'];
  const importing = ['import', '--agent', 'codex', codex];

  it('the default: named as the default, with the flag that chooses another', () => {
    const expected = `megatest: runs folder ${DEFAULT_RUNS_DIR} (the default, under the current folder): is a file, not a folder; pass --runs-dir DIR`;
    expect(refusal(run)).toBe(expected);
    expect(refusal(importing)).toBe(expected);
  });

  it('a config file that sets runs_dir: named with the file', () => {
    const through = 'a part of that path is a file, not a folder; pass --runs-dir DIR';
    expect(refusal([...run, '--config', config])).toBe(`megatest: runs folder ${configured} ([session] runs_dir of --config ${config}): ${through}`);
    expect(refusal(run, { CONFIG_FILE: config })).toBe(`megatest: runs folder ${configured} ([session] runs_dir of CONFIG_FILE=${config}): ${through}`);
    expect(refusal(importing, { CONFIG_FILE: config })).toBe(`megatest: runs folder ${configured} ([session] runs_dir of CONFIG_FILE=${config}): ${through}`);
  });

  it('a typed --runs-dir: named as typed', () => {
    const typed = path.join(DEFAULT_RUNS_DIR, 'typed');
    expect(refusal([...run, '--runs-dir', typed])).toBe(`megatest: --runs-dir ${typed}: a part of that path is a file, not a folder`);
    expect(refusal([...importing, '--runs-dir', typed])).toBe(`megatest: --runs-dir ${typed}: a part of that path is a file, not a folder`);
  });
});
