// MiniDB's SQL parser: the module and node:test file the sim writes as
// src/parser.js and test/parser.test.js, and the bug it can plant there.

import type { SimComponent } from '../component.js';

export const parser: SimComponent = {
  id: 'parser',
  title: 'SQL parser',
  requires: ['tokenizer'],
  bug: {
    find: "while (this.accept('keyword', 'AND')) conditions.push(this.condition());",
    replace: "if (this.accept('keyword', 'AND')) conditions.push(this.condition());",
    note: 'only the first AND of a WHERE clause is parsed',
  },
  module: String.raw`import { tokenize } from './tokenizer.js';

/**
 * Parses one statement: CREATE TABLE, INSERT, SELECT (with WHERE … AND …,
 * ORDER BY, LIMIT) or DELETE.
 * @param {string} sql
 * @returns {object} the statement's syntax tree
 */
export function parse(sql) {
  return new Parser(tokenize(sql)).statement();
}

class Parser {
  constructor(tokens) {
    this.tokens = tokens;
    this.pos = 0;
  }

  peek() {
    return this.tokens[this.pos];
  }

  accept(kind, value) {
    const token = this.peek();
    if (token && token.kind === kind && (value === undefined || token.value === value)) {
      this.pos++;
      return token;
    }
    return undefined;
  }

  expect(kind, value) {
    const token = this.accept(kind, value);
    if (!token) {
      const found = this.peek();
      throw new SyntaxError('expected ' + (value ?? kind) + ' but found ' + (found ? JSON.stringify(found.value) : 'end of input'));
    }
    return token;
  }

  statement() {
    let result;
    if (this.accept('keyword', 'CREATE')) result = this.create();
    else if (this.accept('keyword', 'INSERT')) result = this.insert();
    else if (this.accept('keyword', 'SELECT')) result = this.select();
    else if (this.accept('keyword', 'DELETE')) result = this.remove();
    else throw new SyntaxError('expected CREATE, INSERT, SELECT or DELETE');
    this.accept('symbol', ';');
    if (this.peek()) throw new SyntaxError('unexpected ' + JSON.stringify(this.peek().value) + ' after statement');
    return result;
  }

  create() {
    this.expect('keyword', 'TABLE');
    const table = this.expect('identifier').value;
    this.expect('symbol', '(');
    const columns = [];
    do {
      const name = this.expect('identifier').value;
      const type = this.accept('keyword', 'INT') ? 'INT' : (this.expect('keyword', 'TEXT'), 'TEXT');
      columns.push({ name, type });
    } while (this.accept('symbol', ','));
    this.expect('symbol', ')');
    return { type: 'create', table, columns };
  }

  insert() {
    this.expect('keyword', 'INTO');
    const table = this.expect('identifier').value;
    this.expect('symbol', '(');
    const columns = this.list(() => this.expect('identifier').value);
    this.expect('symbol', ')');
    this.expect('keyword', 'VALUES');
    this.expect('symbol', '(');
    const values = this.list(() => this.literal());
    this.expect('symbol', ')');
    if (columns.length !== values.length) throw new SyntaxError(columns.length + ' columns but ' + values.length + ' values');
    return { type: 'insert', table, columns, values };
  }

  select() {
    const columns = this.accept('symbol', '*') ? ['*'] : this.list(() => this.expect('identifier').value);
    this.expect('keyword', 'FROM');
    const table = this.expect('identifier').value;
    const where = this.where();
    let orderBy;
    if (this.accept('keyword', 'ORDER')) {
      this.expect('keyword', 'BY');
      const column = this.expect('identifier').value;
      const descending = Boolean(this.accept('keyword', 'DESC'));
      if (!descending) this.accept('keyword', 'ASC');
      orderBy = { column, descending };
    }
    const limit = this.accept('keyword', 'LIMIT') ? this.expect('number').value : undefined;
    return { type: 'select', table, columns, where, orderBy, limit };
  }

  remove() {
    this.expect('keyword', 'FROM');
    const table = this.expect('identifier').value;
    return { type: 'delete', table, where: this.where() };
  }

  where() {
    if (!this.accept('keyword', 'WHERE')) return [];
    const conditions = [this.condition()];
    while (this.accept('keyword', 'AND')) conditions.push(this.condition());
    return conditions;
  }

  condition() {
    const column = this.expect('identifier').value;
    const op = this.expect('symbol').value;
    if (!['=', '!=', '<', '>', '<=', '>='].includes(op)) throw new SyntaxError('unknown operator ' + op);
    return { column, op, value: this.literal() };
  }

  literal() {
    if (this.accept('keyword', 'NULL')) return null;
    const token = this.accept('number') ?? this.accept('string');
    if (!token) throw new SyntaxError('expected a value');
    return token.value;
  }

  list(item) {
    const items = [item()];
    while (this.accept('symbol', ',')) items.push(item());
    return items;
  }
}
`,
  test: String.raw`import test from 'node:test';
import assert from 'node:assert/strict';
import { parse } from '../src/parser.js';

test('CREATE TABLE and INSERT', () => {
  assert.deepEqual(parse('CREATE TABLE users (id INT, name TEXT)'), {
    type: 'create', table: 'users', columns: [{ name: 'id', type: 'INT' }, { name: 'name', type: 'TEXT' }],
  });
  assert.deepEqual(parse("INSERT INTO users (id, name) VALUES (1, 'ada');"), {
    type: 'insert', table: 'users', columns: ['id', 'name'], values: [1, 'ada'],
  });
});

test('SELECT with WHERE, ORDER BY and LIMIT', () => {
  const tree = parse('SELECT name FROM users WHERE id > 1 AND id < 9 AND name != NULL ORDER BY name DESC LIMIT 3');
  assert.equal(tree.where.length, 3);
  assert.deepEqual(tree.where[1], { column: 'id', op: '<', value: 9 });
  assert.deepEqual(tree.orderBy, { column: 'name', descending: true });
  assert.equal(tree.limit, 3);
});

test('syntax errors explain themselves', () => {
  assert.throws(() => parse('SELECT FROM users'), /expected identifier but found "FROM"/);
  assert.throws(() => parse('INSERT INTO t (a, b) VALUES (1)'), /2 columns but 1 values/);
  assert.throws(() => parse('UPDATE t'), /expected CREATE, INSERT, SELECT or DELETE/);
});
`,
};
