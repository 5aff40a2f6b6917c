// --json failures thrown before a command's own JSON handling (bad options, a
// --runs-dir that is no folder, a session that is not there) printed nothing
// on stdout; docs/control-api.md promises {"ok":false,"error":…,"exit_code":…}.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureCli } from './captureCli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'megatest-jsonfail-'));
const missing = path.join(dir, 'nonexist');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--json failures', () => {
  const cases: string[][] = [
    ['pause', 'a2', '--json', '--runs-dir', missing],
    ['status', '--json', '--runs-dir', missing],
    ['pause', 'a2', '--json', '--bogus'],
    ['ls', '--json', '--runs-dir', missing],
    ['checkpoints', 'verify', path.join(dir, 'nosuch'), '--json'],
    ['restore', 'nosuch', '--checkpoint', 'x', '--runs-dir', dir, '--json'],
    ['pause', 'a2', '--agent', 'x', '--json', '--runs-dir', dir],
  ];
  for (const argv of cases) {
    it(`${argv.join(' ')}: the object on stdout, one line on stderr, exit 2`, async () => {
      const result = await captureCli(argv);
      expect(result.code).toBe(2);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(result.stdout)).toEqual({ ok: false, error: lines[0], exit_code: 2 });
    });
  }

  it('without --json, stdout stays empty', async () => {
    const result = await captureCli(['status', '--runs-dir', missing]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
  });

  it('a --json after -- is no request for JSON', async () => {
    const result = await captureCli(['ls', '--runs-dir', missing, '--', '--json']);
    expect(result.stdout).toBe('');
  });
});
