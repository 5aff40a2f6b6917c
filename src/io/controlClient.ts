// Client of the control API for the CLI's control commands and the console:
// finds the server through control.json and control.token in the run folder.

import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { StatusSnapshot } from '../contract/control.js';
import { runPaths } from './runFolder.js';
import { isPidAlive, readControlFile } from './sessions.js';

export class OrchestratorNotRunningError extends Error {
  constructor(readonly runDir: string) {
    super(`orchestrator not running — megatest resume ${runDir}`);
    this.name = 'OrchestratorNotRunningError';
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
  source?: 'cli' | 'key';
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const CONNECTION_GONE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function urlHost(host: string): string {
  // A server bound to every interface is reached on loopback.
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return net.isIPv6(host) ? `[${host}]` : host;
}

export class ControlClient {
  private constructor(
    readonly runDir: string,
    readonly baseUrl: string,
    private readonly token: string,
    private readonly source: 'cli' | 'key',
    private readonly timeoutMs: number,
  ) {}

  static async fromRunDir(runDir: string, options: ControlClientOptions = {}): Promise<ControlClient> {
    const paths = runPaths(runDir);
    const control = readControlFile(paths.root);
    if (!control || !isPidAlive(control.pid)) throw new OrchestratorNotRunningError(runDir);
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
    return new ControlClient(paths.root, `http://${urlHost(control.host)}:${control.port}`, token, options.source ?? 'cli', timeoutMs);
  }

  private async request(method: 'GET' | 'POST', route: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      'x-megatest-source': this.source,
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(this.baseUrl + route, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new Error(`no answer from the orchestrator at ${this.baseUrl} within ${this.timeoutMs / 1000} s`);
      }
      const code = causeCode(error);
      if (code && CONNECTION_GONE.has(code)) throw new OrchestratorNotRunningError(this.runDir);
      throw new Error(`cannot reach the orchestrator at ${this.baseUrl}: ${code ?? (error as Error).message}`);
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      let message = text.trim();
      try {
        const parsed = JSON.parse(text) as { error?: unknown };
        if (typeof parsed.error === 'string') message = parsed.error;
      } catch {
        // not JSON: keep the text as it came
      }
      throw new ControlRequestError(message || `HTTP ${response.status} ${response.statusText}`, response.status);
    }
    return response;
  }

  private async json<T>(method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> {
    const response = await this.request(method, route, body);
    const text = await response.text();
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
    return (await this.request('GET', '/metrics')).text();
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
