// Whether a process is running, by pid: kept apart from sessions.ts so the
// checkpoint store and the command runner can ask without loading the run
// listing (config, legacy folders) that sessions.ts brings in.

import { readFileSync } from 'node:fs';

/**
 * True while pid names a running process, ours or another user's (EPERM: it
 * exists, we may not signal it). A zombie is not running: an orchestrator
 * killed with SIGKILL stays one until its parent reaps it, and `megatest
 * resume` right after the kill said it was "still running".
 */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}

/** Its state in /proc is Z (exited, not reaped) or X (going); false where /proc cannot say. */
function isZombie(pid: number): boolean {
  const state = processState(pid);
  return state === 'Z' || state === 'X';
}

/** Stopped (Ctrl-Z, SIGSTOP; `t`: stopped under a tracer): it runs nothing, and answers nothing, until continued. */
export function isPidStopped(pid: number): boolean {
  const state = processState(pid);
  return state === 'T' || state === 't';
}

/**
 * When a process started (ms since the epoch), from /proc: its start in clock ticks after boot (stat field 22) and
 * the boot time (/proc/stat btime). Ticks are USER_HZ, 100 on Linux. null where /proc cannot say (gone, not Linux).
 */
export function processStartMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name (which may hold spaces and parentheses): state is field 3, starttime field 22
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    if (!Number.isFinite(ticks) || !Number.isFinite(btime)) return null;
    return btime * 1000 + ticks * 10;
  } catch {
    return null;
  }
}

/** A process's state letter from /proc (`T`: stopped, `Z`: a zombie), or null where none can be read (gone, or no /proc). */
export function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (in parentheses) may hold spaces and parentheses: the state follows the last ")".
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] || null;
  } catch {
    return null;
  }
}
