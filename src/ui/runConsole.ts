// Entry to the live console (liveConsole.tsx). It exists to load React and
// Ink as their production builds unless the process already chose (NODE_ENV
// set, as under vitest). React's development build records a
// performance.measure carrying a props diff for every component render and
// Node keeps every measure in its global performance buffer: under a busy run
// the console's heap grew by ~30 MB a second. It also costs far more CPU.
//
// The packages pick their build once, when first loaded, and Node loads the
// CommonJS ones (react, react-reconciler, scheduler) while it links the
// importing module graph, before any of that graph runs. So the console's
// graph is imported dynamically, after NODE_ENV is set, and nothing here may
// import react, ink, zustand's React binding or a component statically.
// NODE_ENV is put back afterwards: `megatest run` spawns the orchestrator
// (and through it the agents and the project's own tests), which must not
// inherit a NODE_ENV they never asked for.

import type { ConsoleOutcome } from './actions.js';
import type { RunConsoleOptions, StartedConsole } from './liveConsole.js';

export type { RunConsoleOptions, StartedConsole } from './liveConsole.js';

const chosenByProcess = process.env.NODE_ENV !== undefined;
if (!chosenByProcess) process.env.NODE_ENV = 'production';
let live: typeof import('./liveConsole.js');
try {
  live = await import('./liveConsole.js');
} finally {
  if (!chosenByProcess) delete process.env.NODE_ENV;
}

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
