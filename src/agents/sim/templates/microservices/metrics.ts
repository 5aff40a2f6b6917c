// ServiceMesh's metrics: the module and node:test file the sim writes as
// src/metrics.js and test/metrics.test.js, and the bug it can plant there.

import type { SimComponent } from '../component.js';

export const metrics: SimComponent = {
  id: 'metrics',
  title: 'metrics',
  requires: [],
  bug: {
    find: 'if (value <= bound) counts[i]++;',
    replace: 'if (value < bound) counts[i]++;',
    note: 'histogram buckets exclude their upper bound',
  },
  module: String.raw`/**
 * Counters and histograms with the Prometheus text exposition format.
 */
export class MetricsRegistry {
  constructor() {
    /** @type {Map<string, { type: 'counter' | 'histogram', help: string, value?: number, buckets?: number[], counts?: number[], sum?: number, count?: number }>} */
    this.metrics = new Map();
  }

  /** Adds to a counter, creating it on first use. */
  inc(name, help = '', by = 1) {
    if (by < 0) throw new RangeError('a counter only goes up');
    const metric = this.metrics.get(name) ?? { type: 'counter', help, value: 0 };
    metric.value += by;
    this.metrics.set(name, metric);
  }

  /**
   * Records an observation in a histogram (buckets are upper bounds).
   * @param {string} name
   * @param {number} value
   * @param {number[]} [buckets]
   */
  observe(name, value, buckets = [5, 10, 25, 50, 100, 250, 500, 1000]) {
    let metric = this.metrics.get(name);
    if (!metric) {
      metric = { type: 'histogram', help: '', buckets: [...buckets].sort((a, b) => a - b), counts: buckets.map(() => 0), sum: 0, count: 0 };
      this.metrics.set(name, metric);
    }
    const counts = metric.counts;
    metric.buckets.forEach((bound, i) => {
      if (value <= bound) counts[i]++;
    });
    metric.sum += value;
    metric.count++;
  }

  /** The Prometheus text format. */
  expose() {
    const lines = [];
    for (const [name, metric] of this.metrics) {
      if (metric.help) lines.push('# HELP ' + name + ' ' + metric.help);
      lines.push('# TYPE ' + name + ' ' + metric.type);
      if (metric.type === 'counter') {
        lines.push(name + ' ' + metric.value);
        continue;
      }
      metric.buckets.forEach((bound, i) => lines.push(name + '_bucket{le="' + bound + '"} ' + metric.counts[i]));
      lines.push(name + '_bucket{le="+Inf"} ' + metric.count);
      lines.push(name + '_sum ' + metric.sum);
      lines.push(name + '_count ' + metric.count);
    }
    return lines.join('\n') + '\n';
  }
}
`,
  test: String.raw`import test from 'node:test';
import assert from 'node:assert/strict';
import { MetricsRegistry } from '../src/metrics.js';

test('counters and histograms in Prometheus text', () => {
  const registry = new MetricsRegistry();
  registry.inc('requests_total', 'Requests served');
  registry.inc('requests_total', 'Requests served', 2);
  registry.observe('latency_ms', 10, [10, 100]);
  registry.observe('latency_ms', 50, [10, 100]);
  registry.observe('latency_ms', 500, [10, 100]);
  assert.equal(registry.expose(), [
    '# HELP requests_total Requests served',
    '# TYPE requests_total counter',
    'requests_total 3',
    '# TYPE latency_ms histogram',
    'latency_ms_bucket{le="10"} 1',
    'latency_ms_bucket{le="100"} 2',
    'latency_ms_bucket{le="+Inf"} 3',
    'latency_ms_sum 560',
    'latency_ms_count 3',
    '',
  ].join('\n'));
  assert.throws(() => registry.inc('requests_total', '', -1), /only goes up/);
});
`,
};
