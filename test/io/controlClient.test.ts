import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startControlServer, type ControlServer } from '../../src/control/server.js';
import { ControlClient, ControlRequestError, OrchestratorNotRunningError, OrchestratorStoppedError } from '../../src/io/controlClient.js';
import { spawn } from 'node:child_process';
import { isPidStopped } from '../../src/io/processAlive.js';
import { FakeEngine } from '../control/fakeEngine.js';
import { deadPid, makeRun } from '../control/runFixtures.js';

let runsDir: string;
const closers: (() => Promise<void>)[] = [];

beforeEach(() => {
  runsDir = mkdtempSync(path.join(tmpdir(), 'megatest-client-'));
});
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  rmSync(runsDir, { recursive: true, force: true });
});

async function listen(handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

async function realServer(engine: FakeEngine): Promise<{ dir: string; server: ControlServer }> {
  const dir = makeRun(runsDir, 'live');
  const server = await startControlServer({ engine, runDir: dir, port: 0, onWarning: () => undefined });
  closers.push(() => server.close());
  return { dir, server };
}

describe('ControlClient.fromRunDir', () => {
  it('reaches the host control.json names, an IPv6 address in brackets, a server on every interface on loopback', async () => {
    const cases: [string, string][] = [
      ['127.0.0.1', 'http://127.0.0.1:4321'],
      ['::1', 'http://[::1]:4321'],
      ['fe80::1', 'http://[fe80::1]:4321'],
      ['2001:db8:0:0:0:0:0:1', 'http://[2001:db8:0:0:0:0:0:1]:4321'],
      ['::ffff:127.0.0.1', 'http://[::ffff:127.0.0.1]:4321'],
      ['0.0.0.0', 'http://127.0.0.1:4321'],
      ['::', 'http://[::1]:4321'],
      ['localhost', 'http://localhost:4321'],
      ['10.1.2.3', 'http://10.1.2.3:4321'],
    ];
    for (const [host, url] of cases) {
      const dir = makeRun(runsDir, `host-${host.replaceAll(/[:.]/g, '_') || 'none'}`, { control: { pid: process.pid, host, port: 4321 } });
      expect((await ControlClient.fromRunDir(dir)).baseUrl).toBe(url);
    }
  });

  it('says the orchestrator is not running when there is no control.json', async () => {
    const dir = makeRun(runsDir, 'no-control');
    const error = await ControlClient.fromRunDir(dir).catch((e: Error) => e);
    expect(error).toBeInstanceOf(OrchestratorNotRunningError);
    expect((error as Error).message).toBe(`orchestrator not running — megatest resume ${dir}`);
  });

  it('says so when control.json names a dead pid', async () => {
    const dir = makeRun(runsDir, 'crashed', { control: { pid: deadPid() } });
    await expect(ControlClient.fromRunDir(dir)).rejects.toBeInstanceOf(OrchestratorNotRunningError);
  });

  it('says so when control.json names a pid that another process got after a kill (the lock names the dead one)', async () => {
    const dir = makeRun(runsDir, 'reused', { control: { pid: process.pid } });
    writeFileSync(path.join(dir, 'orchestrator.lock'), JSON.stringify({ pid: deadPid(), start: 1, host: hostname(), role: 'orchestrator' }));
    await expect(ControlClient.fromRunDir(dir)).rejects.toBeInstanceOf(OrchestratorNotRunningError);
  });

  it('says so when control.json is there but its token is gone (the server is closing)', async () => {
    const dir = makeRun(runsDir, 'closing', { control: { pid: process.pid } });
    rmSync(path.join(dir, 'control.token'));
    await expect(ControlClient.fromRunDir(dir)).rejects.toBeInstanceOf(OrchestratorNotRunningError);
  });
});

/** A process standing in for an orchestrator, stopped as Ctrl-Z or SIGSTOP stops one. */
async function stoppedProcess(): Promise<number> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  closers.push(async () => void child.kill('SIGKILL'));
  child.kill('SIGSTOP');
  await expect.poll(() => isPidStopped(child.pid!), { timeout: 30_000 }).toBe(true);
  return child.pid!;
}

describe.skipIf(process.platform !== 'linux')('ControlClient and a stopped orchestrator', () => {
  it('says at once that it is stopped, and how to continue it, instead of waiting out a timeout', async () => {
    const pid = await stoppedProcess();
    const dir = makeRun(runsDir, 'stopped', { control: { pid } });
    const error = await ControlClient.fromRunDir(dir).catch((e: Error) => e);
    expect(error).toBeInstanceOf(OrchestratorStoppedError);
    expect((error as Error).message).toBe(`the orchestrator (pid ${pid}) is stopped (Ctrl-Z or SIGSTOP) and cannot answer; \`fg\` in its terminal, or kill -CONT ${pid}, continues it`);
  });

  it('says so when it was stopped while the request waited', async () => {
    const port = await listen(() => undefined);
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    closers.push(async () => void child.kill('SIGKILL'));
    const dir = makeRun(runsDir, 'stopped-later', { control: { pid: child.pid!, port } });
    const client = await ControlClient.fromRunDir(dir, { timeoutMs: 200 });
    child.kill('SIGSTOP');
    await expect.poll(() => isPidStopped(child.pid!), { timeout: 30_000 }).toBe(true);
    await expect(client.checkpoint()).rejects.toBeInstanceOf(OrchestratorStoppedError);
  });
});

describe('ControlClient requests', () => {
  it('turns a refused connection into OrchestratorNotRunningError', async () => {
    const port = await listen(() => undefined);
    await closers.pop()!();
    const dir = makeRun(runsDir, 'refused', { control: { pid: process.pid, port } });
    const client = await ControlClient.fromRunDir(dir);
    await expect(client.status()).rejects.toBeInstanceOf(OrchestratorNotRunningError);
  });

  it('turns a JSON error answer into an error carrying the server’s message and status', async () => {
    const engine = new FakeEngine();
    const { dir } = await realServer(engine);
    const client = await ControlClient.fromRunDir(dir);
    await client.pause();
    const error = await client.pause().catch((e: Error) => e);
    expect(error).toBeInstanceOf(ControlRequestError);
    expect((error as ControlRequestError).message).toBe('the session is already paused');
    expect((error as ControlRequestError).status).toBe(409);
  });

  it('reports a wrong token as the server words it', async () => {
    const { dir } = await realServer(new FakeEngine());
    writeFileSync(path.join(dir, 'control.token'), '0'.repeat(64));
    const client = await ControlClient.fromRunDir(dir);
    await expect(client.status()).rejects.toThrow(/wrong bearer token/);
  });

  it('gives up after its timeout on a server that never answers', async () => {
    const port = await listen(() => undefined);
    const dir = makeRun(runsDir, 'hung', { control: { pid: process.pid, port } });
    const client = await ControlClient.fromRunDir(dir, { timeoutMs: 200 });
    await expect(client.checkpoint()).rejects.toThrow(`no answer from the orchestrator at http://127.0.0.1:${port} within 0.2 s`);
  });

  it('keeps a non-JSON error body as the message', async () => {
    const port = await listen((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('bad gateway here');
    });
    const dir = makeRun(runsDir, 'proxy', { control: { pid: process.pid, port } });
    const client = await ControlClient.fromRunDir(dir);
    await expect(client.stop()).rejects.toThrow('bad gateway here');
  });

  it('drives every route of a real server and says who it is', async () => {
    const engine = new FakeEngine();
    const { dir } = await realServer(engine);
    const client = await ControlClient.fromRunDir(dir, { source: 'key' });
    expect((await client.status()).session_id).toBe('fake-session');
    expect(await client.metricsText()).toContain('megatest_lines_of_code{session_id="fake-session"} 3456');
    expect((await client.checkpoint()).event.id).toBe('checkpoint_001');
    expect((await client.compress()).events).toHaveLength(2);
    expect((await client.compress('agent-1')).events).toHaveLength(1);
    await expect(client.compress('a b&c')).rejects.toThrow('unknown agent "a b&c"');
    expect((await client.restore('checkpoint_001')).event.type).toBe('checkpoint_restored');
    await expect(client.restore('../etc/passwd')).rejects.toThrow(/not a checkpoint id/);
    expect((await client.pause()).event.name).toBe('pause');
    expect((await client.resume()).event.name).toBe('continue');
    expect((await client.stop()).event.name).toBe('stop');
    expect(engine.calls.every((c) => c.source === 'key')).toBe(true);
    expect(engine.calls.map((c) => c.action)).toEqual(['checkpoint', 'compress', 'compress', 'compress', 'restore', 'pause', 'resume', 'stop']);
    expect(engine.calls.filter((c) => c.action === 'restore').map((c) => c.arg)).toEqual(['checkpoint_001']);
  });

  it('sends source cli by default', async () => {
    const engine = new FakeEngine();
    const { dir } = await realServer(engine);
    await (await ControlClient.fromRunDir(dir)).checkpoint();
    expect(engine.calls[0]!.source).toBe('cli');
  });
});
