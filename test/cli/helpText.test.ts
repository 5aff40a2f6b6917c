// The help a person reads first, at 80x24: `megatest --help` had 14 of its
// 26 lines wider than 80 columns, wrapped mid-word by the terminal, and its
// first commands scrolled off the top. Every help text of helpText.ts fits
// 80 columns, and the main help fits 24 rows with the prompt after it. So
// does every command's own --help (replay, ls, clean, compare, import,
// restore and checkpoints verify had lines up to 146 columns wide).

import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { HELP } from '../../src/cli/helpText.js';
import { captureCli } from './captureCli.js';

const COLUMNS = 80;
const ROWS = 24;

/** The commands `megatest --help` lists, each as the words that start it: `checkpoints verify`, `config check`. */
async function mainHelpCommands(): Promise<string[]> {
  const { stdout } = await captureCli(['--help']);
  const list = stdout.split('\ncommands:\n')[1]!.split('\n\n')[0]!.split('\n');
  const commands = new Set<string>();
  for (const line of list) {
    // the words before the description (two spaces or more): `config check FILE | config print`
    const usage = line.trim().split(/ {2,}/)[0]!;
    for (const part of usage.split(' | ')) {
      const [first, second] = part.split(' ');
      for (const name of first!.split('|')) {
        commands.add(name === 'checkpoints' || name === 'config' ? `${name} ${second}` : name);
      }
    }
  }
  return [...commands];
}

describe('the help at 80x24', () => {
  for (const [topic, text] of Object.entries(HELP)) {
    it(`${topic}: every line fits ${COLUMNS} columns`, () => {
      const wide = text.split('\n').filter((line) => stringWidth(line) > COLUMNS);
      expect(wide).toEqual([]);
    });
  }

  it('megatest --help fits the screen, one row left for the prompt after it', async () => {
    const { stdout, code } = await captureCli(['--help']);
    expect(code).toBe(0);
    const lines = stdout.replace(/\n$/, '').split('\n');
    expect(lines.length).toBeLessThanOrEqual(ROWS - 1);
    for (const line of lines) expect(stringWidth(line), line).toBeLessThanOrEqual(COLUMNS);
  });

  it('every command the main help lists has a --help that fits the width', async () => {
    const commands = await mainHelpCommands();
    // the listed commands, counted from the main help's own lines: none is missed by a parse gone wrong
    expect(commands).toEqual(expect.arrayContaining(['run', 'replay', 'ls', 'clean', 'compare', 'import', 'restore', 'checkpoints verify', 'config check', 'config migrate']));
    for (const command of commands) {
      const { stdout, code } = await captureCli([...command.split(' '), '--help']);
      expect({ command, code }).toEqual({ command, code: 0 });
      expect(stdout, command).toMatch(/^usage: megatest /);
      const wide = stdout.split('\n').filter((line) => stringWidth(line) > COLUMNS);
      expect({ command, wide }).toEqual({ command, wide: [] });
    }
  });

  it('every command the main help lists has a description beside it', async () => {
    const { stdout } = await captureCli(['--help']);
    const list = stdout.split('\ncommands:\n')[1]!.split('\n\n')[0]!.split('\n');
    for (const line of list) expect(line, line).toMatch(/^ {2}\S.*\S {2,}\S/);
  });
});
