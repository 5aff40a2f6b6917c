// agents/<name>/output.log, the agent's raw output, is written through a
// stream. Its end is asynchronous: a stop that returned on the agent's exit
// left its last lines (the reply to the stop itself) still on their way to
// the file for whoever read it next. A stop now waits for the stream to
// close, within a bound: a disk that does not answer must not hold it up.

import type { WriteStream } from 'node:fs';

/** How long a stop waits for output.log to be written out. */
export const OUTPUT_LOG_CLOSE_MS = 2000;

/** Resolves once `log` (already ended, or failed) has closed, or after `boundMs`. */
export function outputLogClosed(log: WriteStream | undefined, boundMs = OUTPUT_LOG_CLOSE_MS): Promise<void> {
  if (log === undefined || log.closed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, boundMs);
    log.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
