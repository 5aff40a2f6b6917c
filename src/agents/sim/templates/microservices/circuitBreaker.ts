// ServiceMesh's circuit breaker: the module and node:test file the sim writes as
// src/circuitBreaker.js and test/circuitBreaker.test.js, and the bug it can plant there.

import type { SimComponent } from '../component.js';

export const circuitBreaker: SimComponent = {
  id: 'circuitBreaker',
  title: 'circuit breaker',
  requires: [],
  bug: {
    find: "if (this.state === 'half_open' || this.failures >= this.threshold) this.trip();",
    replace: "if (this.failures > this.threshold) this.trip();",
    note: 'trips one failure late and not from half-open',
  },
  module: String.raw`/**
 * Closed → open after threshold consecutive failures; open → half-open after
 * resetMs; a success in half-open closes it, a failure opens it again.
 */
export class CircuitBreaker {
  /** @param {{ threshold?: number, resetMs?: number, now?: () => number }} [options] */
  constructor(options = {}) {
    this.threshold = options.threshold ?? 5;
    this.resetMs = options.resetMs ?? 30000;
    this.now = options.now ?? Date.now;
    /** @type {'closed' | 'open' | 'half_open'} */
    this.state = 'closed';
    this.failures = 0;
    this.openedAt = 0;
  }

  /** Whether a call may go through now. */
  allows() {
    if (this.state === 'open' && this.now() - this.openedAt >= this.resetMs) this.state = 'half_open';
    return this.state !== 'open';
  }

  /**
   * Runs fn through the breaker.
   * @template T
   * @param {() => Promise<T>} fn
   * @returns {Promise<T>}
   */
  async call(fn) {
    if (!this.allows()) throw new Error('circuit open');
    try {
      const value = await fn();
      this.onSuccess();
      return value;
    } catch (error) {
      this.onFailure();
      throw error;
    }
  }

  onSuccess() {
    this.failures = 0;
    this.state = 'closed';
  }

  onFailure() {
    this.failures++;
    if (this.state === 'half_open' || this.failures >= this.threshold) this.trip();
  }

  trip() {
    this.state = 'open';
    this.openedAt = this.now();
  }
}
`,
  test: String.raw`import test from 'node:test';
import assert from 'node:assert/strict';
import { CircuitBreaker } from '../src/circuitBreaker.js';

const fail = async () => {
  throw new Error('down');
};

test('opens after the threshold and rejects fast', async () => {
  let now = 0;
  const breaker = new CircuitBreaker({ threshold: 2, resetMs: 1000, now: () => now });
  await assert.rejects(breaker.call(fail), /down/);
  assert.equal(breaker.state, 'closed');
  await assert.rejects(breaker.call(fail), /down/);
  assert.equal(breaker.state, 'open');
  await assert.rejects(breaker.call(async () => 1), /circuit open/);
});

test('half-open closes on success and reopens on failure', async () => {
  let now = 0;
  const breaker = new CircuitBreaker({ threshold: 1, resetMs: 100, now: () => now });
  await assert.rejects(breaker.call(fail));
  now = 100;
  await assert.rejects(breaker.call(fail), /down/);
  assert.equal(breaker.state, 'open');
  now = 250;
  assert.equal(await breaker.call(async () => 'ok'), 'ok');
  assert.equal(breaker.state, 'closed');
});
`,
};
