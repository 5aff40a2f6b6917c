// MiniDB's storage pages: the module and node:test file the sim writes as
// src/pager.js and test/pager.test.js, and the bug it can plant there.

import type { SimComponent } from '../component.js';

export const pager: SimComponent = {
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
