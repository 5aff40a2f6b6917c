// MiniDB's transactions with a write-ahead log: the module and node:test file the sim writes as
// src/transactions.js and test/transactions.test.js, and the bug it can plant there.

import type { SimComponent } from '../component.js';

export const transactions: SimComponent = {
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
