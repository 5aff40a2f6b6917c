// A legacy run still going has no session_ended: its monitor pid is alive,
// or (python, which writes no pid) its last snapshot is fresh. A dead
// monitor or a stale snapshot with status `running` means it was killed.

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listRuns } from '../../src/io/sessions.js';
import { runControlCommand } from '../../src/cli/controlCommands.js';
import { convertLegacyRun } from '../../src/legacy/convert.js';
import { legacyLiveness, MIN_SILENCE_MS, MONITOR_START_SLACK_MS, PYTHON_ACTIVE_WINDOW_MS, SYSTEM_PIDS } from '../../src/legacy/liveness.js';
import { foldAll } from '../../src/state/fold.js';
import { deadPid } from '../control/runFixtures.js';
import { copyLegacyFixtures, makeBashRunGoing } from './legacyFixtures.js';

let runs: string;
beforeEach(() => {
  runs = copyLegacyFixtures('megatest-legacy-live-');
});
afterEach(() => rmSync(runs, { recursive: true, force: true }));

/** bash-complete turned into a run still going (makeBashRunGoing), begun `startedAgoMs` before now. */
function bashRunning(pid: number, startedAgoMs = 60_000): string {
  return makeBashRunGoing(path.join(runs, 'bash-complete'), pid, startedAgoMs);
}

describe('legacy liveness', () => {
  it('a live monitor pid: running, no session_ended, listed as running', async () => {
    const dir = bashRunning(process.pid);
    expect(legacyLiveness(dir, SYSTEM_PIDS, Date.now())).toMatchObject({ live: true, monitorPid: process.pid });
    const state = foldAll((await convertLegacyRun(dir)).events);
    expect(state.ended).toBeNull();
    expect(listRuns(runs).find((r) => r.id === 'bash-complete')).toMatchObject({ running: true, legacy: true });
  });

  it('a dead monitor pid with status running: killed, and says which pid', async () => {
    const pid = deadPid();
    const dir = bashRunning(pid);
    const state = foldAll((await convertLegacyRun(dir)).events);
    expect(state.ended!.status).toBe('interrupted');
    expect(state.ended!.reason).toContain(`pid ${pid}`);
    expect(listRuns(runs).find((r) => r.id === 'bash-complete')!.running).toBe(false);
  });

  it('python (no pid file): a snapshot written within the window is a run still going; an old one is killed', async () => {
    const dir = path.join(runs, 'python-killed');
    expect(legacyLiveness(dir, SYSTEM_PIDS, Date.now()).live).toBe(false);
    const nowUnix = Math.floor(Date.now() / 1000);
    mkdirSync(path.join(dir, 'metrics'), { recursive: true });
    const local = new Date(nowUnix * 1000 + 330 * 60_000).toISOString().slice(0, 19); // the fixture's zone, +05:30
    writeFileSync(
      path.join(dir, 'metrics', `metrics_${nowUnix}.json`),
      JSON.stringify({ timestamp: local, metrics: { elapsed_seconds: 10, total_tokens: 160000, phase: 'development', status: 'running' } }),
    );
    expect(legacyLiveness(dir, SYSTEM_PIDS, Date.now()).live).toBe(true);
    expect(foldAll((await convertLegacyRun(dir)).events).ended).toBeNull();
    expect(legacyLiveness(dir, SYSTEM_PIDS, Date.now() + PYTHON_ACTIVE_WINDOW_MS + 1000).live).toBe(false);
  });

  it("a reused pid (its process started after the run's last record, or long before it began) is not the monitor: killed, not running", async () => {
    // the folder as the runner left it months ago, its pid now some other process's (pid 1 here: alive, started at boot)
    const dir = bashRunning(1, 90 * 24 * 3_600_000);
    const state = foldAll((await convertLegacyRun(dir)).events);
    expect(state.ended).toMatchObject({ status: 'interrupted' });
    expect(state.ended!.reason).toMatch(/pid 1, alive, .*another process has the pid/);
    expect(listRuns(runs).find((r) => r.id === 'bash-complete')!.running).toBe(false);
    const logs: string[] = [];
    await runControlCommand('status', { session: dir, runsDir: runs, json: true }, { log: (s) => logs.push(s), error: (s) => logs.push(s) });
    expect(JSON.parse(logs.join('\n'))).toMatchObject({ status: 'interrupted', running: false });
    // Each rule alone, its process's start told (a fake /proc): a start after the last record, or long before the run began.
    const recent = bashRunning(4242);
    const lastRecord = Date.now();
    const alive = { isPidAlive: (pid: number) => pid === 4242 };
    expect(legacyLiveness(recent, { ...alive, processStartMs: () => lastRecord - 60_000 }, Date.now())).toMatchObject({ live: true });
    expect(legacyLiveness(recent, { ...alive, processStartMs: () => lastRecord + MONITOR_START_SLACK_MS + 60_000 }, Date.now()).why).toMatch(/after the run's last record/);
    expect(legacyLiveness(recent, { ...alive, processStartMs: () => lastRecord - 60_000 - MONITOR_START_SLACK_MS - 60_000 }, Date.now()).why).toMatch(/before the run began/);
    // A start not recorded (config.json's started_at without a zone, or none): the newest snapshot is no beginning, and a
    // monitor started hours before it is the runner of a long run, not another process.
    const config = JSON.parse(readFileSync(path.join(recent, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(path.join(recent, 'config.json'), JSON.stringify({ ...config, started_at: '2026-01-01T00:00:00' }));
    expect(legacyLiveness(recent, { ...alive, processStartMs: () => lastRecord - 2 * 3_600_000 }, Date.now())).toMatchObject({ live: true });
    delete config.started_at;
    writeFileSync(path.join(recent, 'config.json'), JSON.stringify(config));
    expect(legacyLiveness(recent, { ...alive, processStartMs: () => lastRecord - 2 * 3_600_000 }, Date.now())).toMatchObject({ live: true });
    expect(legacyLiveness(recent, { ...alive, processStartMs: () => lastRecord + MONITOR_START_SLACK_MS + 60_000 }, Date.now()).why).toMatch(/after the run's last record/);
    writeFileSync(path.join(recent, 'config.json'), JSON.stringify({ ...config, started_at: new Date(lastRecord - 60_000).toISOString() }));
    // Where /proc cannot tell: a run silent for longer than its planned length (4 h here) has no runner, whatever the pid.
    expect(legacyLiveness(recent, alive, Date.now() + MIN_SILENCE_MS / 2).live).toBe(true);
    expect(legacyLiveness(recent, alive, Date.now() + 4 * 3_600_000 + 60_000)).toMatchObject({ live: false, why: expect.stringMatching(/older than its planned length \(4 h\)/) });
  });

  it('an ended run is never live, whatever its pid says', () => {
    const dir = path.join(runs, 'bash-interrupted');
    writeFileSync(path.join(dir, '.monitor_pid'), `${process.pid}\n`);
    expect(legacyLiveness(dir, SYSTEM_PIDS, Date.now())).toMatchObject({ live: false, endRecorded: true });
    expect(readdirSync(dir)).toContain('interrupted.json');
  });
});
