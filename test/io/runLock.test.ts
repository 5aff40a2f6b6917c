// The run folder's lock (src/io/runLock.ts): one orchestrator at a time. A
// live holder refuses another; one whose process is gone (kill -9), or
// whose pid another process now has, is taken over; the file is never seen
// half written; only its own holder gives it back.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/config/errors.js';
import { RUN_LOCK_FILE, runLockHolder, takeRunLock } from '../../src/io/runLock.js';

const root = mkdtempSync(path.join(tmpdir(), 'megatest-run-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const runDir = () => {
  const dir = path.join(root, `run${(n += 1)}`);
  mkdirSync(dir);
  return dir;
};
const lockOf = (dir: string) => JSON.parse(readFileSync(path.join(dir, RUN_LOCK_FILE), 'utf8')) as { pid: number; start: number | null; host: string };
// A pid no process has (above Linux's default pid_max).
const GONE = 2 ** 22 + 7;

describe('takeRunLock', () => {
  it('takes a free lock, says this process holds it, and gives it back; no temp file is left', () => {
    const dir = runDir();
    const lock = takeRunLock(dir, 'resume');
    expect(lockOf(dir)).toMatchObject({ pid: process.pid, host: hostname() });
    expect(runLockHolder(dir)).toBe(process.pid);
    expect(readdirSync(dir)).toEqual([RUN_LOCK_FILE]);
    lock.release();
    expect(existsSync(path.join(dir, RUN_LOCK_FILE))).toBe(false);
    expect(runLockHolder(dir)).toBeNull();
  });

  it('refuses while a live orchestrator holds it, naming its pid', () => {
    const dir = runDir();
    const lock = takeRunLock(dir, 'resume');
    expect(() => takeRunLock(dir, 'resume')).toThrowError(new UsageError(`megatest resume: the orchestrator of ${dir} is still running (pid ${process.pid}); use megatest attach ${dir}`));
    lock.release();
  });

  it('takes over a lock whose process is gone, one whose pid another process has now, and one left unreadable', () => {
    for (const stale of [
      { pid: GONE, start: null, host: hostname() },
      // this process's pid, but another start: the process that wrote it is gone, and its pid reused
      { pid: process.pid, start: 1, host: hostname() },
      'half a lo',
    ]) {
      const dir = runDir();
      writeFileSync(path.join(dir, RUN_LOCK_FILE), typeof stale === 'string' ? stale : JSON.stringify(stale));
      expect(runLockHolder(dir)).toBeNull();
      const lock = takeRunLock(dir, 'resume');
      expect(lockOf(dir).pid).toBe(process.pid);
      expect(readdirSync(dir)).toEqual([RUN_LOCK_FILE]);
      lock.release();
    }
  });

  it('a lock from another machine (a shared disk) is taken as held: its process cannot be seen from here', () => {
    const dir = runDir();
    writeFileSync(path.join(dir, RUN_LOCK_FILE), JSON.stringify({ pid: GONE, start: null, host: 'another-host' }));
    expect(runLockHolder(dir)).toBe(GONE);
    // Said with how to be rid of it, should nothing run it there any more (a container gone, its lock left).
    expect(() => takeRunLock(dir, 'resume')).toThrowError(
      new UsageError(`megatest resume: the orchestrator of ${dir} runs on host another-host (pid ${GONE}) by its orchestrator.lock; if nothing runs it there any more, remove ${path.join(dir, RUN_LOCK_FILE)}`),
    );
  });

  it('an offline restore that holds it is said as one', () => {
    const dir = runDir();
    const lock = takeRunLock(dir, 'restore');
    expect(() => takeRunLock(dir, 'resume')).toThrowError(new UsageError(`megatest resume: a megatest restore (pid ${process.pid}) is putting ${dir}/project back; wait for it to end`));
    lock.release();
  });

  it('release gives back only its own lock', () => {
    const dir = runDir();
    const lock = takeRunLock(dir, 'resume');
    writeFileSync(path.join(dir, RUN_LOCK_FILE), JSON.stringify({ pid: GONE, start: null, host: hostname() }));
    lock.release();
    expect(lockOf(dir).pid).toBe(GONE);
  });

  it('a folder it cannot write in is an error naming the lock file, not a run that starts unseen', () => {
    expect(() => takeRunLock(path.join(root, 'no-such-folder'), 'resume')).toThrowError(/^cannot take the run folder's lock .*orchestrator\.lock: ENOENT$/);
  });
});
