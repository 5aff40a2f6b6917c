// Job control. The console: raw mode hands Ctrl-Z to it as a key, so the
// terminal no longer stops the job; the console stops it itself
// (src/ui/terminalScreen.ts) after it has given the screen back. A headless
// orchestrator in the foreground: the terminal stops it, but not its agents,
// which lead process groups of their own; it stops them with itself.

import { setTimeout as sleep } from 'node:timers/promises';
import { isPidStopped } from './processAlive.js';

/** How long after the stop call a SIGCONT (and a SIGWINCH) has surely been handed to its listeners (a signal's pipe is read by the next poll of the event loop). */
const SIGCONT_SETTLE_MS = 20;

/**
 * Stops this process's job as the terminal's Ctrl-Z stops it outside raw
 * mode: SIGTSTP to the whole process group, so the console's re-exec parent
 * (bin/megatest.js) or an npm around it stop with it and the shell sees its
 * job stopped. The kernel stops this process before `kill` returns, so this
 * returns once the job has been continued (`fg`, `bg`). Resolves whether it
 * was stopped at all: in a process group no shell controls (a tmux pane's
 * own command, `ssh host megatest …`: no job control) the kernel drops
 * SIGTSTP, and nothing would ever continue the job.
 */
export async function stopThisJob(): Promise<boolean> {
  let continued = false;
  const onContinue = () => {
    continued = true;
  };
  process.on('SIGCONT', onContinue);
  try {
    process.kill(0, 'SIGTSTP');
    // A terminal resized meanwhile told the shell's job, then in the foreground, and node's size
    // of it is the old one: node reads the size again on SIGWINCH, as if it had come.
    process.kill(process.pid, 'SIGWINCH');
    await sleep(SIGCONT_SETTLE_MS);
  } finally {
    process.off('SIGCONT', onContinue);
  }
  return continued;
}

export interface SuspendedJob {
  /** Process groups stopped with this process, and continued with it. */
  stopped: number;
  /** Process groups left as they were: stopped already (a paused agent), they stay stopped. */
  leftStopped: number;
  /** How long this process was stopped. */
  seconds: number;
}

/**
 * Ctrl-Z for a process whose children lead process groups of their own (a
 * headless orchestrator's agents): the terminal's SIGTSTP stops only its own
 * job, so this process, with SIGTSTP handled, stops those groups itself,
 * then itself with the default action (its handlers taken off meanwhile), as
 * the shell expects. Once continued, it continues the groups it stopped, and
 * not one already stopped (a paused agent stays paused). All synchronous:
 * nothing else runs between the stops.
 */
export function suspendJobTogether(groups: readonly number[], stopSelf: () => void = stopThisProcess): SuspendedJob {
  const stopped: number[] = [];
  let leftStopped = 0;
  for (const group of groups) {
    if (isPidStopped(group)) {
      leftStopped += 1;
      continue;
    }
    try {
      process.kill(-group, 'SIGSTOP');
      stopped.push(group);
    } catch {
      // gone meanwhile
    }
  }
  const started = Date.now();
  try {
    stopSelf();
  } finally {
    for (const group of stopped) {
      try {
        process.kill(-group, 'SIGCONT');
      } catch {
        // gone meanwhile
      }
    }
  }
  return { stopped: stopped.length, leftStopped, seconds: Math.round((Date.now() - started) / 1000) };
}

/** Stops this process with SIGTSTP's default action, and returns once it is continued. */
function stopThisProcess(): void {
  const handlers = process.listeners('SIGTSTP');
  // With no listener left, node puts back the default action: stop.
  for (const handler of handlers) process.off('SIGTSTP', handler);
  try {
    process.kill(process.pid, 'SIGTSTP');
  } finally {
    for (const handler of handlers) process.on('SIGTSTP', handler);
  }
}
