// Finding the agent program: PATH searched as execvp would, a missing or
// non-executable one a one-line usage error naming the key.

import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveAgentBinary } from '../../src/agents/binary.js';
import { UsageError } from '../../src/config/errors.js';
import { removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

function program(dir: string, name: string, mode = 0o755): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, '#!/bin/sh\nexit 0\n');
  chmodSync(file, mode);
  return file;
}

describe('resolveAgentBinary', () => {
  const root = tempDir('megatest-binary-');
  const first = path.join(root, 'first');
  const second = path.join(root, 'second');
  program(first, 'claude', 0o644); // found first, but not executable
  const claude = program(second, 'claude');
  const local = program(path.join(root, 'bin'), 'my-agent');
  mkdirSync(path.join(root, 'a-dir'));
  const query = (configured: string, pathVariable = `${first}:${second}`) =>
    resolveAgentBinary({ configured, defaultName: 'claude', kind: 'claude-code', pathVariable, cwd: root });

  it('finds the kind’s default name on PATH, skipping a non-executable one', () => {
    expect(query('')).toBe(claude);
  });

  it('takes a configured path, relative to the working directory', () => {
    expect(query('bin/my-agent')).toBe(local);
    expect(query(local)).toBe(local);
  });

  it('an empty PATH entry is the working directory', () => {
    expect(query('my-agent', `/nonexistent::${path.join(root, 'bin')}`)).toBe(local);
    expect(() => query('claude', `/nonexistent:`)).toThrow(UsageError);
  });

  it.each([
    ['', '/nonexistent', /^--agent claude-code: the agent program "claude" is not on PATH; install claude or set \[agents\] binary to its path$/],
    ['nope', undefined, /^\[agents\] binary "nope": the agent program "nope" is not on PATH; give its full path$/],
    ['bin/missing', undefined, /^\[agents\] binary "bin\/missing": .*bin\/missing no such file$/],
    ['a-dir', undefined, /is not on PATH/],
    ['./a-dir', undefined, /a-dir is a directory, not a program$/],
    ['', first, /first\/claude is not executable \(mode 0644\); chmod \+x it$/],
  ])('refuses %j on PATH %j with one line', (configured, pathVariable, message) => {
    let error: unknown;
    try {
      query(configured, pathVariable);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });
});
