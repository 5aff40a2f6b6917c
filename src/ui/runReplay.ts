// Entry to the replay console (replay/replayConsole.tsx), loaded through
// importForConsole (consoleImport.ts says why), so nothing here may import
// react, ink or a component statically.

import { importForConsole } from './consoleImport.js';
import type { ReplayConsoleOptions, ReplayFrameOptions } from './replay/replayConsole.js';

export type { ReplayConsoleOptions, ReplayFrameOptions } from './replay/replayConsole.js';
export type { ReplayTarget } from './replay/controller.js';

const replay = await importForConsole(() => import('./replay/replayConsole.js'));

/** The interactive replay; resolves when the person leaves. */
export function runReplayConsole(options: ReplayConsoleOptions): Promise<void> {
  return replay.runReplayConsole(options);
}

/** One frame as plain text (`megatest replay --frame`). */
export function replayFrame(options: ReplayFrameOptions): Promise<string> {
  return replay.replayFrame(options);
}
