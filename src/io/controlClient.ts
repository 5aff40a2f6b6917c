// Client of the control API for the CLI's control commands and the console:
// finds the server through control.json and control.token in the run folder.
// Requests go through node:http, not fetch: fetch loads Node's second HTTP
// stack (undici, with its parser compiled from WebAssembly), about 100 ms of
// every `megatest checkpoint`, against a few for node:http.

import http from 'node:http';
import { readFileSync } from 'node:fs';
import type { StatusSnapshot } from '../contract/control.js';
import { runPaths } from './runFolder.js';
import { isPidStopped } from './processAlive.js';
import { controlFileAlive, readControlFile } from './sessions.js';
import { hostname } from 'node:os';
import { describeHolder, runLockInfo } from './runLock.js';

export class OrchestratorNotRunningError extends Error {
  constructor(readonly runDir: string) {
    super(`orchestrator not running — megatest resume ${runDir}`);
    this.name = 'OrchestratorNotRunningError';
  }
}

/**
 * The orchestrator is there but stopped (Ctrl-Z of a headless run, SIGSTOP):
 * it can answer nothing until continued. Said at once, not after a timeout.
 */
export class OrchestratorStoppedError extends Error {
  constructor(
    readonly runDir: string,
    readonly pid: number,
  ) {
    super(`the orchestrator (pid ${pid}) is stopped (Ctrl-Z or SIGSTOP) and cannot answer; \`fg\` in its terminal, or kill -CONT ${pid}, continues it`);
    this.name = 'OrchestratorStoppedError';
  }
}

/** The server answered with an error (status and its `{"error":…}` message). */
export class ControlRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ControlRequestError';
  }
}

export interface ControlClientOptions {
  /** Who asks, as the command events record it (the API's own clients: 'api'). */
  source?: 'api' | 'cli' | 'key';
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const CONNECTION_GONE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']);

function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The host as a URL spells it: an IPv6 address in brackets, an any-address as its loopback. */
export function urlHost(host: string): string {
  // A server bound to every interface is reached on loopback.
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  // Of the hosts a control.json can name (an IPv4 or IPv6 address, a name), only an IPv6 address has a colon.
  // (Not net.isIPv6: its first call builds a large regular expression, about 9 ms of every control command.)
  return host.includes(':') ? `[${host}]` : host;
}

export class ControlClient {
  private constructor(
    readonly runDir: string,
    readonly baseUrl: string,
    private readonly token: string,
    private readonly source: 'api' | 'cli' | 'key',
    private readonly timeoutMs: number,
    private readonly pid: number,
  ) {}

  static async fromRunDir(runDir: string, options: ControlClientOptions = {}): Promise<ControlClient> {
    const paths = runPaths(runDir);
    const control = readControlFile(paths.root);
    if (!control || !controlFileAlive(paths.root, control)) {
      // The lock says an orchestrator runs it all the same: one whose control API did not start (a full disk at its start).
      const holder = runLockInfo(paths.root);
      if (holder !== null && (holder.role === 'restore' || holder.host !== hostname())) throw new Error(describeHolder(runDir, holder));
      if (holder !== null) {
        throw new Error(`the orchestrator of ${runDir} (pid ${holder.pid}) is running, but its control API is not (control.json missing; see its orchestrator.out or session.log): nothing can reach it but a signal (kill -TERM ${holder.pid} stops it)`);
      }
      throw new OrchestratorNotRunningError(runDir);
    }
    if (isPidStopped(control.pid)) throw new OrchestratorStoppedError(runDir, control.pid);
    let token: string;
    try {
      token = readFileSync(paths.controlToken, 'utf8').trim();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // control.json without its token: the server is starting or going away
      if (code === 'ENOENT') throw new OrchestratorNotRunningError(runDir);
      throw new Error(`${paths.controlToken}: cannot read the control token (${code ?? String(error)})`);
    }
    if (token === '') throw new Error(`${paths.controlToken}: empty control token`);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(timeoutMs > 0)) throw new Error(`timeoutMs ${timeoutMs}: expected a positive number of milliseconds`);
    return new ControlClient(paths.root, `http://${urlHost(control.host)}:${control.port}`, token, options.source ?? 'cli', timeoutMs, control.pid);
  }

  private async request(method: 'GET' | 'POST', route: string, body?: unknown): Promise<string> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = {
      authorization: `Bearer ${this.token}`,
      'x-megatest-source': this.source,
    };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    let answer: { status: number; statusText: string; text: string };
    try {
      answer = await new Promise((resolve, reject) => {
        // agent: false: one connection per request, closed after it, so no idle socket keeps a CLI process alive.
        const request = http.request(this.baseUrl + route, { method, headers, agent: false, signal: AbortSignal.timeout(this.timeoutMs) }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', text: Buffer.concat(chunks).toString('utf8') }),
          );
        });
        request.on('error', reject);
        request.end(payload);
      });
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        // Stopped while we waited (or just before): that, not a slow answer, is why.
        if (isPidStopped(this.pid)) throw new OrchestratorStoppedError(this.runDir, this.pid);
        throw new Error(`no answer from the orchestrator at ${this.baseUrl} within ${this.timeoutMs / 1000} s`);
      }
      const code = causeCode(error);
      if (code && CONNECTION_GONE.has(code)) throw new OrchestratorNotRunningError(this.runDir);
      throw new Error(`cannot reach the orchestrator at ${this.baseUrl}: ${code ?? (error as Error).message}`);
    }
    if (answer.status < 200 || answer.status > 299) {
      let message = answer.text.trim();
      try {
        const parsed = JSON.parse(answer.text) as { error?: unknown };
        if (typeof parsed.error === 'string') message = parsed.error;
      } catch {
        // not JSON: keep the text as it came
      }
      throw new ControlRequestError(message || `HTTP ${answer.status} ${answer.statusText}`, answer.status);
    }
    return answer.text;
  }

  private async json<T>(method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> {
    const text = await this.request(method, route, body);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(`${method} ${route}: the orchestrator answered with something that is not JSON: ${text.slice(0, 80)}`);
    }
  }

  status(): Promise<StatusSnapshot> {
    return this.json('GET', '/api/status');
  }

  async metricsText(): Promise<string> {
    return this.request('GET', '/metrics');
  }

  checkpoint(): Promise<any> {
    return this.json('POST', '/api/checkpoint');
  }

  compress(agent?: string): Promise<any> {
    return this.json('POST', agent === undefined ? '/api/compress' : `/api/compress?agent=${encodeURIComponent(agent)}`);
  }

  restore(id: string): Promise<any> {
    return this.json('POST', '/api/restore', { checkpoint: id });
  }

  pause(): Promise<any> {
    return this.json('POST', '/api/pause');
  }

  resume(): Promise<any> {
    return this.json('POST', '/api/resume');
  }

  stop(): Promise<any> {
    return this.json('POST', '/api/stop');
  }
}
