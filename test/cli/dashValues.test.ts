// A value that starts with "-" was refused with "write --older-than=-1d", and
// that form then refused with what is allowed: the person went round. Now the
// first refusal is the one that says what is allowed. An empty --config or
// FILE was read as a path, "config file : is a directory".

import { describe, expect, it } from 'vitest';
import { captureCli } from './captureCli.js';

describe('refusals that say what is allowed at once', () => {
  const cases: { argv: string[]; message: RegExp }[] = [
    { argv: ['clean', '--older-than', '-1d'], message: /--older-than "-1d": use a number and s, m, h or d/ },
    { argv: ['replay', 'x', '--at', '-5'], message: /--at "-5": expected a seq/ },
    { argv: ['replay', 'x', '--speed', '-5'], message: /--speed -5: must be from 1 to 1000/ },
    { argv: ['compare', 'a', 'b', '--format', '-x'], message: /--format "-x": use md or json/ },
    { argv: ['run', '--config=', '--headless'], message: /^megatest: --config needs a value: a TOML file$/ },
    { argv: ['config', 'check', ''], message: /^megatest config check needs a FILE/ },
    { argv: ['config', 'check', '--config='], message: /^megatest config check needs a FILE/ },
  ];
  for (const c of cases) {
    it(c.argv.join(' '), async () => {
      const result = await captureCli(c.argv);
      expect(result.code).toBe(2);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(c.message);
      expect(lines[0]).not.toMatch(/write --|is a directory/);
    });
  }
});
