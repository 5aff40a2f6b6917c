// What an agent's program leaves running in its process group when it exits
// by itself (a dev server started with `&`) is ended with it: before, one such
// process per task lived on for the whole run and after it.

import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { groupAlive } from '../../src/agents/processGroup.js';
import { TaskProcess, type TaskEnd } from '../../src/agents/taskProcess.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'megatest-group-'));
/** Process groups the tests started: whatever a failing test left in them is killed at the end. */
const groups: number[] = [];
afterAll(() => {
  for (const group of groups) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  }
  rmSync(scratch, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs `script` as a task and resolves with its end, the pid it printed first and its output.log. */
function runTask(name: string, script: string): Promise<{ end: TaskEnd; leftover: number; group: number; log: string }> {
  const logFile = path.join(scratch, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const lines: string[] = [];
  return new Promise((resolve) => {
    const task: TaskProcess = new TaskProcess({
      command: { file: 'sh', args: ['-c', script], cwd: scratch, env: {} },
      parser: {
        line: (line) => {
          lines.push(line);
          return [];
        },
        end: () => [],
      },
      baseEnv: {},
      log: () => log,
      parseStderr: false,
      onMessage: () => undefined,
      onEnd: (end) => {
        const group = (task as unknown as { child: { pid: number } }).child.pid;
        groups.push(group);
        log.end(() => resolve({ end, leftover: Number(lines[0]), group, log: readFileSync(logFile, 'utf8') }));
      },
    });
  });
}

describe('a task program that exits leaving processes in its group', () => {
  it('has them ended, and output.log says so', async () => {
    const { end, leftover, group, log } = await runTask('background', 'sleep 600 >/dev/null 2>&1 & echo $!; exit 0');
    expect(end.code).toBe(0);
    expect(leftover).toBeGreaterThan(0);
    await vi.waitFor(() => expect(alive(leftover)).toBe(false), { timeout: 30_000, interval: 20 });
    expect(groupAlive(group)).toBe(false);
    expect(log).toContain(`[megatest] the program exited leaving processes running in its group ${group}: SIGTERM now, SIGKILL in 2000 ms if any is left`);
  });

  it('kills one that ignores SIGTERM after the grace', async () => {
    const { leftover, group } = await runTask('stubborn', `sh -c 'trap "" TERM; while :; do sleep 1; done' >/dev/null 2>&1 & echo $!; exit 0`);
    await vi.waitFor(() => expect(alive(leftover)).toBe(false), { timeout: 30_000, interval: 50 });
    await vi.waitFor(() => expect(groupAlive(group)).toBe(false), { timeout: 30_000, interval: 50 });
  });

  it('says nothing when nothing was left', async () => {
    const { log } = await runTask('clean', 'echo 1; exit 0');
    expect(log).not.toContain('[megatest]');
  });
});
