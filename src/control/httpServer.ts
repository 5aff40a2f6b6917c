// One HTTP server of the control API: authorize, route, and answer every
// request, whatever it throws; malformed and slow clients get an error
// reply and are cut, never reaching a handler.

import http from 'node:http';
import type { Socket } from 'node:net';
import { ControlError, type EngineControl } from '../contract/control.js';
import { authorize, digest, sourceFrom } from './auth.js';
import { describeValue, HttpError, rawErrorResponse, readBody, send, sendError } from './httpExchange.js';
import { buildRoutes } from './routes.js';

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
