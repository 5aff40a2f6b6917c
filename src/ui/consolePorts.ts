// What the consoles need from outside the UI: the run folder followed, a
// theme read, the console's job stopped for Ctrl-Z. The UI renders and never
// touches a file or signals a process itself: src/cli/consolePorts.ts gives
// these from src/io, and tests give fakes.

import type { RunFolderTail, TailHandlers, TailOptions } from '../io/tail.js';
import type { Theme } from './theme.js';

export interface ConsolePorts {
  /** A theme by name (themes/<name>.json); throws with a one-line message naming the file. */
  loadTheme(name: string): Theme;
  /** Stops the console's job for Ctrl-Z (SIGTSTP to its process group); false where it could not. */
  stopJob(): Promise<boolean>;
}

export interface LiveConsolePorts extends ConsolePorts {
  /** Follows a run folder: its events, log lines, status and metrics as they are written. */
  follow(runDir: string, handlers: TailHandlers, options: TailOptions): RunFolderTail;
}
