// The control API (DESIGN §10): HTTP/1.1 JSON on loopback, every request
// authorized by the bearer token in control.token. The server holds no state
// of the session: it authenticates, validates and hands each request to the
// engine, which serializes it with its own work and records the command.
// Nothing a client sends may take the orchestrator down, so every handler is
// caught, bodies are bounded and slow clients are timed out.

import http from 'node:http';
import net from 'node:net';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { Socket } from 'node:net';
import { writeFileAtomic } from '../io/atomic.js';
import { runPaths } from '../io/runFolder.js';
import type { CommandSource } from '../contract/events.js';
import { CHECKPOINT_ID_PATTERN, ControlError, type EngineControl } from '../contract/control.js';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from './prometheus.js';

export interface ControlServer {
  port: number;
  host: string;
  token: string;
  close(): Promise<void>;
}

/** What control.json holds; the client reads it to find the server. */
export interface ControlFile {
  pid: number;
  host: string;
  port: number;
  started_at: string;
  session_id?: string;
}

export interface ControlServerLimits {
  /** Whole request head must arrive within this (slowloris). */
  headersTimeoutMs: number;
  /** Whole request, head and body, must arrive within this. */
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxBodyBytes: number;
  /** How long close() lets requests in flight finish before cutting them. */
  closeGraceMs: number;
}

export const DEFAULT_LIMITS: ControlServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxBodyBytes: 64 * 1024,
  closeGraceMs: 3_000,
};

export const DEFAULT_HOST = '127.0.0.1';
export const SOURCE_HEADER = 'x-megatest-source';
const HEADER_SOURCES: readonly CommandSource[] = ['api', 'cli', 'key'];
/** A body this much over the limit is not even drained: the connection is cut. */
const DRAIN_FACTOR = 16;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

type Reply = { status: number; json: unknown } | { status: number; text: string; contentType: string };

interface RouteContext {
  url: URL;
  source: CommandSource;
  body: string;
}

interface Route {
  method: 'GET' | 'POST';
  handle(context: RouteContext): Promise<Reply>;
}

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  if (net.isIPv6(host)) return host === '::1' || host.toLowerCase().startsWith('::ffff:127.');
  return false;
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function parseJsonBody(body: string): unknown {
  if (body.trim() === '') return undefined;
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new HttpError(400, `invalid JSON body: ${(error as Error).message}`);
  }
}

function checkpointIdFrom(body: string): string {
  const parsed = parseJsonBody(body);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, 'expected a JSON object body like {"checkpoint":"checkpoint_007"}');
  }
  const id = (parsed as Record<string, unknown>).checkpoint;
  if (id === undefined) throw new HttpError(400, 'missing "checkpoint" in the body; expected {"checkpoint":"checkpoint_007"}');
  // Validated before the engine sees it: an id is never a path.
  if (typeof id !== 'string' || !CHECKPOINT_ID_PATTERN.test(id)) {
    throw new HttpError(400, `"checkpoint" ${describeValue(id)} is not a checkpoint id; expected checkpoint_ followed by digits, e.g. checkpoint_007`);
  }
  return id;
}

function agentFrom(url: URL): string | undefined {
  const values = url.searchParams.getAll('agent');
  if (values.length === 0) return undefined;
  if (values.length > 1) throw new HttpError(400, 'give ?agent= at most once');
  const agent = values[0]!;
  if (agent === '' || agent.length > 128 || /[\u0000-\u001f\u007f]/.test(agent)) {
    throw new HttpError(400, `?agent=${describeValue(agent)}: expected an agent name (1-128 printable characters), or no ?agent= for every agent`);
  }
  return agent;
}

function buildRoutes(engine: EngineControl): Record<string, Route> {
  const action = (run: (context: RouteContext) => Promise<unknown>, key: 'event' | 'events' = 'event'): Route => ({
    method: 'POST',
    handle: async (context) => ({ status: 200, json: { ok: true, [key]: await run(context) } }),
  });
  return {
    '/api/status': {
      method: 'GET',
      handle: async () => {
        const snapshot = engine.status();
        return { status: 200, json: { ...snapshot, agents: snapshot.metrics?.agents ?? [] } };
      },
    },
    '/metrics': {
      method: 'GET',
      handle: async () => {
        const metrics = engine.metrics();
        const text = metrics
          ? await renderPrometheus(metrics, metrics.session_id || engine.status().session_id)
          : '# megatest: no metrics snapshot taken yet\n';
        return { status: 200, text, contentType: PROMETHEUS_CONTENT_TYPE };
      },
    },
    '/api/checkpoint': action(({ body, source }) => {
      parseJsonBody(body);
      return engine.checkpoint(source);
    }),
    '/api/compress': action(({ url, body, source }) => {
      parseJsonBody(body);
      return engine.compress(agentFrom(url), source);
    }, 'events'),
    '/api/restore': action(({ body, source }) => engine.restore(checkpointIdFrom(body), source)),
    '/api/pause': action(({ body, source }) => {
      parseJsonBody(body);
      return engine.pause(source);
    }),
    '/api/resume': action(({ body, source }) => {
      parseJsonBody(body);
      return engine.resume(source);
    }),
    '/api/stop': action(({ body, source }) => {
      parseJsonBody(body);
      return engine.stop(source);
    }),
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** 'missing' -> 401, 'wrong' -> 403. Compared as digests so the time taken says nothing about the token. */
function authorize(header: string | undefined, tokenDigest: Buffer): 'ok' | 'missing' | 'wrong' {
  if (header === undefined) return 'missing';
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  if (!match) return 'missing';
  return timingSafeEqual(digest(match[1]!), tokenDigest) ? 'ok' : 'wrong';
}

function sourceFrom(request: http.IncomingMessage): CommandSource {
  const raw = request.headers[SOURCE_HEADER];
  if (raw === undefined) return 'api';
  const value = (Array.isArray(raw) ? raw.join(',') : raw).trim().toLowerCase();
  if (!(HEADER_SOURCES as readonly string[]).includes(value)) {
    throw new HttpError(400, `X-Megatest-Source ${describeValue(value)}: expected cli or key (or leave it out for api)`);
  }
  return value as CommandSource;
}

function readBody(request: http.IncomingMessage, limit: number): Promise<string> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit * DRAIN_FACTOR) {
    return Promise.reject(new HttpError(413, `request body of ${declared} bytes is over the ${limit}-byte limit`, { connection: 'close' }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > limit * DRAIN_FACTOR) {
        // Past what is worth draining so the client can read the answer.
        request.pause();
        reject(new HttpError(413, `request body over the ${limit}-byte limit`, { connection: 'close' }));
      }
    });
    request.on('end', () => {
      if (size > limit) reject(new HttpError(413, `request body of ${size} bytes is over the ${limit}-byte limit`));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', reject);
    request.on('close', () => {
      if (!request.complete) reject(new HttpError(400, 'request aborted before its body was complete'));
    });
  });
}

function send(response: http.ServerResponse, reply: Reply, headers: Record<string, string> = {}): void {
  if (response.headersSent || response.destroyed || response.writableEnded) return;
  const isJson = 'json' in reply;
  const text = isJson ? JSON.stringify(reply.json) + '\n' : reply.text;
  response.writeHead(reply.status, {
    'content-type': isJson ? 'application/json; charset=utf-8' : reply.contentType,
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  response.end(text);
}

function sendError(response: http.ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  send(response, { status, json: { error: message } }, headers);
}

function rawErrorResponse(status: number, message: string): string {
  const body = JSON.stringify({ error: message }) + '\n';
  return (
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}\r\n` +
    `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  );
}

function createHttpServer(engine: EngineControl, token: string, limits: ControlServerLimits, warn: (message: string) => void): http.Server {
  const routes = buildRoutes(engine);
  const tokenDigest = digest(token);

  const handle = async (request: http.IncomingMessage, response: http.ServerResponse): Promise<void> => {
    const auth = authorize(request.headers.authorization, tokenDigest);
    if (auth === 'missing') {
      request.resume();
      sendError(response, 401, 'missing bearer token: send Authorization: Bearer <contents of control.token>', {
        'www-authenticate': 'Bearer realm="megatest"',
      });
      return;
    }
    if (auth === 'wrong') {
      request.resume();
      sendError(response, 403, 'wrong bearer token (see control.token in the run folder)');
      return;
    }
    let url: URL;
    try {
      url = new URL(request.url ?? '/', 'http://control.invalid');
    } catch {
      throw new HttpError(400, `malformed request target ${describeValue(request.url)}`);
    }
    const route = Object.hasOwn(routes, url.pathname) ? routes[url.pathname] : undefined;
    if (!route) {
      request.resume();
      throw new HttpError(404, `no route ${request.method} ${url.pathname}; see docs/control-api.md`);
    }
    if (request.method !== route.method) {
      request.resume();
      throw new HttpError(405, `${url.pathname} takes ${route.method}, not ${request.method}`, { allow: route.method });
    }
    const source = sourceFrom(request);
    const body = await readBody(request, limits.maxBodyBytes);
    send(response, await route.handle({ url, source, body }));
  };

  const server = http.createServer(
    {
      maxHeaderSize: 16 * 1024,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    (request, response) => {
      request.on('error', () => undefined);
      response.on('error', () => undefined);
      handle(request, response).catch((error: unknown) => {
        if (error instanceof HttpError) sendError(response, error.status, error.message, error.headers);
        else if (error instanceof ControlError) sendError(response, error.status, error.message);
        else {
          const message = error instanceof Error ? error.message : String(error);
          warn(`control API: ${request.method} ${request.url} failed: ${message}`);
          sendError(response, 500, `internal error: ${message}`);
        }
      });
    },
  );
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const status =
      error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || error.code === 'ERR_HTTP_HEADERS_TIMEOUT' ? 408 : 400;
    socket.end(rawErrorResponse(status, status === 408 ? 'request not received in time' : `malformed request (${error.code ?? error.message})`));
    setTimeout(() => socket.destroy(), 1_000).unref();
  });
  return server;
}

function listenOnce(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port, exclusive: true });
  });
}

async function removeIfOurs(file: string, isOurs: (content: string) => boolean): Promise<void> {
  try {
    const content = await fs.readFile(file, 'utf8');
    if (isOurs(content)) await fs.unlink(file);
  } catch {
    // already gone, or unreadable: nothing of ours to remove
  }
}

export async function startControlServer(options: {
  engine: EngineControl;
  runDir: string;
  port: number;
  host?: string;
  portSearch?: number;
  onWarning?: (msg: string) => void;
  limits?: Partial<ControlServerLimits>;
}): Promise<ControlServer> {
  const host = options.host ?? DEFAULT_HOST;
  const warn = options.onWarning ?? ((message: string) => process.stderr.write(`WARNING: ${message}\n`));
  const limits: ControlServerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const portSearch = options.portSearch ?? 50;
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65_535) {
    throw new Error(`control port ${options.port}: expected a whole number from 1 to 65535`);
  }
  if (!Number.isInteger(portSearch) || portSearch < 0) throw new Error(`portSearch ${portSearch}: expected a whole number >= 0`);
  if (host !== 'localhost' && net.isIP(host) === 0) {
    throw new Error(`--control-host ${JSON.stringify(host)}: expected an IP address of this machine (default ${DEFAULT_HOST})`);
  }
  if (!isLoopbackHost(host)) {
    warn(
      `control API listening on ${host}, not only on loopback: other machines that reach ${host} can control this run with the token`,
    );
  }

  const token = randomBytes(32).toString('hex');
  const paths = runPaths(options.runDir);

  let server: http.Server | null = null;
  let port = options.port;
  const lastPort = options.port === 0 ? 0 : Math.min(65_535, options.port + portSearch);
  for (let candidate = options.port; ; candidate += 1) {
    const attempt = createHttpServer(options.engine, token, limits, warn);
    try {
      await listenOnce(attempt, host, candidate);
      server = attempt;
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE' || candidate >= lastPort) {
        const tried = candidate === options.port ? `port ${candidate}` : `ports ${options.port}-${candidate}`;
        throw new Error(`control API cannot listen on ${host} (${tried}): ${code ?? (error as Error).message}`);
      }
    }
  }
  const address = server.address();
  if (address && typeof address === 'object') port = address.port;
  if (port !== options.port && options.port !== 0) warn(`control port ${options.port} is taken; the control API listens on ${port}`);
  server.on('error', (error) => warn(`control API: ${error.message}`));

  let sessionId: string | undefined;
  try {
    sessionId = options.engine.status().session_id;
  } catch {
    // the engine may not answer before it runs; control.json goes without it
  }
  const control: ControlFile = { pid: process.pid, host, port, started_at: new Date().toISOString(), ...(sessionId ? { session_id: sessionId } : {}) };
  try {
    // The token before control.json: whoever finds control.json finds its token.
    await writeFileAtomic(paths.controlToken, token + '\n', { mode: 0o600 });
    await fs.chmod(paths.controlToken, 0o600);
    await writeFileAtomic(paths.controlJson, JSON.stringify(control, null, 2) + '\n');
  } catch (error) {
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    await removeIfOurs(paths.controlToken, (content) => content.trim() === token);
    throw new Error(`control API: cannot write ${paths.controlJson} / control.token: ${(error as Error).message}`);
  }

  const running = server;
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      // Files first, so no new client finds a server that is going away.
      await removeIfOurs(paths.controlJson, (content) => {
        try {
          const parsed = JSON.parse(content) as Partial<ControlFile>;
          return parsed.pid === control.pid && parsed.port === control.port;
        } catch {
          return false;
        }
      });
      await removeIfOurs(paths.controlToken, (content) => content.trim() === token);
      await new Promise<void>((resolve) => {
        const cut = setTimeout(() => running.closeAllConnections(), limits.closeGraceMs);
        cut.unref();
        running.close(() => {
          clearTimeout(cut);
          resolve();
        });
        running.closeIdleConnections();
      });
    })();
    return closing;
  };
  return { port, host, token, close };
}
