// ServiceMesh's load balancer: the module and node:test file the sim writes as
// src/loadBalancer.js and test/loadBalancer.test.js, and the bug it can plant there.

import type { SimComponent } from '../component.js';

export const loadBalancer: SimComponent = {
  id: 'loadBalancer',
  title: 'load balancer',
  requires: [],
  bug: {
    find: 'const target = this.targets[this.cursor % this.targets.length];\n    this.cursor++;',
    replace: 'const target = this.targets[this.cursor % this.targets.length];',
    note: 'round robin never advances',
  },
  module: String.raw`/**
 * Picks a backend for each request: round robin, least connections, or
 * weighted (deterministic smooth weighted round robin, as nginx does).
 */
export class LoadBalancer {
  /**
   * @param {{ id: string, weight?: number }[]} targets
   * @param {'round_robin' | 'least_connections' | 'weighted'} [strategy]
   */
  constructor(targets, strategy = 'round_robin') {
    if (targets.length === 0) throw new Error('a load balancer needs at least one target');
    if (!['round_robin', 'least_connections', 'weighted'].includes(strategy)) throw new Error('unknown strategy ' + strategy);
    this.targets = targets.map((t) => ({ id: t.id, weight: t.weight ?? 1, current: 0, active: 0 }));
    this.strategy = strategy;
    this.cursor = 0;
  }

  /** Chooses a target and counts a connection on it; call release() when done. */
  acquire() {
    const target = this.choose();
    target.active++;
    return target.id;
  }

  release(id) {
    const target = this.targets.find((t) => t.id === id);
    if (target && target.active > 0) target.active--;
  }

  choose() {
    if (this.strategy === 'least_connections') {
      return this.targets.reduce((best, t) => (t.active < best.active ? t : best));
    }
    if (this.strategy === 'weighted') {
      const total = this.targets.reduce((sum, t) => sum + t.weight, 0);
      let best = this.targets[0];
      for (const t of this.targets) {
        t.current += t.weight;
        if (t.current > best.current) best = t;
      }
      best.current -= total;
      return best;
    }
    const target = this.targets[this.cursor % this.targets.length];
    this.cursor++;
    return target;
  }
}
`,
  test: String.raw`import test from 'node:test';
import assert from 'node:assert/strict';
import { LoadBalancer } from '../src/loadBalancer.js';

test('round robin cycles', () => {
  const lb = new LoadBalancer([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
  assert.deepEqual([1, 2, 3, 4].map(() => lb.acquire()), ['a', 'b', 'c', 'a']);
});

test('least connections prefers the idle target', () => {
  const lb = new LoadBalancer([{ id: 'a' }, { id: 'b' }], 'least_connections');
  assert.equal(lb.acquire(), 'a');
  assert.equal(lb.acquire(), 'b');
  lb.release('a');
  assert.equal(lb.acquire(), 'a');
});

test('weighted spreads by weight', () => {
  const lb = new LoadBalancer([{ id: 'a', weight: 3 }, { id: 'b', weight: 1 }], 'weighted');
  const picks = Array.from({ length: 8 }, () => lb.acquire());
  assert.equal(picks.filter((p) => p === 'a').length, 6);
  assert.throws(() => new LoadBalancer([]), /at least one target/);
  assert.throws(() => new LoadBalancer([{ id: 'a' }], 'random'), /unknown strategy random/);
});
`,
};
