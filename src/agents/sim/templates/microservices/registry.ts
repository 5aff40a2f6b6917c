// ServiceMesh's service registry: the module and node:test file the sim writes as
// src/registry.js and test/registry.test.js, and the bug it can plant there.

import type { SimComponent } from '../component.js';

export const registry: SimComponent = {
  id: 'registry',
  title: 'service registry',
  requires: [],
  bug: {
    find: 'return now - instance.lastSeen <= this.ttlMs;',
    replace: 'return now - instance.lastSeen < 0;',
    note: 'every instance counts as expired',
  },
  module: String.raw`/**
 * Keeps the live instances of each service. Instances heartbeat; one not
 * seen for ttlMs drops out of lookups. The clock is injectable.
 */
export class ServiceRegistry {
  /** @param {{ ttlMs?: number, now?: () => number }} [options] */
  constructor(options = {}) {
    this.ttlMs = options.ttlMs ?? 10000;
    this.now = options.now ?? Date.now;
    /** @type {Map<string, Map<string, { id: string, address: string, lastSeen: number, meta: object }>>} */
    this.services = new Map();
  }

  /**
   * Registers (or refreshes) an instance.
   * @param {string} service
   * @param {string} id
   * @param {string} address host:port
   * @param {object} [meta]
   */
  register(service, id, address, meta = {}) {
    if (!/^[^:]+:[0-9]+$/.test(address)) throw new Error('address must be host:port, got ' + JSON.stringify(address));
    if (!this.services.has(service)) this.services.set(service, new Map());
    this.services.get(service).set(id, { id, address, lastSeen: this.now(), meta });
  }

  /** Marks an instance alive; false when it is unknown. */
  heartbeat(service, id) {
    const instance = this.services.get(service)?.get(id);
    if (!instance) return false;
    instance.lastSeen = this.now();
    return true;
  }

  deregister(service, id) {
    return this.services.get(service)?.delete(id) ?? false;
  }

  alive(instance, now) {
    return now - instance.lastSeen <= this.ttlMs;
  }

  /**
   * Live instances of a service, sorted by id.
   * @param {string} service
   */
  instances(service) {
    const now = this.now();
    const all = [...(this.services.get(service)?.values() ?? [])];
    return all.filter((instance) => this.alive(instance, now)).sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Removes expired instances; returns how many. */
  prune() {
    const now = this.now();
    let removed = 0;
    for (const instances of this.services.values()) {
      for (const [id, instance] of instances) {
        if (!this.alive(instance, now)) {
          instances.delete(id);
          removed++;
        }
      }
    }
    return removed;
  }
}
`,
  test: String.raw`import test from 'node:test';
import assert from 'node:assert/strict';
import { ServiceRegistry } from '../src/registry.js';

test('registers, looks up and expires instances', () => {
  let now = 0;
  const registry = new ServiceRegistry({ ttlMs: 100, now: () => now });
  registry.register('users', 'b', '10.0.0.2:80');
  registry.register('users', 'a', '10.0.0.1:80');
  assert.deepEqual(registry.instances('users').map((i) => i.id), ['a', 'b']);
  now = 80;
  assert.equal(registry.heartbeat('users', 'a'), true);
  now = 150;
  assert.deepEqual(registry.instances('users').map((i) => i.id), ['a']);
  assert.equal(registry.prune(), 1);
  assert.equal(registry.heartbeat('users', 'b'), false);
});

test('deregister and bad addresses', () => {
  const registry = new ServiceRegistry();
  registry.register('orders', 'x', 'orders:8080');
  assert.equal(registry.deregister('orders', 'x'), true);
  assert.deepEqual(registry.instances('orders'), []);
  assert.throws(() => registry.register('orders', 'y', 'nohost'), /host:port/);
});
`,
};
