// Whether a test's process (an agent, a build or test command, an orphan) is
// still running.

import { existsSync, readFileSync } from 'node:fs';

/** Whether a process is still running; a zombie (dead, not yet reaped) is not. */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    if (existsSync('/proc/self/stat')) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}
