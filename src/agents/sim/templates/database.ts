// MiniDB (database): a tiny SQL database, written by the sim as a small real
// JavaScript project.

import type { SimComponent } from './component.js';

const tokenizer: SimComponent = {
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

const parser: SimComponent = {
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

const btree: SimComponent = {
  id: 'btree',
  title: 'B-tree index',
  requires: [],
  bug: {
    find: 'while (slot < node.keys.length && key > node.keys[slot]) slot++;',
    replace: 'while (slot < node.keys.length && key >= node.keys[slot]) slot++;',
    note: 'search steps past an equal key',
  },
  module: String.raw`/**
 * A B-tree of minimum degree t mapping keys to values; keys compare with < and >.
 */
export class BTree {
  /** @param {number} [minDegree] */
  constructor(minDegree = 3) {
    if (minDegree < 2) throw new RangeError('minimum degree must be at least 2');
    this.t = minDegree;
    this.root = { keys: [], values: [], children: [] };
    this.size = 0;
  }

  /**
   * Looks a key up.
   * @returns {unknown} the value, or undefined
   */
  get(key) {
    let node = this.root;
    for (;;) {
      let slot = 0;
      while (slot < node.keys.length && key > node.keys[slot]) slot++;
      if (slot < node.keys.length && key === node.keys[slot]) return node.values[slot];
      if (node.children.length === 0) return undefined;
      node = node.children[slot];
    }
  }

  /** Inserts or replaces a key. */
  set(key, value) {
    const root = this.root;
    if (root.keys.length === 2 * this.t - 1) {
      const top = { keys: [], values: [], children: [root] };
      this.split(top, 0);
      this.root = top;
    }
    this.insertNonFull(this.root, key, value);
  }

  insertNonFull(node, key, value) {
    for (;;) {
      let i = 0;
      while (i < node.keys.length && key > node.keys[i]) i++;
      if (i < node.keys.length && node.keys[i] === key) {
        node.values[i] = value;
        return;
      }
      if (node.children.length === 0) {
        node.keys.splice(i, 0, key);
        node.values.splice(i, 0, value);
        this.size++;
        return;
      }
      if (node.children[i].keys.length === 2 * this.t - 1) {
        this.split(node, i);
        if (key === node.keys[i]) {
          node.values[i] = value;
          return;
        }
        if (key > node.keys[i]) i++;
      }
      node = node.children[i];
    }
  }

  split(parent, index) {
    const t = this.t;
    const full = parent.children[index];
    const right = {
      keys: full.keys.splice(t),
      values: full.values.splice(t),
      children: full.children.length ? full.children.splice(t) : [],
    };
    parent.keys.splice(index, 0, full.keys.pop());
    parent.values.splice(index, 0, full.values.pop());
    parent.children.splice(index + 1, 0, right);
  }

  /**
   * Entries with low <= key <= high, in key order.
   * @returns {[unknown, unknown][]}
   */
  range(low, high) {
    const out = [];
    const walk = (node) => {
      for (let i = 0; i < node.keys.length; i++) {
        if (node.children.length && node.keys[i] >= low) walk(node.children[i]);
        if (node.keys[i] >= low && node.keys[i] <= high) out.push([node.keys[i], node.values[i]]);
        if (node.keys[i] > high) return;
      }
      if (node.children.length) walk(node.children[node.keys.length]);
    };
    walk(this.root);
    return out;
  }

  /** Height of the tree (1 for a lone root). */
  height() {
    let height = 1;
    for (let node = this.root; node.children.length; node = node.children[0]) height++;
    return height;
  }
}
`,
  test: String.raw`import test from 'node:test';
import assert from 'node:assert/strict';
import { BTree } from '../src/btree.js';

test('stores and finds many keys, splitting as it grows', () => {
  const tree = new BTree(2);
  const keys = [];
  for (let i = 0; i < 200; i++) keys.push((i * 37) % 200);
  for (const key of keys) tree.set(key, 'v' + key);
  assert.equal(tree.size, 200);
  for (let key = 0; key < 200; key++) assert.equal(tree.get(key), 'v' + key);
  assert.equal(tree.get(500), undefined);
  assert.ok(tree.height() > 2);
});

test('replaces an existing key', () => {
  const tree = new BTree();
  tree.set('a', 1);
  tree.set('a', 2);
  assert.equal(tree.size, 1);
  assert.equal(tree.get('a'), 2);
});

test('range scans in order', () => {
  const tree = new BTree(2);
  for (let i = 50; i > 0; i--) tree.set(i, i * 10);
  assert.deepEqual(tree.range(10, 14).map(([key]) => key), [10, 11, 12, 13, 14]);
  assert.deepEqual(tree.range(49, 99).map(([, value]) => value), [490, 500]);
  assert.throws(() => new BTree(1), /at least 2/);
});
`,
};

const pager: SimComponent = {
  id: 'pager',
  title: 'storage pages',
  requires: [],
  bug: {
    find: 'const free = this.pageSize - HEADER - used;',
    replace: 'const free = this.pageSize - used;',
    note: 'free space ignores the page header',
  },
  module: String.raw`const HEADER = 8;

/**
 * Fixed-size pages holding length-prefixed records, like a heap file. Page
 * layout: [u32 record count][u32 bytes used][records …].
 */
export class Pager {
  /** @param {number} [pageSize] */
  constructor(pageSize = 256) {
    if (pageSize < 64) throw new RangeError('page size must be at least 64 bytes');
    this.pageSize = pageSize;
    /** @type {Buffer[]} */
    this.pages = [];
  }

  allocate() {
    const page = Buffer.alloc(this.pageSize);
    this.pages.push(page);
    return this.pages.length - 1;
  }

  /** Bytes still free on a page. */
  freeSpace(pageNo) {
    const used = this.pages[pageNo].readUInt32LE(4);
    const free = this.pageSize - HEADER - used;
    return free;
  }

  /**
   * Stores a record (any JSON value) on the first page with room.
   * @returns {{ page: number, slot: number }} where it went
   */
  insert(record) {
    const body = Buffer.from(JSON.stringify(record));
    const needed = body.length + 4;
    if (needed > this.pageSize - HEADER) throw new RangeError('record of ' + body.length + ' bytes does not fit a page');
    let pageNo = this.pages.findIndex((_, n) => this.freeSpace(n) >= needed);
    if (pageNo === -1) pageNo = this.allocate();
    const page = this.pages[pageNo];
    const count = page.readUInt32LE(0);
    const used = page.readUInt32LE(4);
    const at = HEADER + used;
    page.writeUInt32LE(body.length, at);
    body.copy(page, at + 4);
    page.writeUInt32LE(count + 1, 0);
    page.writeUInt32LE(used + needed, 4);
    return { page: pageNo, slot: count };
  }

  /** Reads every record of a page, in slot order. */
  read(pageNo) {
    const page = this.pages[pageNo];
    if (!page) throw new RangeError('no page ' + pageNo);
    const count = page.readUInt32LE(0);
    const records = [];
    let at = HEADER;
    for (let slot = 0; slot < count; slot++) {
      const length = page.readUInt32LE(at);
      records.push(JSON.parse(page.toString('utf8', at + 4, at + 4 + length)));
      at += 4 + length;
    }
    return records;
  }

  /** Every record of every page. */
  scan() {
    return this.pages.flatMap((_, n) => this.read(n));
  }
}
`,
  test: String.raw`import test from 'node:test';
import assert from 'node:assert/strict';
import { Pager } from '../src/pager.js';

test('records round-trip and spill onto new pages', () => {
  const pager = new Pager(64);
  const rows = [];
  for (let i = 0; i < 10; i++) rows.push({ id: i, n: 'r' + i });
  const places = rows.map((row) => pager.insert(row));
  assert.ok(pager.pages.length > 1);
  assert.deepEqual(places[0], { page: 0, slot: 0 });
  assert.deepEqual(pager.scan(), rows);
  for (let n = 0; n < pager.pages.length; n++) assert.ok(pager.freeSpace(n) >= 0);
});

test('a page never overflows its size', () => {
  const pager = new Pager(64);
  pager.insert('x'.repeat(24));
  pager.insert('y'.repeat(24));
  assert.equal(pager.pages.length, 2);
  assert.throws(() => pager.insert('z'.repeat(100)), /does not fit a page/);
  assert.throws(() => pager.read(9), /no page 9/);
});
`,
};

const executor: SimComponent = {
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

const transactions: SimComponent = {
  id: 'transactions',
  title: 'transactions with a write-ahead log',
  requires: [],
  bug: {
    find: "if (entry.op === 'commit') for (const [key, value] of pending.get(entry.tx) ?? []) state.set(key, value);",
    replace: "if (entry.op === 'set') state.set(entry.key, entry.value);",
    note: 'recovery replays uncommitted writes',
  },
  module: String.raw`/**
 * A key-value store with transactions. Every change is logged before it is
 * applied (write-ahead); recovery replays only committed transactions.
 */
export class TransactionalStore {
  /** @param {{ log?: object[] }} [options] an existing log to recover from */
  constructor(options = {}) {
    /** @type {object[]} */
    this.log = options.log ?? [];
    this.data = TransactionalStore.recover(this.log);
    this.nextTx = this.log.reduce((max, entry) => Math.max(max, entry.tx), 0) + 1;
    /** @type {Map<number, Map<string, unknown>>} */
    this.open = new Map();
  }

  /**
   * Rebuilds state from a log.
   * @param {object[]} log
   * @returns {Map<string, unknown>}
   */
  static recover(log) {
    const state = new Map();
    const pending = new Map();
    for (const entry of log) {
      if (entry.op === 'begin') pending.set(entry.tx, new Map());
      if (entry.op === 'set') pending.get(entry.tx)?.set(entry.key, entry.value);
      if (entry.op === 'commit') for (const [key, value] of pending.get(entry.tx) ?? []) state.set(key, value);
      if (entry.op === 'commit' || entry.op === 'rollback') pending.delete(entry.tx);
    }
    return state;
  }

  /** Starts a transaction and returns its id. */
  begin() {
    const tx = this.nextTx++;
    this.log.push({ op: 'begin', tx });
    this.open.set(tx, new Map());
    return tx;
  }

  /** Writes inside a transaction (visible to it, not to others, until commit). */
  set(tx, key, value) {
    const writes = this.writes(tx);
    this.log.push({ op: 'set', tx, key, value });
    writes.set(key, value);
  }

  /** Reads, seeing the transaction's own writes first. */
  get(key, tx) {
    if (tx !== undefined && this.writes(tx).has(key)) return this.writes(tx).get(key);
    return this.data.get(key);
  }

  commit(tx) {
    const writes = this.writes(tx);
    this.log.push({ op: 'commit', tx });
    for (const [key, value] of writes) this.data.set(key, value);
    this.open.delete(tx);
  }

  rollback(tx) {
    this.writes(tx);
    this.log.push({ op: 'rollback', tx });
    this.open.delete(tx);
  }

  writes(tx) {
    const writes = this.open.get(tx);
    if (!writes) throw new Error('transaction ' + tx + ' is not open');
    return writes;
  }
}
`,
  test: String.raw`import test from 'node:test';
import assert from 'node:assert/strict';
import { TransactionalStore } from '../src/transactions.js';

test('isolation until commit, rollback discards', () => {
  const store = new TransactionalStore();
  const a = store.begin();
  store.set(a, 'x', 1);
  assert.equal(store.get('x'), undefined);
  assert.equal(store.get('x', a), 1);
  store.commit(a);
  assert.equal(store.get('x'), 1);
  const b = store.begin();
  store.set(b, 'x', 2);
  store.rollback(b);
  assert.equal(store.get('x'), 1);
  assert.throws(() => store.set(b, 'x', 3), /transaction 2 is not open/);
});

test('recovery replays only committed transactions', () => {
  const store = new TransactionalStore();
  const a = store.begin();
  store.set(a, 'k', 'committed');
  store.commit(a);
  const b = store.begin();
  store.set(b, 'k', 'lost in the crash');
  const recovered = new TransactionalStore({ log: [...store.log] });
  assert.equal(recovered.get('k'), 'committed');
  assert.equal(recovered.begin(), 3);
});
`,
};

export const DATABASE_PROJECT = {
  name: 'MiniDB',
  packageName: 'minidb',
  description: 'A tiny SQL database: tokenizer, parser, B-tree index, pages, executor, transactions with a WAL.',
  components: [tokenizer, parser, btree, pager, executor, transactions],
  vocabulary: ['page', 'index', 'row', 'column', 'cursor', 'latch', 'segment', 'snapshot', 'vacuum', 'schema'],
};
