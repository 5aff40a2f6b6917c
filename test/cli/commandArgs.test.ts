// parseAge (clean --older-than): the form is a count and s, m, h or d; a
// count too big is told by its range, not by the form again. A run folder
// argument that is no folder (nothing there, or a file) is said to be so,
// not to lack config.json. A command that takes one run folder, given more,
// names the arguments past it.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/config/errors.js';
import { AGE_MAX, parseAge } from '../../src/cli/commandArgs.js';
import { runCli } from '../helpers/cli.js';
import { captureCli } from './captureCli.js';

const FLAG = 'megatest clean: --older-than';

function refusal(text: string): string {
  try {
    parseAge(FLAG, text);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`${text} was accepted`);
}

describe('a command that takes one run folder, given more', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'megatest-one-folder-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  const commands = [['checkpoints', 'verify'], ['replay'], ['resume'], ['report']];
  /** stderr less Node's own warnings (many in-process runs add listeners past its limit). */
  const said = (stderr: string) => stderr.split('\n').filter((line) => line !== '' && !/^\((node:\d+|Use `node)/.test(line)).join('\n');

  it('names the argument past the folder: the word one too many is right there', async () => {
    for (const command of commands) {
      const name = command.join(' ');
      for (const extra of [['extra'], ['one more', '2']]) {
        const result = await captureCli([...command, folder, ...extra]);
        const named = extra.map((arg) => JSON.stringify(arg)).join(' ');
        const what = extra.length === 1 ? 'argument' : 'arguments';
        expect([result.code, said(result.stderr)]).toEqual([2, `megatest ${name}: unexpected ${what} ${named}; expected one run folder DIR (see megatest ${name} --help)`]);
      }
    }
  });

  it('given none: says what it takes', async () => {
    for (const command of commands) {
      const name = command.join(' ');
      const result = await captureCli(command);
      expect([result.code, said(result.stderr)]).toEqual([2, `megatest ${name}: expected one run folder DIR (see megatest ${name} --help)`]);
    }
  });
});

describe('parseAge', () => {
  it('a count over the largest, in the right form: says the range allowed', () => {
    for (const text of [`${AGE_MAX + 1}d`, '99999999d', `${'9'.repeat(30)}s`]) {
      const message = refusal(text);
      expect(message, text).toBe(`${FLAG} ${JSON.stringify(text)}: the number must be from 0 to ${AGE_MAX} (e.g. 7d)`);
    }
    // and a wrong form still says the form
    for (const text of ['7x', '-1d', '1.5h', 'd']) expect(refusal(text), text).toMatch(/use a number and s, m, h or d/);
  });

  it('the count is read as a number: leading zeros are the same age', () => {
    expect(parseAge(FLAG, '0000007d')).toBe(parseAge(FLAG, '7d'));
  });
});

describe('a run folder argument that is no folder', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'megatest-folder-arg-'));
  const file = path.join(dir, 'a-file');
  writeFileSync(file, 'x');
  const missing = path.join(dir, 'no-such-run');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const words of [['report'], ['resume'], ['orchestrate'], ['checkpoints', 'verify']]) {
    const command = words.join(' ');
    it(`${command}: a path that is not there, and a file`, async () => {
      for (const [arg, said] of [
        [missing, `megatest ${command}: ${missing}: no such folder`],
        [file, `megatest ${command}: ${file} is a file, not a run folder`],
      ] as const) {
        const result = await runCli([...words, arg]);
        expect(result.code, arg).toBe(2);
        expect(result.stderr, arg).toBe(`${said}\n`);
      }
    });
  }
});
