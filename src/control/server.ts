// The control API (DESIGN §10): HTTP/1.1 JSON on loopback, every request
// authorized by the bearer token in control.token. The server holds no state
// of the session: it authenticates, validates and hands each request to the
// engine, which serializes it with its own work and records the command.
// Nothing a client sends may take the orchestrator down, so every handler is
// caught, bodies are bounded and slow clients are timed out.
//
// The parts: httpServer.ts (one server: limits, dispatch), auth.ts (token,
// command source), routes.ts (handlers) and httpExchange.ts (bodies, replies).

import type http from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { writeFileAtomic } from '../io/atomic.js';
import { runPaths } from '../io/runFolder.js';
import type { EngineControl } from '../contract/control.js';
import { resolveBindHost } from './bindHost.js';
import { createHttpServer, DEFAULT_LIMITS, type ControlServerLimits } from './httpServer.js';

export { SOURCE_HEADER } from './auth.js';
export { DEFAULT_LIMITS, type ControlServerLimits } from './httpServer.js';

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

export const DEFAULT_HOST = '127.0.0.1';

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  if (net.isIPv6(host)) return host === '::1' || host.toLowerCase().startsWith('::ffff:127.');
  return false;
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
  // A host name is bound (and recorded in control.json) as its address: it was refused, and the run went on without a control API.
  let host: string;
  try {
    host = await resolveBindHost(options.host ?? DEFAULT_HOST);
  } catch (error) {
    throw new Error(`--control-host ${JSON.stringify(options.host)}: ${(error as Error).message}`);
  }
  const warn = options.onWarning ?? ((message: string) => process.stderr.write(`WARNING: ${message}\n`));
  const limits: ControlServerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const portSearch = options.portSearch ?? 50;
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65_535) {
    throw new Error(`control port ${options.port}: expected a whole number from 1 to 65535`);
  }
  if (!Number.isInteger(portSearch) || portSearch < 0) throw new Error(`portSearch ${portSearch}: expected a whole number >= 0`);
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
