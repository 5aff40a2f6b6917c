// What `attach` (and the other commands that open the console) check before
// they touch anything: a theme name they know, said in the words `run` uses
// for a bad --theme, and a terminal to draw on. Each is one line and exit 2
// (UsageError), never Ink's raw-mode stack trace.

import { UsageError } from '../config/errors.js';
import { isLegacyRunFolder, legacyRunner } from '../legacy/detect.js';
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

/**
 * attach follows a megatest run's own files (events.jsonl, metrics_current.json), and resume goes on from its
 * checkpoints with its agents; a folder of the original runner has none of them (its metrics_current.json is another
 * shape): replay and report read it, converted.
 */
export function refuseLegacyFolder(command: 'attach' | 'resume', dir: string): void {
  if (!isLegacyRunFolder(dir)) return;
  const runner = legacyRunner(dir);
  const by = runner === 'bash' ? 'run_mega_test.sh' : runner === 'python' ? 'test_runner.py' : 'the original runner';
  const why =
    command === 'attach'
      ? `not a megatest session to follow; megatest replay ${dir} shows it`
      : `with no megatest checkpoints or agents to go on with; megatest replay ${dir} and megatest report ${dir} read it`;
  throw new UsageError(`megatest ${command}: ${dir} is a run folder of ${by}, ${why}`);
}
