// What `attach` (and the other commands that open the console) check before
// they touch anything: a theme name they know, said in the words `run` uses
// for a bad --theme, and a terminal to draw on. Each is one line and exit 2
// (UsageError), never Ink's raw-mode stack trace.

import { UsageError } from '../config/errors.js';
import { THEME_NAMES } from '../ui/theme.js';

export function checkThemeFlag(theme: string | undefined): void {
  if (theme === undefined || (THEME_NAMES as readonly string[]).includes(theme)) return;
  throw new UsageError(`--theme ${theme}: must be one of ${THEME_NAMES.map((name) => JSON.stringify(name)).join(', ')}`);
}

/** The console needs a terminal on both sides: keys in, frames out. */
export function requireTerminal(command: string, instead: string): void {
  if (process.stdin.isTTY && process.stdout.isTTY) return;
  throw new UsageError(`${command} needs a terminal; use ${instead}`);
}

export { refuseLegacyFolder } from './legacyRefusal.js';
