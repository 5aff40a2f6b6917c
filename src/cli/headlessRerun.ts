// A command that opens the console runs in a process bin/megatest.js
// started with the console's small V8 heap. When the config asks for a
// headless run instead ([session] headless = true), the orchestrator would
// run in that heap for hours: the command runs again as a plain node
// process with --headless, and this one waits for it.

import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';

/** Whether this is the console's process, with its bounded heap (set by bin/megatest.js). */
export function inConsoleHeap(): boolean {
  return process.env.MEGATEST_CONSOLE_PROCESS === '1';
}

/** Runs `megatest COMMAND --headless ARGS…` in the foreground and resolves with its exit code. */
export function rerunHeadless(command: string, args: readonly string[]): Promise<number> {
  const env = { ...process.env };
  delete env.MEGATEST_CONSOLE_PROCESS;
  const child = spawn(process.execPath, [path.join(PACKAGE_ROOT, 'bin', 'megatest.js'), command, '--headless', ...args], { stdio: 'inherit', env });
  // As bin/megatest.js does: Ctrl+C reaches the child with the whole foreground group; a hang-up reaches only the leader.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => undefined);
  process.on('SIGHUP', () => child.kill('SIGHUP'));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal === null ? 0 : constants.signals[signal])));
  });
}

