// A --runs-dir given to a command that reads runs must be a folder that is
// there: a file or a mistyped path listed "no runs" and cleaned nothing,
// exit 0. Each command now refuses it with one line, exit 2, as run does.

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'megatest-runsdir-'));
const file = path.join(dir, 'a-file');
writeFileSync(file, 'x');
const missing = path.join(dir, 'no-such-runs');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// [command, its other arguments]
const COMMANDS: [string, string[]][] = [
  ['ls', []],
  ['clean', ['--older-than', '7d']],
  ['status', []],
  ['pause', []],
  ['continue', []],
  ['checkpoint', []],
  ['compress', []],
  ['stop', []],
  ['attach', []],
  ['restore', ['--checkpoint', '1']],
];

async function refused(command: string, args: string[], runsDir: string): Promise<string> {
  const result = await runCli([command, ...args, '--runs-dir', runsDir]);
  expect(result.code, result.stdout + result.stderr).toBe(2);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]!.startsWith(`megatest ${command}: --runs-dir ${runsDir}: `), lines[0]).toBe(true);
  return lines[0]!;
}

describe('--runs-dir given but not a folder', () => {
  for (const [command, args] of COMMANDS) {
    it(`${command}: a file`, async () => {
      expect(await refused(command, args, file)).toContain('is a file, not a folder; give a folder');
    });
    it(`${command}: a path that is not there`, async () => {
      expect(await refused(command, args, missing)).toContain('no such folder');
    });
  }

  it('a path through a file', async () => {
    expect(await refused('ls', [], path.join(file, 'runs'))).toContain('a part of that path is a file, not a folder');
  });

  it('clean deletes nothing beside it', async () => {
    await refused('clean', ['--older-than', '0s'], missing);
    expect(readdirSync(dir)).toEqual([path.basename(file)]);
  });
});
