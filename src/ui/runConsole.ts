// Entry to the live console (liveConsole.tsx), loaded through
// importForConsole (consoleImport.ts says why), so nothing here may import
// react, ink, zustand's React binding or a component statically.

import type { ConsoleOutcome } from './actions.js';
import { importForConsole } from './consoleImport.js';
import type { RunConsoleOptions, StartedConsole } from './liveConsole.js';

export type { RunConsoleOptions, StartedConsole } from './liveConsole.js';

const live = await importForConsole(() => import('./liveConsole.js'));

/** Frames per second at most: cheap redraws over SSH. */
export const MAX_FPS = live.MAX_FPS;
export const LIVENESS_POLL_MS = live.LIVENESS_POLL_MS;

/** Starts the console and returns its store (for tests and callers that watch it) and outcome. */
export function startConsole(options: RunConsoleOptions): StartedConsole {
  return live.startConsole(options);
}

export async function runConsole(options: RunConsoleOptions): Promise<ConsoleOutcome> {
  return startConsole(options).outcome;
}
