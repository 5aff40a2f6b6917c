// MiniDB's query executor: the module and node:test file the sim writes as
// src/executor.js and test/executor.test.js, and the bug it can plant there.

import type { SimComponent } from '../component.js';

export const executor: SimComponent = {
  id: 'executor',
  title: 'query executor',
  requires: ['tokenizer', 'parser'],
  bug: {
    find: "case '>=': return left >= right;",
    replace: "case '>=': return left > right;",
    note: '>= behaves like >',
  },
  module: String.raw`import { parse } from './parser.js';

function compare(op, left, right) {
  switch (op) {
    case '=': return left === right;
    case '!=': return left !== right;
    case '<': return left < right;
    case '>': return left > right;
    case '<=': return left <= right;
    case '>=': return left >= right;
    default: throw new Error('unknown operator ' + op);
  }
}

/**
 * An in-memory database running SQL through the parser.
 */
export class Database {
  constructor() {
    /** @type {Map<string, { columns: { name: string, type: string }[], rows: object[] }>} */
    this.tables = new Map();
  }

  /**
   * Runs one statement.
   * @param {string} sql
   * @returns {{ rows?: object[], changed?: number }}
   */
  execute(sql) {
    const statement = parse(sql);
    switch (statement.type) {
      case 'create':
        if (this.tables.has(statement.table)) throw new Error('table ' + statement.table + ' already exists');
        this.tables.set(statement.table, { columns: statement.columns, rows: [] });
        return { changed: 0 };
      case 'insert': {
        const table = this.table(statement.table);
        const row = {};
        for (const column of table.columns) row[column.name] = null;
        statement.columns.forEach((name, i) => {
          const column = table.columns.find((c) => c.name === name);
          if (!column) throw new Error('no column ' + name + ' in ' + statement.table);
          const value = statement.values[i];
          if (value !== null && column.type === 'INT' && typeof value !== 'number') throw new TypeError(name + ' must be INT');
          row[name] = value;
        });
        table.rows.push(row);
        return { changed: 1 };
      }
      case 'select': {
        const table = this.table(statement.table);
        let rows = table.rows.filter((row) => this.matches(row, statement.where));
        if (statement.orderBy) {
          const { column, descending } = statement.orderBy;
          rows = [...rows].sort((a, b) => (a[column] < b[column] ? -1 : a[column] > b[column] ? 1 : 0) * (descending ? -1 : 1));
        }
        if (statement.limit !== undefined) rows = rows.slice(0, statement.limit);
        if (statement.columns[0] !== '*') {
          rows = rows.map((row) => Object.fromEntries(statement.columns.map((c) => [c, row[c]])));
        }
        return { rows };
      }
      case 'delete': {
        const table = this.table(statement.table);
        const before = table.rows.length;
        table.rows = table.rows.filter((row) => !this.matches(row, statement.where));
        return { changed: before - table.rows.length };
      }
      default:
        throw new Error('unsupported statement ' + statement.type);
    }
  }

  table(name) {
    const table = this.tables.get(name);
    if (!table) throw new Error('no table ' + name);
    return table;
  }

  matches(row, conditions) {
    return conditions.every((c) => compare(c.op, row[c.column], c.value));
  }
}
`,
  test: String.raw`import test from 'node:test';
import assert from 'node:assert/strict';
import { Database } from '../src/executor.js';

function seeded() {
  const db = new Database();
  db.execute('CREATE TABLE users (id INT, name TEXT, age INT)');
  db.execute("INSERT INTO users (id, name, age) VALUES (1, 'ada', 36)");
  db.execute("INSERT INTO users (id, name, age) VALUES (2, 'alan', 41)");
  db.execute("INSERT INTO users (id, name) VALUES (3, 'grace')");
  return db;
}

test('select filters, orders and projects', () => {
  const db = seeded();
  assert.deepEqual(db.execute('SELECT name FROM users WHERE age >= 36 ORDER BY age DESC').rows, [{ name: 'alan' }, { name: 'ada' }]);
  assert.deepEqual(db.execute('SELECT * FROM users WHERE id = 3').rows, [{ id: 3, name: 'grace', age: null }]);
  assert.equal(db.execute('SELECT id FROM users LIMIT 2').rows.length, 2);
});

test('delete and errors', () => {
  const db = seeded();
  assert.equal(db.execute('DELETE FROM users WHERE id < 3').changed, 2);
  assert.equal(db.execute('SELECT * FROM users').rows.length, 1);
  assert.throws(() => db.execute('SELECT * FROM nope'), /no table nope/);
  assert.throws(() => db.execute("INSERT INTO users (id) VALUES ('x')"), /id must be INT/);
  assert.throws(() => db.execute('CREATE TABLE users (id INT)'), /already exists/);
});
`,
};
