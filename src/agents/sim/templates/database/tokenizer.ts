// MiniDB's SQL tokenizer: the module and node:test file the sim writes as
// src/tokenizer.js and test/tokenizer.test.js, and the bug it can plant there.

import type { SimComponent } from '../component.js';

export const tokenizer: SimComponent = {
  id: 'tokenizer',
  title: 'SQL tokenizer',
  requires: [],
  bug: {
    find: "while (i < sql.length && /[0-9.]/.test(sql[i])) i++;",
    replace: "while (i < sql.length && /[0-9]/.test(sql[i])) i++;",
    note: 'decimal numbers split at the point',
  },
  module: String.raw`export const KEYWORDS = new Set([
  'SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'INSERT', 'INTO', 'VALUES', 'CREATE', 'TABLE',
  'INT', 'TEXT', 'ORDER', 'BY', 'ASC', 'DESC', 'LIMIT', 'DELETE', 'NULL',
]);

/**
 * @typedef {{ kind: 'keyword' | 'identifier' | 'number' | 'string' | 'symbol', value: string | number, at: number }} Token
 */

/**
 * Splits SQL text into tokens. Keywords are upper-cased, identifiers kept,
 * numbers parsed, strings unquoted ('' escapes a quote).
 * @param {string} sql
 * @returns {Token[]}
 */
export function tokenize(sql) {
  const tokens = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    if (/\s/.test(ch)) {
      i++;
    } else if (/[0-9]/.test(ch)) {
      const start = i;
      while (i < sql.length && /[0-9.]/.test(sql[i])) i++;
      tokens.push({ kind: 'number', value: Number(sql.slice(start, i)), at: start });
    } else if (/[A-Za-z_]/.test(ch)) {
      const start = i;
      while (i < sql.length && /[A-Za-z0-9_]/.test(sql[i])) i++;
      const word = sql.slice(start, i);
      const upper = word.toUpperCase();
      tokens.push(KEYWORDS.has(upper) ? { kind: 'keyword', value: upper, at: start } : { kind: 'identifier', value: word, at: start });
    } else if (ch === "'") {
      const start = i;
      let text = '';
      i++;
      for (;;) {
        if (i >= sql.length) throw new SyntaxError('unterminated string starting at ' + start);
        if (sql[i] === "'" && sql[i + 1] === "'") {
          text += "'";
          i += 2;
        } else if (sql[i] === "'") {
          i++;
          break;
        } else {
          text += sql[i++];
        }
      }
      tokens.push({ kind: 'string', value: text, at: start });
    } else {
      const two = sql.slice(i, i + 2);
      if (two === '<=' || two === '>=' || two === '!=' || two === '<>') {
        tokens.push({ kind: 'symbol', value: two === '<>' ? '!=' : two, at: i });
        i += 2;
      } else if ('(),*=<>;'.includes(ch)) {
        tokens.push({ kind: 'symbol', value: ch, at: i });
        i++;
      } else {
        throw new SyntaxError('unexpected character ' + JSON.stringify(ch) + ' at ' + i);
      }
    }
  }
  return tokens;
}
`,
  test: String.raw`import test from 'node:test';
import assert from 'node:assert/strict';
import { tokenize } from '../src/tokenizer.js';

test('keywords, identifiers, numbers, strings and symbols', () => {
  const tokens = tokenize("select name, age FROM users WHERE age >= 21.5 AND name <> 'O''Brien';");
  assert.deepEqual(tokens.map((t) => t.value), [
    'SELECT', 'name', ',', 'age', 'FROM', 'users', 'WHERE', 'age', '>=', 21.5, 'AND', 'name', '!=', "O'Brien", ';',
  ]);
  assert.equal(tokens[1].kind, 'identifier');
  assert.equal(tokens[9].kind, 'number');
});

test('errors say where', () => {
  assert.throws(() => tokenize("SELECT 'oops"), /unterminated string starting at 7/);
  assert.throws(() => tokenize('SELECT #'), /unexpected character "#" at 7/);
});
`,
};
