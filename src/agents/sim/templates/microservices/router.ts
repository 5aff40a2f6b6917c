// ServiceMesh's request router: the module and node:test file the sim writes as
// src/router.js and test/router.test.js, and the bug it can plant there.

import type { SimComponent } from '../component.js';

export const router: SimComponent = {
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
