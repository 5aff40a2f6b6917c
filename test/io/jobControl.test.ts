// Ctrl-Z of a headless orchestrator: the process groups of its agents stop
// with it and continue with it; one stopped before (a paused agent) stays
// stopped. Real processes (each leading its own group, as agents do); this
// process's own stop is a stand-in, which looks at them while "stopped".

import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { suspendJobTogether } from '../../src/io/jobControl.js';
import { processState } from '../../src/io/processAlive.js';

const WAIT = { timeout: 30_000, interval: 20 };
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

function groupLeader(): number {
  const child = spawn('sleep', ['120'], { detached: true, stdio: 'ignore' });
  children.push(child);
  return child.pid!;
}

/** Waits, without giving the event loop back, until `pid` is in `state` (a stand-in stop is synchronous). */
function waitSyncFor(pid: number, state: string): string | null {
  const deadline = Date.now() + 30_000;
  const tick = new Int32Array(new SharedArrayBuffer(4));
  let seen = processState(pid);
  while (seen !== state && Date.now() < deadline) {
    Atomics.wait(tick, 0, 0, 10);
    seen = processState(pid);
  }
  return seen;
}

describe.skipIf(processState(process.pid) === null)('suspendJobTogether', () => {
  it('stops the groups with this process and continues them with it; a group stopped before stays stopped', async () => {
    const working = groupLeader();
    const paused = groupLeader();
    await vi.waitFor(() => expect(processState(working)).toBe('S'), WAIT);
    process.kill(-paused, 'SIGSTOP');
    await vi.waitFor(() => expect(processState(paused)).toBe('T'), WAIT);

    const seenWhileStopped: (string | null)[] = [];
    const job = suspendJobTogether([working, paused], () => {
      seenWhileStopped.push(waitSyncFor(working, 'T'), processState(paused));
    });
    expect(seenWhileStopped).toEqual(['T', 'T']);
    expect(job).toMatchObject({ stopped: 1, leftStopped: 1 });
    await vi.waitFor(() => expect(processState(working)).toBe('S'), WAIT);
    expect(processState(paused)).toBe('T');
  });

  it('continues the groups even when its own stop throws, and passes over a group gone meanwhile', async () => {
    const working = groupLeader();
    await vi.waitFor(() => expect(processState(working)).toBe('S'), WAIT);
    const gone = groupLeader();
    process.kill(-gone, 'SIGKILL');
    await vi.waitFor(() => expect(processState(gone) === null || processState(gone) === 'Z').toBe(true), WAIT);
    expect(() =>
      suspendJobTogether([working, gone], () => {
        waitSyncFor(working, 'T');
        throw new Error('no stop');
      }),
    ).toThrow('no stop');
    await vi.waitFor(() => expect(processState(working)).toBe('S'), WAIT);
  });
});
