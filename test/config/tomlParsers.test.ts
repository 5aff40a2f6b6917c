// A config file's TOML (src/config/fileLayers.ts) is read by smol-toml, and
// a file it refuses by @iarna/toml: the values are those @iarna/toml gives
// wherever both read a file, a file only @iarna/toml reads gets its values,
// and a file neither reads gets @iarna/toml's message, as before smol-toml.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import TOML from '@iarna/toml';
import fc from 'fast-check';
import smolToml from 'smol-toml';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fileLayer } from '../../src/config/fileLayers.js';

let dir: string;
let file: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'megatest-toml-parsers-'));
  file = path.join(dir, 'user.toml');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function read(text: string): Record<string, unknown> {
  writeFileSync(file, text);
  return fileLayer(file, 'user.toml', []).data;
}

function messageOf(text: string): string {
  writeFileSync(file, text);
  try {
    fileLayer(file, 'user.toml', []);
  } catch (error) {
    return (error as Error).message;
  }
  return 'read';
}

const key = fc.stringMatching(/^[a-z_][a-z0-9_-]{0,11}$/);
/** What a config file holds: numbers (of the range smol-toml reads without loss), strings, booleans, arrays of one kind, tables and arrays of tables. */
const scalar = fc.oneof(fc.integer(), fc.double({ noNaN: true, min: -1e15, max: 1e15 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.boolean());
const { table } = fc.letrec((tie) => ({
  table: fc.dictionary(key, tie('value'), { maxKeys: 5 }),
  value: fc.oneof(
    { depthSize: 'small' },
    scalar,
    fc.array(fc.integer(), { maxLength: 4 }),
    fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 }),
    tie('table'),
    fc.array(tie('table'), { minLength: 1, maxLength: 3 }),
  ),
}));

describe('a config file read by two TOML parsers', () => {
  it('gives the values @iarna/toml gives, in plain objects, wherever both read the file', () => {
    let skipped = 0;
    const quick = vi.spyOn(smolToml, 'parse');
    fc.assert(
      fc.property(table, (values) => {
        let text: string;
        let expected: unknown;
        try {
          text = TOML.stringify(values as TOML.JsonMap);
          expected = TOML.parse(text);
        } catch {
          skipped += 1;
          return; // not a document @iarna/toml writes, or reads back (it writes some control characters as they are)
        }
        quick.mockClear();
        const data = read(text);
        // read by smol-toml, not handed on to @iarna/toml
        expect(quick).toHaveReturnedTimes(1);
        expect(isDeepStrictEqual(data, expected)).toBe(true);
        const tables: unknown[] = [data];
        for (let next = tables.pop(); next !== undefined; next = tables.pop()) {
          if (Array.isArray(next)) tables.push(...next);
          else if (next !== null && typeof next === 'object') {
            expect(Object.getPrototypeOf(next)).toBe(Object.prototype);
            tables.push(...Object.values(next));
          }
        }
      }),
      { numRuns: 300 },
    );
    // Most documents are compared: the property does not pass by skipping them.
    expect(skipped).toBeLessThan(30);
  });

  it('takes the values of a file only @iarna/toml reads (an integer past 2^53)', () => {
    expect(read('seed = 9007199254740993\n')).toEqual({ seed: 9007199254740993n });
  });

  it("says what @iarna/toml says of a file neither reads, with its line and column", () => {
    expect(messageOf('[session]\nduration_hours = =\n')).toBe(
      'user.toml line 2, column 18: malformed TOML: Unexpected character, expecting string, number, datetime, boolean, inline array or inline table',
    );
  });

  it('reads TOML 1.0, which @iarna/toml (TOML 0.5) refuses: an array of mixed kinds', () => {
    expect(read('x = [1, "a"]\n')).toEqual({ x: [1, 'a'] });
  });

  it('keeps a key named __proto__ a key of a plain object', () => {
    const data = read('"__proto__" = 1\n[t]\n"__proto__" = 2\n');
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(Object.keys(data)).toEqual(['__proto__', 't']);
    expect(Object.getOwnPropertyDescriptor(data.t, '__proto__')?.value).toBe(2);
  });
});
