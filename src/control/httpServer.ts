// One HTTP server of the control API: authorize, route, and answer every
// request, whatever it throws; malformed and slow clients get an error
// reply and are cut, never reaching a handler.

import http from 'node:http';
import type { Socket } from 'node:net';
import { ControlError, type EngineControl } from '../contract/control.js';
import { authorize, digest, sourceFrom } from './auth.js';
import { describeValue, HttpError, rawErrorResponse, readBody, send, sendError } from './httpExchange.js';
import { buildRoutes } from './routes.js';
import { assertNever } from '../contract/assertNever.js';

/** The base a request target is read against; its host is never used. */
const BASE = 'http://control.invalid';

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

export function createHttpServer(engine: EngineControl, token: string, limits: ControlServerLimits, warn: (message: string) => void): http.Server {
  const routes = buildRoutes(engine);
  const tokenDigest = digest(token);

  const handle = async (request: http.IncomingMessage, response: http.ServerResponse): Promise<void> => {
    const auth = authorize(request.headers.authorization, tokenDigest);
    switch (auth) {
      case 'ok':
        break;
      case 'missing':
      case 'malformed':
        request.resume();
        sendError(
          response,
          401,
          `${auth === 'missing' ? 'missing bearer token' : 'malformed Authorization header'}: send Authorization: Bearer <contents of control.token>`,
          { 'www-authenticate': 'Bearer realm="megatest"' },
        );
        return;
      case 'wrong':
        request.resume();
        sendError(response, 403, 'wrong bearer token (see control.token in the run folder)');
        return;
      default:
        return assertNever(auth);
    }
    const target = request.url ?? '/';
    let url: URL;
    try {
      // An origin-form target is put after the base as it is: as a relative URL, `//api/status` was read as host "api", path /status.
      url = new URL(target.startsWith('/') ? `${BASE}${target}` : target, BASE);
    } catch {
      throw new HttpError(400, `malformed request target ${describeValue(request.url)}`);
    }
    const route = Object.hasOwn(routes, url.pathname) ? routes[url.pathname] : undefined;
    if (!route) {
      request.resume();
      throw new HttpError(404, `no route ${request.method} ${url.pathname}; see docs/control-api.md`);
    }
    // HEAD is GET without the body (node's response leaves the body out of a HEAD reply), as HTTP has it.
    const method = request.method === 'HEAD' && route.method === 'GET' ? 'GET' : request.method;
    if (method !== route.method) {
      request.resume();
      throw new HttpError(405, `${url.pathname} takes ${route.method}, not ${request.method}`, { allow: route.method === 'GET' ? 'GET, HEAD' : route.method });
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
