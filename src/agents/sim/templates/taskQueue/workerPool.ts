// RedQueue's worker pool with retries: the module and node:test file the sim writes as
// src/workerPool.js and test/workerPool.test.js, and the bug it can plant there.

import type { SimComponent } from '../component.js';

export const workerPool: SimComponent = {
  id: 'workerPool',
  title: 'worker pool with retries',
  requires: [],
  bug: {
    find: 'while (this.active < this.concurrency && this.waiting.length > 0) {',
    replace: 'while (this.active <= this.concurrency && this.waiting.length > 0) {',
    note: 'runs one job more than the concurrency limit',
  },
  module: String.raw`/**
 * Runs jobs through an async handler with bounded concurrency, retrying a
 * failing job up to maxAttempts times.
 */
export class WorkerPool {
  /**
   * @param {(job: unknown) => Promise<unknown>} handler
   * @param {{ concurrency?: number, maxAttempts?: number }} [options]
   */
  constructor(handler, options = {}) {
    this.handler = handler;
    this.concurrency = options.concurrency ?? 4;
    this.maxAttempts = options.maxAttempts ?? 3;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) {
      throw new RangeError('concurrency must be a positive integer, got ' + this.concurrency);
    }
    this.active = 0;
    this.peak = 0;
    this.completed = 0;
    this.failed = 0;
    /** @type {{ job: unknown, attempt: number, resolve: Function }[]} */
    this.waiting = [];
    /** @type {Function[]} */
    this.idleWaiters = [];
  }

  /**
   * Queues a job; resolves with its outcome once it succeeded or ran out of attempts.
   * @param {unknown} job
   * @returns {Promise<{ ok: boolean, attempts: number, value?: unknown, error?: Error }>}
   */
  submit(job) {
    return new Promise((resolve) => {
      this.waiting.push({ job, attempt: 1, resolve });
      this.drain();
    });
  }

  drain() {
    while (this.active < this.concurrency && this.waiting.length > 0) {
      const entry = this.waiting.shift();
      this.active++;
      this.peak = Math.max(this.peak, this.active);
      this.run(entry);
    }
    if (this.active === 0 && this.waiting.length === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  async run(entry) {
    try {
      const value = await this.handler(entry.job);
      this.completed++;
      entry.resolve({ ok: true, attempts: entry.attempt, value });
    } catch (error) {
      if (entry.attempt < this.maxAttempts) {
        this.waiting.push({ ...entry, attempt: entry.attempt + 1 });
      } else {
        this.failed++;
        entry.resolve({ ok: false, attempts: entry.attempt, error });
      }
    } finally {
      this.active--;
      this.drain();
    }
  }

  /** Resolves when no job is running or waiting. */
  idle() {
    if (this.active === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
`,
  test: String.raw`import test from 'node:test';
import assert from 'node:assert/strict';
import { WorkerPool } from '../src/workerPool.js';

test('never runs more jobs at once than its concurrency', async () => {
  const pool = new WorkerPool(async (n) => {
    await new Promise((resolve) => setImmediate(resolve));
    return n * 2;
  }, { concurrency: 2 });
  const results = await Promise.all([1, 2, 3, 4, 5].map((n) => pool.submit(n)));
  assert.deepEqual(results.map((r) => r.value), [2, 4, 6, 8, 10]);
  assert.equal(pool.peak, 2);
  assert.equal(pool.completed, 5);
});

test('retries a failing job, then reports the failure', async () => {
  let calls = 0;
  const pool = new WorkerPool(async () => {
    calls++;
    throw new Error('boom');
  }, { concurrency: 1, maxAttempts: 3 });
  const outcome = await pool.submit('x');
  assert.equal(outcome.ok, false);
  assert.equal(outcome.attempts, 3);
  assert.equal(calls, 3);
  assert.equal(pool.failed, 1);
  await pool.idle();
});

test('rejects a bad concurrency', () => {
  assert.throws(() => new WorkerPool(async () => 0, { concurrency: 0 }), /positive integer/);
});
`,
};
