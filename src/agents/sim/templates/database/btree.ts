// MiniDB's B-tree index: the module and node:test file the sim writes as
// src/btree.js and test/btree.test.js, and the bug it can plant there.

import type { SimComponent } from '../component.js';

export const btree: SimComponent = {
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
