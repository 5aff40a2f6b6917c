// RedQueue's queue statistics: the module and node:test file the sim writes as
// src/stats.js and test/stats.test.js, and the bug it can plant there.

import type { SimComponent } from '../component.js';

export const stats: SimComponent = {
  id: 'stats',
  title: 'queue statistics',
  requires: [],
  bug: {
    find: 'const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);',
    replace: 'const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length));',
    note: 'percentile index off by one',
  },
  module: String.raw`/**
 * Counts processed and failed jobs and keeps a window of latencies to report
 * percentiles and throughput.
 */
export class QueueStats {
  /** @param {{ window?: number, now?: () => number }} [options] */
  constructor(options = {}) {
    this.window = options.window ?? 1000;
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.processed = 0;
    this.failed = 0;
    /** @type {number[]} */
    this.latencies = [];
  }

  /**
   * Records one finished job.
   * @param {number} latencyMs
   * @param {boolean} [ok]
   */
  record(latencyMs, ok = true) {
    if (ok) this.processed++;
    else this.failed++;
    this.latencies.push(latencyMs);
    if (this.latencies.length > this.window) this.latencies.shift();
  }

  /**
   * Nearest-rank percentile of the recorded latencies.
   * @param {number} p 0–100
   */
  percentile(p) {
    if (this.latencies.length === 0) return 0;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
    return sorted[Math.max(0, index)];
  }

  /** Jobs per second since the stats began. */
  throughput() {
    const seconds = (this.now() - this.startedAt) / 1000;
    return seconds > 0 ? (this.processed + this.failed) / seconds : 0;
  }

  /** A plain summary object, e.g. for an INFO command. */
  snapshot() {
    return {
      processed: this.processed,
      failed: this.failed,
      p50: this.percentile(50),
      p99: this.percentile(99),
      throughput: this.throughput(),
    };
  }
}
`,
  test: String.raw`import test from 'node:test';
import assert from 'node:assert/strict';
import { QueueStats } from '../src/stats.js';

test('nearest-rank percentiles', () => {
  const stats = new QueueStats();
  for (let ms = 1; ms <= 10; ms++) stats.record(ms);
  assert.equal(stats.percentile(50), 5);
  assert.equal(stats.percentile(90), 9);
  assert.equal(stats.percentile(100), 10);
  assert.equal(new QueueStats().percentile(50), 0);
});

test('throughput and window', () => {
  let now = 0;
  const stats = new QueueStats({ window: 3, now: () => now });
  stats.record(5);
  stats.record(7, false);
  stats.record(9);
  stats.record(11);
  now = 2000;
  assert.equal(stats.latencies.length, 3);
  assert.equal(stats.throughput(), 2);
  assert.deepEqual({ ...stats.snapshot(), throughput: 0 }, { processed: 3, failed: 1, p50: 9, p99: 11, throughput: 0 });
});
`,
};
