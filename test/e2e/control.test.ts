// The control API and the shell controls against a real running sim session.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import { readEvents as events, runCli, waitFor as waitUntil } from '../helpers/cli.js';
import type { SessionMetrics } from '../../src/contract/metrics.js';
import type { EventOf } from '../../src/contract/events.js';

const BIN = path.join(PACKAGE_ROOT, 'bin', 'megatest.js');
const FAST = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'e2e', 'fast.toml');

async function cli(...args: string[]) {
  return runCli(args, { timeoutMs: 60_000 });
}

describe('control API and shell controls on a running session', () => {
  const runsDir = mkdtempSync(path.join(tmpdir(), 'megatest-control-'));
  const runDir = path.join(runsDir, 'ctl');
  let child: ChildProcess;
  let exit: Promise<number | null>;
  let base: string;
  let token: string;

  beforeAll(async () => {
    child = spawn(process.execPath, [BIN, 'run', 'task_queue', '--duration', '30m', '--agents', '3', '--headless', '--config', FAST, '--runs-dir', runsDir, '--session-id', 'ctl', '--port', '18400'], {
      stdio: 'ignore',
      env: { ...process.env, CI: '1' },
    });
    exit = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    await waitUntil(() => existsSync(path.join(runDir, 'control.json')), 'control.json');
    const control = JSON.parse(readFileSync(path.join(runDir, 'control.json'), 'utf8')) as { host: string; port: number };
    base = `http://${control.host}:${control.port}`;
    token = readFileSync(path.join(runDir, 'control.token'), 'utf8').trim();
    await waitUntil(() => existsSync(path.join(runDir, 'metrics_current.json')), 'a metrics snapshot');
  }, 60_000);

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(runsDir, { recursive: true, force: true });
  });

  it('refuses requests without the token (401) or with a wrong one (403)', async () => {
    expect((await fetch(`${base}/api/status`)).status).toBe(401);
    expect((await fetch(`${base}/api/status`, { headers: { authorization: 'Bearer nope' } })).status).toBe(403);
    const ok = await fetch(`${base}/api/status`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    const status = (await ok.json()) as { session_id: string; simulated: boolean };
    expect(status.session_id).toBe('ctl');
    expect(status.simulated).toBe(true);
  });

  it('serializes 100 concurrent checkpoint requests into 100 distinct valid checkpoints', async () => {
    const answers = await Promise.all(
      Array.from({ length: 100 }, () =>
        fetch(`${base}/api/checkpoint`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }).then(async (r) => ({
          status: r.status,
          body: (await r.json()) as { event?: { id: string } },
        })),
      ),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const ids = answers.map((a) => a.body.event!.id);
    expect(new Set(ids).size).toBe(100);
    const listed = await new CheckpointStore(path.join(runDir, 'checkpoints')).list();
    for (const id of ids) expect(listed.find((c) => c.id === id)?.valid, id).toBe(true);
    const apiCommands = events(runDir).filter((e) => e.type === 'command' && e.name === 'checkpoint' && e.source === 'api');
    expect(apiCommands.length).toBe(100);
  }, 120_000);

  it('serves Prometheus metrics that agree with metrics_current.json', async () => {
    const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
    const current = JSON.parse(readFileSync(path.join(runDir, 'metrics_current.json'), 'utf8')) as SessionMetrics;
    const sample = (name: string) => {
      const match = new RegExp(`^${name}\\{[^}]*session_id="ctl"[^}]*\\} (\\S+)$`, 'm').exec(text);
      return match ? Number(match[1]) : null;
    };
    expect(text).toMatch(/# TYPE megatest_\w+ gauge/);
    // Both come from the same snapshot unless a new one landed in between: compare monotone figures loosely.
    expect(sample('megatest_total_tokens')).toBeGreaterThanOrEqual(current.total_tokens!);
    expect(sample('megatest_lines_of_code')).not.toBeNull();
  });

  it('answers the shell controls and records their source', async () => {
    const status = await cli('status', runDir);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/ctl/);
    const json = await cli('status', 'ctl', '--runs-dir', runsDir, '--json');
    expect(JSON.parse(json.stdout).session_id).toBe('ctl');

    expect((await cli('pause', runDir)).code).toBe(0);
    await waitUntil(() => readFileSync(path.join(runDir, 'status'), 'utf8').trim() === 'paused', 'paused');
    const again = await cli('pause', runDir);
    expect(again.code).toBe(1);
    expect(again.stderr + again.stdout).toMatch(/already paused/);
    // Status says who paused, and since when.
    const pausedAt = (await waitUntil(() => events(runDir).find((e) => e.type === 'command' && e.name === 'pause'), 'the pause event')).ts;
    expect((await cli('status', runDir)).stdout).toContain(`paused     ${pausedAt}  by cli\n`);
    expect(JSON.parse((await cli('status', runDir, '--json')).stdout).pause).toEqual({ since: pausedAt, by: 'cli', why: null });
    expect((await cli('continue', runDir)).code).toBe(0);
    expect((await cli('status', runDir)).stdout).not.toMatch(/^paused /m);
    expect((await cli('compress', runDir, '--agent', 'agent-1')).code).toBe(0);
    const checkpoint = await cli('checkpoint', runDir);
    expect(checkpoint.code).toBe(0);
    const restore = await cli('restore', runDir, '--checkpoint', 'checkpoint_001');
    expect(restore.code).toBe(0);
    const bad = await cli('restore', runDir, '--checkpoint', '../../etc/passwd');
    expect(bad.code).toBe(2);

    const fromCli = events(runDir).filter((e) => e.type === 'command' && e.source === 'cli').map((e) => (e as { name: string }).name);
    expect(fromCli).toEqual(expect.arrayContaining(['pause', 'continue', 'compress', 'checkpoint', 'restore']));
    expect(events(runDir).some((e) => e.type === 'checkpoint_restored' && e.id === 'checkpoint_001')).toBe(true);

    // The work since the last checkpoint was kept before that restore, as a checkpoint of its own: restoring it undoes it.
    const all = events(runDir);
    const asked = all.find((e) => e.type === 'command' && e.name === 'restore' && e.detail === 'checkpoint_001')!;
    const restored = all.find((e) => e.type === 'checkpoint_restored' && e.id === 'checkpoint_001')!;
    const kept = all.filter((e): e is EventOf<'checkpoint_created'> => e.type === 'checkpoint_created' && e.seq > asked.seq && e.seq < restored.seq);
    expect(kept.map((e) => e.trigger)).toEqual(['before_restore']);
    const keptValid = (await new CheckpointStore(path.join(runDir, 'checkpoints')).list()).find((c) => c.id === kept[0]!.id);
    expect(keptValid?.valid).toBe(true);
    const undo = await cli('restore', runDir, '--checkpoint', kept[0]!.id);
    expect(undo.code, undo.stderr).toBe(0);
    expect(events(runDir).some((e) => e.type === 'checkpoint_restored' && e.id === kept[0]!.id)).toBe(true);
  }, 120_000);

  it('stops the run from the shell, and then says the orchestrator is gone', async () => {
    expect((await cli('stop', runDir)).code).toBe(0);
    expect(await exit).toBe(130);
    expect(readFileSync(path.join(runDir, 'status'), 'utf8').trim()).toBe('interrupted');
    expect(existsSync(path.join(runDir, 'control.json'))).toBe(false);
    const after = await cli('checkpoint', runDir);
    expect(after.code).toBe(1);
    const status = await cli('status', runDir);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/interrupted/);
  }, 60_000);
});
