// Job control for the console: raw mode hands Ctrl-Z to the console as a
// key, so the terminal no longer stops the job; the console stops it itself
// (src/ui/terminalScreen.ts) after it has given the screen back.

import { setTimeout as sleep } from 'node:timers/promises';

/** How long after the stop call a SIGCONT has surely been handed to its listener (the signal's pipe is read by the next poll of the event loop). */
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
    await sleep(SIGCONT_SETTLE_MS);
  } finally {
    process.off('SIGCONT', onContinue);
  }
  return continued;
}
