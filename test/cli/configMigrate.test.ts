// `megatest config migrate A.toml > A.toml` (or `>> A.toml`): the built CLI
// refuses, one line on stderr, exit 2, and leaves the file as the shell left
// it (nothing appended). Needs npm run build.

import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, BUILT } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'megatest-migrate-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function migrateInto(file: string, flags: 'a' | 'w'): { status: number | null; stderr: string } {
  const fd = openSync(file, flags);
  try {
    const result = spawnSync(process.execPath, [BIN, 'config', 'migrate', file], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
    return { status: result.status, stderr: result.stderr };
  } finally {
    closeSync(fd);
  }
}

describe.skipIf(!BUILT)('config migrate onto its own input (needs npm run build)', () => {
  it('>> same.toml: refused, the file unchanged', () => {
    const file = path.join(dir, 'append.toml');
    writeFileSync(file, '[session]\nagent_count = 4\n');
    const { status, stderr } = migrateInto(file, 'a');
    expect(status).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(`standard output is ${file} itself`);
    expect(readFileSync(file, 'utf8')).toBe('[session]\nagent_count = 4\n');
  });

  it('> same.toml (the shell empties it first): refused, exit 2, no header written as if migrated', () => {
    const file = path.join(dir, 'truncate.toml');
    writeFileSync(file, '[session]\nagent_count = 4\n');
    const { status, stderr } = migrateInto(file, 'w');
    expect(status).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    // It says the file is empty now and how to go on, not a command that would find it empty.
    expect(stderr).toContain(`standard output is ${file} itself, and the shell's redirect has emptied it: put it back from a copy or version control`);
    expect(readFileSync(file, 'utf8')).toBe('');
  });

  it("-c OLD.toml and --config-file=OLD.toml (the original runner's habit): refused, naming the command to type", () => {
    for (const args of [['-c', 'old.toml'], ['--config-file=old.toml'], ['--config-file', 'old.toml']]) {
      const result = spawnSync(process.execPath, [BIN, 'config', 'migrate', ...args], { encoding: 'utf8' });
      expect(result.status).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        `megatest config migrate: unknown option ${args[0]!.split('=')[0]}; the old config is the argument: megatest config migrate old.toml (see megatest config migrate --help)\n`,
      );
    }
  });

  it('no OLD.toml with CONFIG_FILE set (the Bash wrapper named its config so): refused, naming the command for that file', () => {
    const result = spawnSync(process.execPath, [BIN, 'config', 'migrate'], { encoding: 'utf8', env: { ...process.env, CONFIG_FILE: 'mega_test_config.toml' } });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('megatest config migrate: expected one OLD.toml (CONFIG_FILE is set: megatest config migrate mega_test_config.toml) (see megatest config migrate --help)\n');
    const unset = spawnSync(process.execPath, [BIN, 'config', 'migrate'], { encoding: 'utf8', env: { ...process.env, CONFIG_FILE: '' } });
    expect(unset.stderr).toBe('megatest config migrate: expected one OLD.toml (see megatest config migrate --help)\n');
  });

  it('--help says the comments are not carried over', () => {
    const result = spawnSync(process.execPath, [BIN, 'config', 'migrate', '--help'], { encoding: 'utf8' });
    expect(result.stdout).toMatch(/Comments are not carried over/);
  });
});
