// Option parsing and run-folder arguments shared by ls, clean and compare:
// strict options (an unknown flag is a usage error, exit 2) and a RUN
// argument that is a run folder (megatest's or the original runner's) or a
// session id under --runs-dir.

import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../config/errors.js';
import { isLegacyRunFolder } from '../legacy/detect.js';
import { runsDirFor } from './runsDir.js';

// The one reading of options every command shares (ls, clean, compare and import take it from here).
export { parseCommandArgs } from './parseOptions.js';

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

export function isRunFolder(dir: string): boolean {
  if (!isDirectory(dir)) return false;
  return existsSync(path.join(dir, 'events.jsonl')) || existsSync(path.join(dir, 'config.json')) || isLegacyRunFolder(dir);
}

/** A run folder argument that is no folder at all (nothing there, or a file): said so, before what a run folder must hold. */
export function requireFolderArg(command: string, dir: string): void {
  if (isDirectory(dir)) return;
  if (existsSync(dir)) throw new UsageError(`megatest ${command}: ${dir} is a file, not a run folder`);
  throw new UsageError(`megatest ${command}: ${dir}: no such folder`);
}

/** The run folder RUN names: a path, or a session id under runsDir. */
export function runFolderArg(command: string, arg: string, runsDir: string): string {
  if (isRunFolder(arg)) return path.resolve(arg);
  const plainId = !arg.includes('/') && !arg.includes('\\') && arg !== '.' && arg !== '..';
  if (plainId && isRunFolder(path.join(runsDir, arg))) return path.resolve(runsDir, arg);
  if (isDirectory(arg)) {
    throw new UsageError(`megatest ${command}: ${arg} is not a run folder (no events.jsonl or config.json, and no files of the original runner)`);
  }
  if (existsSync(arg)) throw new UsageError(`megatest ${command}: ${arg} is a file, not a run folder`);
  throw new UsageError(`megatest ${command}: ${arg}: no such run folder${plainId ? ` and no session ${JSON.stringify(arg)} under ${runsDir}` : ''}`);
}

/**
 * The folder a DIR argument names: the path itself when something is there,
 * else a session id under the runs folder (--runs-dir, CONFIG_FILE's, or
 * test_runs), as `ls` prints them and status and compare take them. When
 * neither is there the argument is given back for the caller to say so.
 */
export async function folderOrSessionId(command: string, arg: string, runsDirFlag: string | undefined): Promise<string> {
  if (existsSync(arg)) return arg;
  const plainId = !arg.includes('/') && !arg.includes('\\') && arg !== '.' && arg !== '..' && arg !== '';
  if (!plainId) return arg;
  const under = path.join(await runsDirFor(command, runsDirFlag), arg);
  return isDirectory(under) ? under : arg;
}

/**
 * The refusal of a command that takes one run folder (replay, resume, report, checkpoints verify) given none
 * or more: the arguments past the first are named, as typed. "expected one run folder DIR" alone, with the
 * folder right there on the line, did not say which word was one too many.
 */
export function oneRunFolderRefusal(command: string, positionals: readonly string[]): UsageError {
  const extra = positionals.slice(1).map((arg) => JSON.stringify(arg));
  const unexpected = extra.length === 0 ? '' : `unexpected ${extra.length === 1 ? 'argument' : 'arguments'} ${extra.join(' ')}; `;
  return new UsageError(`megatest ${command}: ${unexpected}expected one run folder DIR (see megatest ${command} --help)`);
}

/** The largest count parseAge takes (999999d is some 2,700 years: any run is younger). */
export const AGE_MAX = 999_999;

/** `7d`, `12h`, `30m`, `45s` as milliseconds. */
export function parseAge(flag: string, text: string): number {
  const match = /^(\d+)([smhd])$/.exec(text.trim());
  if (!match) throw new UsageError(`${flag} ${JSON.stringify(text)}: use a number and s, m, h or d (e.g. 7d)`);
  // The form is right but the count is not: say the range, not the form again.
  const count = Number(match[1]);
  if (count > AGE_MAX) throw new UsageError(`${flag} ${JSON.stringify(text)}: the number must be from 0 to ${AGE_MAX} (e.g. 7d)`);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return count * unit * 1000;
}
