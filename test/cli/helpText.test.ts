// The help a person reads first, at 80x24: `megatest --help` had 14 of its
// 26 lines wider than 80 columns, wrapped mid-word by the terminal, and its
// first commands scrolled off the top. Every help text of helpText.ts fits
// 80 columns, and the main help fits 24 rows with the prompt after it.

import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { HELP } from '../../src/cli/helpText.js';
import { captureCli } from './captureCli.js';

const COLUMNS = 80;
const ROWS = 24;

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

  it('every command the main help lists has a description beside it', async () => {
    const { stdout } = await captureCli(['--help']);
    const list = stdout.split('\ncommands:\n')[1]!.split('\n\n')[0]!.split('\n');
    for (const line of list) expect(line, line).toMatch(/^ {2}\S.*\S {2,}\S/);
  });
});
