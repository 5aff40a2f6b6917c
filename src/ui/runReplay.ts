// Entry to the replay console (replay/replayConsole.tsx), loaded as
// runConsole.ts loads the live one: React and Ink as their production builds
// unless the process already chose (see runConsole.ts for why), so nothing
// here may import react, ink or a component statically.

import type { ReplayConsoleOptions, ReplayFrameOptions } from './replay/replayConsole.js';

export type { ReplayConsoleOptions, ReplayFrameOptions } from './replay/replayConsole.js';
export type { ReplayTarget } from './replay/controller.js';

const chosenByProcess = process.env.NODE_ENV !== undefined;
if (!chosenByProcess) process.env.NODE_ENV = 'production';
let replay: typeof import('./replay/replayConsole.js');
try {
  replay = await import('./replay/replayConsole.js');
} finally {
  if (!chosenByProcess) delete process.env.NODE_ENV;
}

/** The interactive replay; resolves when the person leaves. */
export function runReplayConsole(options: ReplayConsoleOptions): Promise<void> {
  return replay.runReplayConsole(options);
}

/** One frame as plain text (`megatest replay --frame`). */
export function replayFrame(options: ReplayFrameOptions): Promise<string> {
  return replay.replayFrame(options);
}
