// A legacy run still going has no session_ended: its monitor pid is alive,
// or (python, which writes no pid) its last snapshot is fresh. A dead
// monitor or a stale snapshot with status `running` means it was killed.

import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPidAlive, listRuns } from '../../src/io/sessions.js';
import { convertLegacyRun } from '../../src/legacy/convert.js';
import { legacyLiveness, PYTHON_ACTIVE_WINDOW_MS } from '../../src/legacy/liveness.js';
import { foldAll } from '../../src/state/fold.js';
import { deadPid } from '../control/runFixtures.js';
import { copyLegacyFixtures } from './legacyFixtures.js';

let runs: string;
beforeEach(() => {
  runs = copyLegacyFixtures('megatest-legacy-live-');
});
afterEach(() => rmSync(runs, { recursive: true, force: true }));

/** bash-complete turned into a run still going: status running, no final report, the given monitor pid. */
function bashRunning(pid: number): string {
  const dir = path.join(runs, 'bash-complete');
  rmSync(path.join(dir, 'final_report.json'));
  writeFileSync(path.join(dir, 'status'), 'running\n');
  writeFileSync(path.join(dir, '.monitor_pid'), `${pid}\n`);
  return dir;
}

describe('legacy liveness', () => {
  it('a live monitor pid: running, no session_ended, listed as running', async () => {
    const dir = bashRunning(process.pid);
    expect(legacyLiveness(dir, isPidAlive, Date.now())).toMatchObject({ live: true, monitorPid: process.pid });
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
    expect(legacyLiveness(dir, isPidAlive, Date.now()).live).toBe(false);
    const nowUnix = Math.floor(Date.now() / 1000);
    mkdirSync(path.join(dir, 'metrics'), { recursive: true });
    const local = new Date(nowUnix * 1000 + 330 * 60_000).toISOString().slice(0, 19); // the fixture's zone, +05:30
    writeFileSync(
      path.join(dir, 'metrics', `metrics_${nowUnix}.json`),
      JSON.stringify({ timestamp: local, metrics: { elapsed_seconds: 10, total_tokens: 160000, phase: 'development', status: 'running' } }),
    );
    expect(legacyLiveness(dir, isPidAlive, Date.now()).live).toBe(true);
    expect(foldAll((await convertLegacyRun(dir)).events).ended).toBeNull();
    expect(legacyLiveness(dir, isPidAlive, Date.now() + PYTHON_ACTIVE_WINDOW_MS + 1000).live).toBe(false);
  });

  it('an ended run is never live, whatever its pid says', () => {
    const dir = path.join(runs, 'bash-interrupted');
    writeFileSync(path.join(dir, '.monitor_pid'), `${process.pid}\n`);
    expect(legacyLiveness(dir, isPidAlive, Date.now())).toMatchObject({ live: false, endRecorded: true });
    expect(readdirSync(dir)).toContain('interrupted.json');
  });
});
