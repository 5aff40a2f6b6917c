// ServiceMesh's health checks: the module and node:test file the sim writes as
// src/health.js and test/health.test.js, and the bug it can plant there.

import type { SimComponent } from '../component.js';

export const health: SimComponent = {
  id: 'health',
  title: 'health checks',
  requires: [],
  bug: {
    find: "const status = results.some((r) => r.status === 'down' && r.critical) ? 'down' : results.some((r) => r.status !== 'up') ? 'degraded' : 'up';",
    replace: "const status = results.some((r) => r.status === 'down' && r.critical) ? 'down' : 'up';",
    note: 'a failing non-critical check is not reported as degraded',
  },
  module: String.raw`/**
 * Runs named health checks with a timeout and folds them into one status:
 * down if a critical check fails, degraded if any other fails, else up.
 */
export class HealthChecker {
  /** @param {{ timeoutMs?: number }} [options] */
  constructor(options = {}) {
    this.timeoutMs = options.timeoutMs ?? 1000;
    /** @type {{ name: string, check: () => Promise<unknown>, critical: boolean }[]} */
    this.checks = [];
  }

  /**
   * Adds a check; it fails by throwing or by taking longer than the timeout.
   * @param {string} name
   * @param {() => Promise<unknown>} check
   * @param {{ critical?: boolean }} [options]
   */
  add(name, check, options = {}) {
    this.checks.push({ name, check, critical: options.critical ?? true });
  }

  async runOne(entry) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out after ' + this.timeoutMs + ' ms')), this.timeoutMs);
    });
    try {
      await Promise.race([entry.check(), timeout]);
      return { name: entry.name, status: 'up', critical: entry.critical };
    } catch (error) {
      return { name: entry.name, status: 'down', critical: entry.critical, error: error.message };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs every check. */
  async report() {
    const results = await Promise.all(this.checks.map((entry) => this.runOne(entry)));
    const status = results.some((r) => r.status === 'down' && r.critical) ? 'down' : results.some((r) => r.status !== 'up') ? 'degraded' : 'up';
    return { status, checks: results };
  }
}
`,
  test: String.raw`import test from 'node:test';
import assert from 'node:assert/strict';
import { HealthChecker } from '../src/health.js';

test('up, degraded and down', async () => {
  const checker = new HealthChecker({ timeoutMs: 50 });
  checker.add('db', async () => true);
  assert.equal((await checker.report()).status, 'up');
  checker.add('cache', async () => { throw new Error('no cache'); }, { critical: false });
  const degraded = await checker.report();
  assert.equal(degraded.status, 'degraded');
  assert.equal(degraded.checks[1].error, 'no cache');
  checker.add('disk', () => new Promise(() => {}));
  const down = await checker.report();
  assert.equal(down.status, 'down');
  assert.match(down.checks[2].error, /timed out after 50 ms/);
});
`,
};
