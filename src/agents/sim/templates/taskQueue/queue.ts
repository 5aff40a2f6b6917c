// RedQueue's priority queue with delayed jobs: the module and node:test file the sim writes as
// src/queue.js and test/queue.test.js, and the bug it can plant there.

import type { SimComponent } from '../component.js';

export const queue: SimComponent = {
  id: 'queue',
  title: 'priority queue with delayed jobs',
  requires: [],
  bug: {
    find: 'if (a.priority !== b.priority) return b.priority - a.priority;',
    replace: 'if (a.priority !== b.priority) return a.priority - b.priority;',
    note: 'priority order reversed',
  },
  module: String.raw`/**
 * @typedef {{ id: number, name: string, payload: unknown, priority: number, readyAt: number, seq: number }} Job
 */

function before(a, b) {
  if (a.priority !== b.priority) return b.priority - a.priority;
  return a.seq - b.seq;
}

/**
 * A job queue: higher priority first, first-in first-out within a priority,
 * delayed jobs held back until their time. The clock is injectable for tests.
 */
export class JobQueue {
  /** @param {{ now?: () => number }} [options] */
  constructor(options = {}) {
    this.now = options.now ?? Date.now;
    /** @type {Job[]} */
    this.ready = [];
    /** @type {Job[]} */
    this.delayed = [];
    this.seq = 0;
  }

  /**
   * Adds a job.
   * @param {string} name
   * @param {unknown} payload
   * @param {{ priority?: number, delayMs?: number }} [options]
   * @returns {number} the job id
   */
  push(name, payload, options = {}) {
    const seq = ++this.seq;
    const job = { id: seq, name, payload, priority: options.priority ?? 0, readyAt: this.now() + (options.delayMs ?? 0), seq };
    if (job.readyAt > this.now()) this.delayed.push(job);
    else this.insert(job);
    return job.id;
  }

  insert(job) {
    let index = this.ready.length;
    while (index > 0 && before(job, this.ready[index - 1]) < 0) index--;
    this.ready.splice(index, 0, job);
  }

  /** Moves delayed jobs whose time has come into the ready list. */
  promote() {
    const now = this.now();
    const still = [];
    for (const job of this.delayed) {
      if (job.readyAt <= now) this.insert(job);
      else still.push(job);
    }
    this.delayed = still;
  }

  /**
   * Takes the next ready job.
   * @returns {Job | undefined}
   */
  pop() {
    this.promote();
    return this.ready.shift();
  }

  /** Jobs ready now plus jobs waiting for their delay. */
  get size() {
    return this.ready.length + this.delayed.length;
  }

  /** Removes a job by id wherever it waits. */
  cancel(id) {
    const before = this.size;
    this.ready = this.ready.filter((job) => job.id !== id);
    this.delayed = this.delayed.filter((job) => job.id !== id);
    return this.size < before;
  }
}
`,
  test: String.raw`import test from 'node:test';
import assert from 'node:assert/strict';
import { JobQueue } from '../src/queue.js';

test('higher priority first, FIFO within a priority', () => {
  const queue = new JobQueue();
  queue.push('low', 1, { priority: 1 });
  queue.push('high', 2, { priority: 9 });
  queue.push('low2', 3, { priority: 1 });
  assert.deepEqual([queue.pop().name, queue.pop().name, queue.pop().name], ['high', 'low', 'low2']);
  assert.equal(queue.pop(), undefined);
});

test('delayed jobs wait for their time', () => {
  let now = 1000;
  const queue = new JobQueue({ now: () => now });
  queue.push('later', null, { delayMs: 500 });
  queue.push('now', null);
  assert.equal(queue.pop().name, 'now');
  assert.equal(queue.pop(), undefined);
  assert.equal(queue.size, 1);
  now = 1500;
  assert.equal(queue.pop().name, 'later');
});

test('cancel removes ready and delayed jobs', () => {
  const queue = new JobQueue({ now: () => 0 });
  const a = queue.push('a', null);
  const b = queue.push('b', null, { delayMs: 10 });
  assert.equal(queue.cancel(a), true);
  assert.equal(queue.cancel(b), true);
  assert.equal(queue.cancel(b), false);
  assert.equal(queue.size, 0);
});
`,
};
