import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startControlServer, type ControlServer } from '../../src/control/server.js';
import { createHttpServer, DEFAULT_LIMITS } from '../../src/control/httpServer.js';
import { FakeEngine } from './fakeEngine.js';

let runDir: string;
let engine: FakeEngine;
const servers: ControlServer[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

beforeEach(() => {
  runDir = mkdtempSync(path.join(tmpdir(), 'megatest-control-'));
  engine = new FakeEngine();
});

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  for (const cleanup of cleanups.splice(0)) await cleanup();
  rmSync(runDir, { recursive: true, force: true });
});

async function start(options: Partial<Parameters<typeof startControlServer>[0]> = {}): Promise<ControlServer & { warnings: string[] }> {
  const warnings: string[] = [];
  const server = await startControlServer({ engine, runDir, port: 0, onWarning: (m) => warnings.push(m), ...options });
  servers.push(server);
  return Object.assign(server, { warnings });
}

function call(server: ControlServer, method: string, route: string, init: { body?: string; headers?: Record<string, string>; token?: string | null } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== null) headers.authorization = `Bearer ${init.token ?? server.token}`;
  return fetch(`http://127.0.0.1:${server.port}${route}`, { method, headers, body: init.body, signal: AbortSignal.timeout(10_000) });
}

async function json(response: Response): Promise<any> {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return response.json();
}

/** Sends raw bytes and resolves with everything the server wrote until it closed. */
function rawExchange(port: number, data: string, options: { endAfterWrite?: boolean } = {}): Promise<{ text: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect({ host: '127.0.0.1', port });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (text += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ text, ms: Date.now() - started }));
    socket.on('connect', () => {
      socket.write(data);
      if (options.endAfterWrite) socket.end();
    });
    // A deadline for a stuck test, not an expectation.
    setTimeout(() => reject(new Error(`no close after 60 s; got ${JSON.stringify(text)}`)), 60_000).unref();
  });
}

/** A raw connection that sends `data` and is left open: whether the server has closed it yet, and what it wrote. */
function rawConnection(port: number, data: string): { closed: Promise<{ text: string; ms: number }>; isOpen: () => boolean; destroy: () => void } {
  const started = Date.now();
  const socket = net.connect({ host: '127.0.0.1', port });
  let text = '';
  let open = true;
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => (text += chunk));
  socket.on('error', () => undefined);
  socket.on('connect', () => socket.write(data));
  const closed = new Promise<{ text: string; ms: number }>((resolve, reject) => {
    socket.on('close', () => {
      open = false;
      resolve({ text, ms: Date.now() - started });
    });
    // A deadline for a stuck test, not an expectation.
    setTimeout(() => reject(new Error(`no close after 60 s; got ${JSON.stringify(text)}`)), 60_000).unref();
  });
  closed.catch(() => undefined);
  const destroy = (): void => {
    socket.destroy();
  };
  cleanups.push(destroy);
  return { closed, isOpen: () => open, destroy };
}

/**
 * A server beside the one tested, whose limits are 10 minutes: a client the
 * tested server cuts while the same client of this one is still connected
 * was cut by the tested server's limits, not by Node's defaults or the
 * other end (an ordering, not a time: no loaded machine changes it).
 */
async function patientServer(): Promise<ControlServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'megatest-control-patient-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const server = await startControlServer({ engine, runDir: dir, port: 0, onWarning: () => undefined, limits: { headersTimeoutMs: 600_000, requestTimeoutMs: 600_000 } });
  servers.push(server);
  return server;
}

describe('control API: auth', () => {
  it('answers 401 without a token, 403 with a wrong one, 200 with the right one', async () => {
    const server = await start();
    const none = await call(server, 'GET', '/api/status', { token: null });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await json(none)).error).toMatch(/bearer token/);

    const basic = await call(server, 'GET', '/api/status', { token: null, headers: { authorization: 'Basic Zm9vOmJhcg==' } });
    expect(basic.status).toBe(401);

    const wrong = await call(server, 'GET', '/api/status', { token: 'a'.repeat(64) });
    expect(wrong.status).toBe(403);
    expect((await json(wrong)).error).toMatch(/wrong bearer token/);
    const short = await call(server, 'GET', '/api/status', { token: 'x' });
    expect(short.status).toBe(403);

    const right = await call(server, 'GET', '/api/status');
    expect(right.status).toBe(200);
  });

  it('guards every route, unknown ones included, and never reaches the engine without the token', async () => {
    const server = await start();
    for (const [method, route] of [
      ['GET', '/metrics'],
      ['POST', '/api/checkpoint'],
      ['POST', '/api/restore'],
      ['POST', '/api/stop'],
      ['GET', '/nope'],
    ] as const) {
      const response = await call(server, method, route, { token: null, body: method === 'POST' ? '{"checkpoint":"checkpoint_1"}' : undefined });
      expect(response.status, `${method} ${route}`).toBe(401);
      await response.body?.cancel();
    }
    expect(engine.calls).toEqual([]);
  });

  it('makes a 256-bit token', async () => {
    const server = await start();
    expect(server.token).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('control API: binding', () => {
  it('listens on 127.0.0.1 by default', async () => {
    const server = await start();
    expect(server.host).toBe('127.0.0.1');
    expect(server.warnings).toEqual([]);
    const control = JSON.parse(readFileSync(path.join(runDir, 'control.json'), 'utf8'));
    expect(control.host).toBe('127.0.0.1');
  });

  it('warns before binding anything but loopback', async () => {
    const warnings: string[] = [];
    // 192.0.2.1 (TEST-NET-1) is not on this machine: the warning comes, the bind fails, nothing listens
    await expect(startControlServer({ engine, runDir, port: 0, host: '192.0.2.1', onWarning: (m) => warnings.push(m) })).rejects.toThrow(/cannot listen on 192\.0\.2\.1/);
    expect(warnings.join('\n')).toMatch(/192\.0\.2\.1, not only on loopback/);
    expect(existsSync(path.join(runDir, 'control.json'))).toBe(false);
  });

  it('binds a host name as its address, and control.json records the address', async () => {
    // 'localhost' was refused with every other name, and the run went on with no control API.
    const server = await startControlServer({ engine, runDir, port: 0, host: 'localhost', onWarning: () => undefined });
    cleanups.push(() => server.close());
    expect(net.isIP(server.host)).not.toBe(0);
    const control = JSON.parse(readFileSync(path.join(runDir, 'control.json'), 'utf8')) as { host: string; port: number };
    expect(control).toMatchObject({ host: server.host, port: server.port });
  });

  it('refuses a host name that does not resolve', async () => {
    await expect(startControlServer({ engine, runDir, port: 0, host: 'no-such-host.invalid', onWarning: () => undefined })).rejects.toThrow(/--control-host "no-such-host\.invalid": host name does not resolve/);
  });

  it('moves to the next free port when the asked one is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, resolve));
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const taken = (blocker.address() as net.AddressInfo).port;
    const server = await start({ port: taken });
    expect(server.port).toBeGreaterThan(taken);
    expect(server.port).toBeLessThanOrEqual(taken + 50);
    expect(server.warnings.join('\n')).toContain(`control port ${taken} is taken`);
    expect((await call(server, 'GET', '/api/status')).status).toBe(200);
    const control = JSON.parse(readFileSync(path.join(runDir, 'control.json'), 'utf8'));
    expect(control.port).toBe(server.port);
  });

  it('gives up with a clear error when no port in the range is free', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, resolve));
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const taken = (blocker.address() as net.AddressInfo).port;
    await expect(startControlServer({ engine, runDir, port: taken, portSearch: 0, onWarning: () => undefined })).rejects.toThrow(new RegExp(`port ${taken}\\): EADDRINUSE`));
  });
});

describe('control API: control.json and control.token', () => {
  it('writes both at start (token 0600) and removes them on close', async () => {
    const server = await start();
    const control = JSON.parse(readFileSync(path.join(runDir, 'control.json'), 'utf8'));
    expect(control).toMatchObject({ pid: process.pid, host: '127.0.0.1', port: server.port, session_id: 'fake-session' });
    expect(Number.isFinite(Date.parse(control.started_at))).toBe(true);
    const tokenFile = path.join(runDir, 'control.token');
    expect(readFileSync(tokenFile, 'utf8').trim()).toBe(server.token);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);

    await server.close();
    expect(existsSync(path.join(runDir, 'control.json'))).toBe(false);
    expect(existsSync(tokenFile)).toBe(false);
    await expect(call(server, 'GET', '/api/status')).rejects.toThrow();
    await server.close(); // twice is harmless
  });

  it('leaves another server’s control files alone', async () => {
    const first = await start();
    const second = await start();
    await first.close();
    expect(JSON.parse(readFileSync(path.join(runDir, 'control.json'), 'utf8')).port).toBe(second.port);
    expect(readFileSync(path.join(runDir, 'control.token'), 'utf8').trim()).toBe(second.token);
  });
});

describe('control API: routes', () => {
  it('GET /api/status answers the engine snapshot with the agents', async () => {
    const server = await start();
    const body = await json(await call(server, 'GET', '/api/status'));
    expect(body).toMatchObject({ session_id: 'fake-session', status: 'running', phase: 'development', pid: process.pid, last_checkpoint: null });
    expect(body.metrics.lines_of_code).toBe(3456);
    expect(body.agents.map((a: { name: string }) => a.name)).toEqual(['agent-1', 'agent "2"\\x']);
  });

  it('POST /api/checkpoint answers the event and passes the source', async () => {
    const server = await start();
    const body = await json(await call(server, 'POST', '/api/checkpoint'));
    expect(body).toMatchObject({ ok: true, event: { type: 'checkpoint_created', id: 'checkpoint_001' } });
    await call(server, 'POST', '/api/checkpoint', { headers: { 'X-Megatest-Source': 'cli' } });
    await call(server, 'POST', '/api/checkpoint', { headers: { 'X-Megatest-Source': 'KEY' } });
    expect(engine.calls.map((c) => c.source)).toEqual(['api', 'cli', 'key']);
  });

  it('refuses a source header that is not cli or key', async () => {
    const server = await start();
    for (const source of ['signal', 'bogus', '']) {
      const response = await call(server, 'POST', '/api/checkpoint', { headers: { 'X-Megatest-Source': source } });
      expect(response.status, source).toBe(400);
      expect((await json(response)).error).toMatch(/X-Megatest-Source/);
    }
    expect(engine.calls).toEqual([]);
  });

  it('POST /api/compress with and without ?agent=', async () => {
    const server = await start();
    const all = await json(await call(server, 'POST', '/api/compress'));
    expect(all.events.map((e: { agent: string }) => e.agent)).toEqual(['agent-1', 'agent-2']);
    const one = await json(await call(server, 'POST', '/api/compress?agent=agent-2'));
    expect(one.events).toHaveLength(1);
    expect(engine.calls.map((c) => c.arg)).toEqual([undefined, 'agent-2']);
    const unknown = await call(server, 'POST', '/api/compress?agent=ghost');
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).error).toBe('unknown agent "ghost"');
    const empty = await call(server, 'POST', '/api/compress?agent=');
    expect(empty.status).toBe(400);
  });

  it('POST /api/restore, /api/pause, /api/resume, /api/stop', async () => {
    const server = await start();
    const restored = await json(await call(server, 'POST', '/api/restore', { body: '{"checkpoint":"checkpoint_007"}', headers: { 'content-type': 'application/json' } }));
    expect(restored).toMatchObject({ ok: true, event: { type: 'checkpoint_restored', id: 'checkpoint_007' } });
    expect((await json(await call(server, 'POST', '/api/pause'))).event).toMatchObject({ type: 'command', name: 'pause' });
    const again = await call(server, 'POST', '/api/pause');
    expect(again.status).toBe(409);
    expect((await json(again)).error).toBe('the session is already paused');
    expect((await json(await call(server, 'POST', '/api/resume'))).event).toMatchObject({ type: 'command', name: 'continue' });
    expect((await json(await call(server, 'POST', '/api/stop'))).event).toMatchObject({ type: 'command', name: 'stop' });
    expect(engine.calls.map((c) => c.action)).toEqual(['restore', 'pause', 'pause', 'resume', 'stop']);
  });

  it('maps the engine’s ControlError: restore while stopped is 409, an unknown checkpoint 404', async () => {
    const server = await start();
    const missing = await call(server, 'POST', '/api/restore', { body: '{"checkpoint":"checkpoint_999"}' });
    expect(missing.status).toBe(404);
    await call(server, 'POST', '/api/stop');
    const stopped = await call(server, 'POST', '/api/restore', { body: '{"checkpoint":"checkpoint_001"}' });
    expect(stopped.status).toBe(409);
    expect(await json(stopped)).toEqual({ error: 'cannot restore: the session is stopping' });
  });

  it('answers 500 with a JSON error when the engine fails, and goes on serving', async () => {
    const server = await start();
    engine.failStatus = true;
    const failed = await call(server, 'GET', '/api/status');
    expect(failed.status).toBe(500);
    expect((await json(failed)).error).toBe('internal error: status exploded');
    expect(server.warnings.join('\n')).toMatch(/status exploded/);
    engine.failStatus = false;
    expect((await call(server, 'GET', '/api/status')).status).toBe(200);
  });
});

describe('control API: bad input', () => {
  it('404 for an unknown route, 405 with Allow for a wrong method', async () => {
    const server = await start();
    const unknown = await call(server, 'GET', '/api/nothing');
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).error).toMatch(/no route GET \/api\/nothing/);
    const prototypeName = await call(server, 'GET', '/constructor');
    expect(prototypeName.status).toBe(404);
    await prototypeName.body?.cancel();

    const wrongGet = await call(server, 'GET', '/api/checkpoint');
    expect(wrongGet.status).toBe(405);
    expect(wrongGet.headers.get('allow')).toBe('POST');
    expect((await json(wrongGet)).error).toMatch(/takes POST/);
    const wrongPost = await call(server, 'POST', '/api/status');
    expect(wrongPost.status).toBe(405);
    expect(wrongPost.headers.get('allow')).toBe('GET, HEAD');
    const del = await call(server, 'DELETE', '/metrics');
    expect(del.status).toBe(405);
    await del.body?.cancel();
    expect(engine.calls).toEqual([]);
  });

  it('HEAD on a GET route answers as GET, with no body', async () => {
    // It was 405, which HTTP keeps for a method the resource does not have.
    const server = await start();
    const get = await call(server, 'GET', '/api/status');
    const head = await call(server, 'HEAD', '/api/status');
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
    expect(await head.text()).toBe('');
    await get.body?.cancel();
    const headOfPost = await call(server, 'HEAD', '/api/checkpoint');
    expect(headOfPost.status).toBe(405);
    expect(engine.calls).toEqual([]);
  });

  it('a path that starts with // is the path, not a host: 404 names it as sent', async () => {
    // `//api/status` was read as host "api" and path /status: "no route GET /status".
    const server = await start();
    const response = await call(server, 'GET', '//api/status');
    expect(response.status).toBe(404);
    expect((await json(response)).error).toMatch(/^no route GET \/\/api\/status;/);
  });

  it('a bearer header with more after the token is malformed, not missing', async () => {
    const server = await start();
    const response = await call(server, 'GET', '/api/status', { token: null, headers: { authorization: `Bearer ${server.token} extra` } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="megatest"');
    expect((await json(response)).error).toMatch(/^malformed Authorization header: /);
  });

  it('413 for a body over 64 KiB', async () => {
    const server = await start();
    const big = JSON.stringify({ checkpoint: 'checkpoint_001', pad: 'x'.repeat(70 * 1024) });
    const response = await call(server, 'POST', '/api/restore', { body: big });
    expect(response.status).toBe(413);
    expect((await json(response)).error).toMatch(/65536-byte limit/);
    const huge = await call(server, 'POST', '/api/checkpoint', { body: 'x'.repeat(2 * 1024 * 1024) }).catch((error: Error) => error);
    if (huge instanceof Response) expect(huge.status).toBe(413);
    expect(engine.calls).toEqual([]);
    expect((await call(server, 'GET', '/api/status')).status).toBe(200);
  });

  it('400 for invalid JSON', async () => {
    const server = await start();
    for (const route of ['/api/restore', '/api/checkpoint', '/api/pause']) {
      const response = await call(server, 'POST', route, { body: '{"checkpoint":' });
      expect(response.status, route).toBe(400);
      expect((await json(response)).error).toMatch(/invalid JSON body/);
    }
    expect(engine.calls).toEqual([]);
  });

  it('400 for a restore without a usable checkpoint id, and the engine never sees it', async () => {
    const server = await start();
    const bad = [
      '../x',
      '/etc/passwd',
      'checkpoint_1/../2',
      'checkpoint_abc',
      'checkpoint_',
      'checkpoint_1\n',
      'checkpoint_0000000001',
      '..',
      'checkpoint_001.json',
      'C:\\checkpoint_1',
    ];
    for (const id of bad) {
      const response = await call(server, 'POST', '/api/restore', { body: JSON.stringify({ checkpoint: id }) });
      expect(response.status, id).toBe(400);
      expect((await json(response)).error).toMatch(/not a checkpoint id; expected checkpoint_ followed by digits/);
    }
    for (const body of ['', '[]', '"checkpoint_001"', '{}', '{"checkpoint":7}', '{"checkpoint":null}', 'null']) {
      const response = await call(server, 'POST', '/api/restore', { body });
      expect(response.status, body).toBe(400);
      await response.body?.cancel();
    }
    expect(engine.calls.filter((c) => c.action === 'restore')).toEqual([]);
  });

  it('answers a malformed request with 400 and stays up', async () => {
    const server = await start();
    const reply = await rawExchange(server.port, 'THIS IS NOT HTTP\r\n\r\n');
    expect(reply.text).toMatch(/^HTTP\/1\.1 400/);
    expect((await call(server, 'GET', '/api/status')).status).toBe(200);
  });

  it('rejects headers over 16 KiB', async () => {
    const server = await start();
    const response = await call(server, 'GET', '/api/status', { headers: { 'x-filler': 'y'.repeat(20 * 1024) } }).catch((error: Error) => error);
    if (response instanceof Response) expect(response.status).toBe(431);
    expect((await call(server, 'GET', '/api/status')).status).toBe(200);
  });

  it('cuts a client that sends its headers too slowly (slowloris)', async () => {
    const server = await start({ limits: { headersTimeoutMs: 300, requestTimeoutMs: 600 } });
    const patient = await patientServer();
    const head = (to: ControlServer) => `GET /api/status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${to.token}\r\n`;
    const slow = rawConnection(server.port, head(server));
    const silent = rawConnection(server.port, '');
    const slowBeside = rawConnection(patient.port, head(patient));
    const silentBeside = rawConnection(patient.port, '');
    const reply = await slow.closed;
    expect(reply.text).not.toMatch(/ 200 /);
    const quiet = await silent.closed;
    // Cut by the tested server's limits: the same clients of a server with 10-minute limits are still connected.
    expect(slowBeside.isOpen()).toBe(true);
    expect(silentBeside.isOpen()).toBe(true);
    console.log(`slowloris: a head never finished cut after ${reply.ms} ms, a silent client after ${quiet.ms} ms (limits 300/600 ms)`);
    // What cuts them: the limits given, set on Node's server (its defaults are 60 s and 300 s).
    const made = createHttpServer(engine, 'x'.repeat(64), { ...DEFAULT_LIMITS, headersTimeoutMs: 300, requestTimeoutMs: 600 }, () => undefined);
    expect({ headersTimeout: made.headersTimeout, requestTimeout: made.requestTimeout }).toEqual({ headersTimeout: 300, requestTimeout: 600 });
    slowBeside.destroy();
    silentBeside.destroy();
    expect((await call(server, 'GET', '/api/status')).status).toBe(200);
  });

  it('cuts a client that never finishes its body', async () => {
    const server = await start({ limits: { headersTimeoutMs: 300, requestTimeoutMs: 600 } });
    const patient = await patientServer();
    const request = (to: ControlServer) =>
      `POST /api/restore HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${to.token}\r\nContent-Length: 100\r\n\r\n{"checkpoint"`;
    const unfinished = rawConnection(server.port, request(server));
    const beside = rawConnection(patient.port, request(patient));
    const reply = await unfinished.closed;
    expect(beside.isOpen()).toBe(true);
    console.log(`a body never finished: cut after ${reply.ms} ms (limits 300/600 ms)`);
    beside.destroy();
    expect(engine.calls).toEqual([]);
    // The server's own answer came after: it noticed the client gone, and says nothing of it (no failure of its own).
    expect((await call(server, 'GET', '/api/status')).status).toBe(200);
    expect(server.warnings).toEqual([]);
  });

  it('a client that goes away mid-body is no failure of the server: no warning, and it goes on serving', async () => {
    const server = await start();
    await rawExchange(server.port, `POST /api/pause HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${server.token}\r\nContent-Length: 100\r\n\r\n{`, { endAfterWrite: true });
    expect((await call(server, 'GET', '/api/status')).status).toBe(200);
    expect(engine.calls).toEqual([]);
    expect(server.warnings).toEqual([]);
  });
});

describe('control API: serialization', () => {
  it('answers 100 concurrent checkpoints with 100 distinct ids', async () => {
    const server = await start();
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => call(server, 'POST', '/api/checkpoint').then((r) => json(r) as Promise<{ event: { id: string } }>)),
    );
    const ids = answers.map((a) => a.event.id);
    expect(new Set(ids).size).toBe(100);
    expect(ids.sort()).toEqual(Array.from({ length: 100 }, (_, i) => `checkpoint_${String(i + 1).padStart(3, '0')}`));
    expect(engine.checkpoints).toBe(100);
  });
});
