// An agent's program leads its own process group (spawned `detached`), so a
// stop or a pause reaches every child it started. When the program exits by
// itself, what it left running in the group (a dev server started with `&`,
// a watcher, a test database) used to live on: one more per task, for the
// whole run and after it. Such leftovers are now ended with the program:
// SIGTERM at once, SIGKILL after a grace, and a line in output.log says so.

/** How long leftovers get between SIGTERM and SIGKILL. */
export const LEFTOVER_GRACE_MS = 2000;

/** True while some process is in the group `pgid` (signal 0 checks without sending). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    // EPERM: a member exists that is not ours to signal (it changed user): alive, though nothing can be done.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: gone meanwhile; EPERM: not ours
  }
}

/**
 * Ends what the group's leader left running once it has exited, and calls
 * `said` with a line for output.log when there was anything. Called right
 * on the leader's exit: the group's id cannot belong to a new process while
 * any member is left, so the check and the signals reach only the leftovers.
 * The SIGKILL's timer does not hold the orchestrator's exit.
 */
export function endLeftovers(pgid: number | undefined, said: (line: string) => void, graceMs = LEFTOVER_GRACE_MS): void {
  if (pgid === undefined || !groupAlive(pgid)) return;
  said(`[megatest] the program exited leaving processes running in its group ${pgid}: SIGTERM now, SIGKILL in ${graceMs} ms if any is left`);
  signalGroup(pgid, 'SIGTERM');
  // A stopped member (a paused agent's) only sees the SIGTERM once it runs again.
  signalGroup(pgid, 'SIGCONT');
  setTimeout(() => {
    if (groupAlive(pgid)) signalGroup(pgid, 'SIGKILL');
  }, graceMs).unref();
}
