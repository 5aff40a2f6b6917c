// ServiceMesh (microservices): service-mesh building blocks, written by the
// sim as a small real JavaScript project.

import type { SimComponent } from './component.js';

const registry: SimComponent = {
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

const loadBalancer: SimComponent = {
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

const circuitBreaker: SimComponent = {
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

const retry: SimComponent = {
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

const health: SimComponent = {
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

const router: SimComponent = {
  id: 'router',
  title: 'request router',
  requires: [],
  bug: {
    find: "if (pattern.startsWith(':')) params[pattern.slice(1)] = decodeURIComponent(part);",
    replace: "if (pattern.startsWith(':')) params[pattern] = decodeURIComponent(part);",
    note: 'path parameters keep their colon',
  },
  module: String.raw`/**
 * Routes method + path to a handler; paths may hold :params and a trailing *.
 */
export class Router {
  constructor() {
    /** @type {{ method: string, parts: string[], handler: Function }[]} */
    this.routes = [];
  }

  /**
   * @param {string} method GET, POST, … or * for any
   * @param {string} path e.g. /users/:id
   * @param {Function} handler
   */
  add(method, path, handler) {
    if (!path.startsWith('/')) throw new Error('route path must start with /, got ' + path);
    this.routes.push({ method: method.toUpperCase(), parts: path.split('/').filter(Boolean), handler });
    return this;
  }

  /**
   * Finds the first matching route.
   * @returns {{ handler: Function, params: Record<string, string> } | null}
   */
  match(method, path) {
    const parts = path.split('?')[0].split('/').filter(Boolean);
    for (const route of this.routes) {
      if (route.method !== '*' && route.method !== method.toUpperCase()) continue;
      const params = this.bind(route.parts, parts);
      if (params) return { handler: route.handler, params };
    }
    return null;
  }

  bind(patterns, parts) {
    const params = {};
    for (let i = 0; i < patterns.length; i++) {
      const pattern = patterns[i];
      if (pattern === '*') {
        params['*'] = parts.slice(i).join('/');
        return params;
      }
      const part = parts[i];
      if (part === undefined) return null;
      if (pattern.startsWith(':')) params[pattern.slice(1)] = decodeURIComponent(part);
      else if (pattern !== part) return null;
    }
    return patterns.length === parts.length ? params : null;
  }

  /** Dispatches a request object { method, path } to its handler, or a 404 reply. */
  handle(request) {
    const found = this.match(request.method, request.path);
    if (!found) return { status: 404, body: 'no route for ' + request.method + ' ' + request.path };
    return found.handler({ ...request, params: found.params });
  }
}
`,
  test: String.raw`import test from 'node:test';
import assert from 'node:assert/strict';
import { Router } from '../src/router.js';

test('matches params, wildcards and methods', () => {
  const router = new Router()
    .add('GET', '/users/:id', (req) => ({ status: 200, body: 'user ' + req.params.id }))
    .add('*', '/static/*', (req) => ({ status: 200, body: req.params['*'] }));
  assert.deepEqual(router.handle({ method: 'get', path: '/users/a%20b?x=1' }), { status: 200, body: 'user a b' });
  assert.deepEqual(router.handle({ method: 'POST', path: '/static/css/site.css' }), { status: 200, body: 'css/site.css' });
  assert.equal(router.handle({ method: 'POST', path: '/users/1' }).status, 404);
  assert.equal(router.match('GET', '/users/1/extra'), null);
  assert.throws(() => router.add('GET', 'users', () => 0), /must start with \//);
});
`,
};

const metrics: SimComponent = {
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

export const MICROSERVICES_PROJECT = {
  name: 'ServiceMesh',
  packageName: 'servicemesh',
  description: 'Service-mesh building blocks: registry, load balancing, circuit breaking, retries, health, routing, metrics.',
  components: [registry, loadBalancer, circuitBreaker, retry, health, router, metrics],
  vocabulary: ['service', 'endpoint', 'upstream', 'sidecar', 'timeout', 'quota', 'canary', 'tenant', 'route', 'budget'],
};
