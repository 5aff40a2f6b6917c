// isPidAlive: a zombie (exited, not reaped yet: an orchestrator just killed
// with SIGKILL) is not running.

import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isPidAlive, isPidStopped, processState } from '../../src/io/processAlive.js';

const stateOf = (pid: number): string | null => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
};

describe('isPidAlive', () => {
  it('this process is; one that ended and was reaped is not', () => {
    expect(isPidAlive(process.pid)).toBe(true);
    expect(isPidAlive(spawnSync('true').pid!)).toBe(false);
  });

  it.skipIf(stateOf(process.pid) === null)('a zombie is not, whose parent has not reaped it', async () => {
    // A parent that never waits: its child exits at once and stays a zombie. (A shell that ran `sleep 0 &` before
    // exec'ing `sleep 30` reaped the child itself when it ended before the exec, on a loaded machine.)
    const script = 'import os, sys, time\npid = os.fork()\nif pid == 0:\n    os._exit(0)\nprint(pid, flush=True)\ntime.sleep(30)\n';
    const parent = spawn('python3', ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const child = await new Promise<number>((resolve) => parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
      await expect.poll(() => stateOf(child), { timeout: 30_000 }).toBe('Z');
      expect(isPidAlive(child)).toBe(false);
      expect(isPidAlive(parent.pid!)).toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});

describe.skipIf(stateOf(process.pid) === null)('isPidStopped', () => {
  it('a process stopped with SIGSTOP is stopped (and alive) until continued', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await expect.poll(() => processState(child.pid!), { timeout: 30_000 }).toBe('S');
      expect(isPidStopped(child.pid!)).toBe(false);
      child.kill('SIGSTOP');
      await expect.poll(() => isPidStopped(child.pid!), { timeout: 30_000 }).toBe(true);
      expect(isPidAlive(child.pid!)).toBe(true);
      child.kill('SIGCONT');
      await expect.poll(() => isPidStopped(child.pid!), { timeout: 30_000 }).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
    expect(isPidStopped(spawnSync('true').pid!)).toBe(false);
  });
});
