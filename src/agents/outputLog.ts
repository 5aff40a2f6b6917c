// agents/<name>/output.log, the agent's raw output, is written through a
// stream. Its end is asynchronous: a stop that returned on the agent's exit
// left its last lines (the reply to the stop itself) still on their way to
// the file for whoever read it next. A stop now waits for the stream to
// close, within a bound: a disk that does not answer must not hold it up.

import type { WriteStream } from 'node:fs';
import path from 'node:path';
import { RotatingFileStream, type LogRotation } from '../io/rotatingLog.js';

/** How long a stop waits for output.log to be written out. */
export const OUTPUT_LOG_CLOSE_MS = 2000;

/**
 * Opens agents/<name>/output.log for appending, rotated past `rotation`'s cap
 * (output.log.1, .2 …): a chatty agent wrote 120 MB an hour into it, for as
 * long as the run went on. It is a WriteStream to its users (the same
 * members, the same backpressure), so the adapters only swap the call.
 */
export function openOutputLog(agentDir: string, highWaterMark: number, rotation?: LogRotation): WriteStream {
  return new RotatingFileStream(path.join(agentDir, 'output.log'), rotation, highWaterMark);
}

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

/**
 * Copies everything the agent prints on stdout and stderr into its
 * output.log (whatever `log()` returns at the time: none while it has no
 * log) and hands each chunk on to `onStdout` / `onStderr`. When the log falls
 * behind, both pipes pause until it drains: the agent waits, not the
 * orchestrator's memory.
 */
export function recordOutput(
  stdout: NodeJS.ReadableStream,
  stderr: NodeJS.ReadableStream,
  log: () => WriteStream | undefined | null,
  onStdout: (chunk: Buffer) => void,
  onStderr: (chunk: Buffer) => void,
): void {
  let waitingForDrain = false;
  const record = (chunk: Buffer): void => {
    const target = log();
    if (!target) return;
    if (!target.write(chunk) && !waitingForDrain) {
      waitingForDrain = true;
      stdout.pause();
      stderr.pause();
      // A log that fails or is closed meanwhile never drains: the pipes go on regardless, or the agent blocked on its
      // own output for good and read as hung.
      const goOn = (): void => {
        target.off('drain', goOn).off('error', goOn).off('close', goOn);
        waitingForDrain = false;
        stdout.resume();
        stderr.resume();
      };
      target.once('drain', goOn).once('error', goOn).once('close', goOn);
    }
  };
  stdout.on('data', (chunk: Buffer) => {
    record(chunk);
    onStdout(chunk);
  });
  stderr.on('data', (chunk: Buffer) => {
    record(chunk);
    onStderr(chunk);
  });
}
