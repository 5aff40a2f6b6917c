// One orchestrator writes a run folder at a time. Two resumes started at
// once both found no live orchestrator (control.json is written only once
// the control API listens) and both went on, interleaving events.jsonl (81
// seqs twice, two session_ended); a resume on a full disk, whose
// control.json could not be written, ran unseen, and a second resume was
// let in beside it. The lock file is made whole, then linked into place
// (link fails if it exists), so a reader never sees it half written. One
// whose process is gone (kill -9) is stale: set aside by rename, which one
// taker alone can win, and a live one set aside by a racer is put back.

import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { UsageError } from '../config/errors.js';
import { tempName } from './atomic.js';
import { isPidAlive } from './processAlive.js';

export const RUN_LOCK_FILE = 'orchestrator.lock';

export interface LockHolder {
  pid: number;
  /** The process's start in clock ticks since boot (/proc/PID/stat), so a reused pid is not taken for it; null where /proc cannot say. */
  start: number | null;
  host: string;
  /** An orchestrator (a run's or a resume's), or an offline `megatest restore`. */
  role: 'orchestrator' | 'restore';
}

export interface RunLock {
  /** Gives the lock back (only if it is still this process's). */
  release(): void;
}

/** Where /proc can say: the start time of a process, in clock ticks since boot. */
function processStart(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state is the 3rd field, starttime the 22nd.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(fields[19]);
    return Number.isFinite(start) ? start : null;
  } catch {
    return null;
  }
}

function readHolder(file: string): LockHolder | null {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    if (typeof value.pid !== 'number' || !Number.isInteger(value.pid) || value.pid <= 0) return null;
    return { pid: value.pid, start: typeof value.start === 'number' ? value.start : null, host: typeof value.host === 'string' ? value.host : '', role: value.role === 'restore' ? 'restore' : 'orchestrator' };
  } catch {
    return null;
  }
}

/** The holder's process runs now: this machine's, alive, and the same process (not another that reused its pid). */
function holderAlive(holder: LockHolder): boolean {
  // Another machine's (a run folder on a shared disk): its process cannot be seen from here, so it is taken as alive.
  if (holder.host !== '' && holder.host !== hostname()) return true;
  if (!isPidAlive(holder.pid)) return false;
  const start = processStart(holder.pid);
  return holder.start === null || start === null || start === holder.start;
}

/** The live holder of the run folder's lock, or null. */
export function runLockInfo(runDir: string): LockHolder | null {
  const holder = readHolder(path.join(runDir, RUN_LOCK_FILE));
  return holder !== null && holderAlive(holder) ? holder : null;
}

/** The pid of the live orchestrator (or offline restore) that holds the run folder's lock, or null. */
export function runLockHolder(runDir: string): number | null {
  return runLockInfo(runDir)?.pid ?? null;
}

/** Who holds the lock, in words for a refusal: an offline restore, another machine's orchestrator, or this one's. */
export function describeHolder(runDir: string, holder: LockHolder): string {
  if (holder.role === 'restore') return `a megatest restore (pid ${holder.pid}) is putting ${runDir}/project back; wait for it to end`;
  if (holder.host !== '' && holder.host !== hostname()) {
    return `the orchestrator of ${runDir} runs on host ${holder.host} (pid ${holder.pid}) by its ${RUN_LOCK_FILE}; if nothing runs it there any more, remove ${path.join(runDir, RUN_LOCK_FILE)}`;
  }
  return `the orchestrator of ${runDir} is still running (pid ${holder.pid}); use megatest attach ${runDir}`;
}

/**
 * Takes the run folder's lock for this process. A UsageError (exit 2) when
 * a live orchestrator holds it; an Error naming the file when it cannot be
 * written (a full disk: no orchestrator starts unseen).
 */
export function takeRunLock(runDir: string, command: string): RunLock {
  const file = path.join(runDir, RUN_LOCK_FILE);
  const mine: LockHolder = { pid: process.pid, start: processStart(process.pid), host: hostname(), role: command === 'restore' ? 'restore' : 'orchestrator' };
  const held = (holder: LockHolder) => new UsageError(`megatest ${command}: ${describeHolder(runDir, holder)}`);
  const whole = tempName(file);
  try {
    try {
      writeFileSync(whole, JSON.stringify(mine) + '\n', { flag: 'wx' });
    } catch (error) {
      throw new Error(`cannot take the run folder's lock ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        linkSync(whole, file);
        return { release: () => releaseLock(file) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot take the run folder's lock ${file}: ${(error as NodeJS.ErrnoException).code}`);
      }
      const holder = readHolder(file);
      if (holder !== null && holderAlive(holder)) throw held(holder);
      // Stale (its process is gone, or the file unreadable): set aside. Only one taker's rename wins.
      const aside = `${file}.stale-${process.pid}-${attempt}`;
      try {
        renameSync(file, aside);
      } catch {
        continue;
      }
      const moved = readHolder(aside);
      if (moved !== null && holderAlive(moved)) {
        // Another taker's fresh lock, moved between our read and our rename: put back.
        try {
          linkSync(aside, file);
        } catch {
          // a third took the place meanwhile; it holds the lock
        }
        unlinkSync(aside);
        throw held(moved);
      }
      unlinkSync(aside);
    }
    throw new UsageError(`megatest ${command}: cannot take the lock of ${runDir}: other orchestrators keep taking it`);
  } finally {
    try {
      unlinkSync(whole);
    } catch {
      // already gone
    }
  }
}

function releaseLock(file: string): void {
  if (readHolder(file)?.pid !== process.pid) return;
  try {
    unlinkSync(file);
  } catch {
    // gone already: nothing to give back
  }
}
