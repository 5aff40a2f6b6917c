// ServiceMesh's retry policy: the module and node:test file the sim writes as
// src/retry.js and test/retry.test.js, and the bug it can plant there.

import type { SimComponent } from '../component.js';

export const retry: SimComponent = {
  id: 'retry',
  title: 'retry policy',
  requires: [],
  bug: {
    find: 'return Math.min(this.maxMs, this.baseMs * 2 ** (attempt - 1));',
    replace: 'return Math.min(this.maxMs, this.baseMs * 2 ** attempt);',
    note: 'backoff starts one step too high',
  },
  module: String.raw`/**
 * Exponential backoff with a cap; the sleep function is injectable so tests
 * need not wait.
 */
export class RetryPolicy {
  /** @param {{ attempts?: number, baseMs?: number, maxMs?: number, sleep?: (ms: number) => Promise<void>, retryable?: (error: Error) => boolean }} [options] */
  constructor(options = {}) {
    this.attempts = options.attempts ?? 3;
    this.baseMs = options.baseMs ?? 100;
    this.maxMs = options.maxMs ?? 5000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.retryable = options.retryable ?? (() => true);
  }

  /**
   * Delay before retry number attempt (1-based).
   * @param {number} attempt
   */
  delay(attempt) {
    return Math.min(this.maxMs, this.baseMs * 2 ** (attempt - 1));
  }

  /**
   * Runs fn until it succeeds, the error is not retryable, or attempts run out.
   * @template T
   * @param {(attempt: number) => Promise<T>} fn
   * @returns {Promise<T>}
   */
  async run(fn) {
    let lastError;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      try {
        return await fn(attempt);
      } catch (error) {
        lastError = error;
        if (!this.retryable(error) || attempt === this.attempts) break;
        await this.sleep(this.delay(attempt));
      }
    }
    throw lastError;
  }
}
`,
  test: String.raw`import test from 'node:test';
import assert from 'node:assert/strict';
import { RetryPolicy } from '../src/retry.js';

test('backs off exponentially up to the cap', async () => {
  const slept = [];
  const policy = new RetryPolicy({ attempts: 5, baseMs: 100, maxMs: 500, sleep: async (ms) => { slept.push(ms); } });
  let calls = 0;
  const value = await policy.run(async () => {
    calls++;
    if (calls < 5) throw new Error('flaky');
    return 'done';
  });
  assert.equal(value, 'done');
  assert.deepEqual(slept, [100, 200, 400, 500]);
});

test('stops on a non-retryable error', async () => {
  const policy = new RetryPolicy({ attempts: 4, sleep: async () => {}, retryable: (e) => e.message !== 'fatal' });
  let calls = 0;
  await assert.rejects(policy.run(async () => {
    calls++;
    throw new Error('fatal');
  }), /fatal/);
  assert.equal(calls, 1);
});
`,
};
