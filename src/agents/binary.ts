// Finding the agent program before a session starts: a missing or
// non-executable binary is bad input (exit 2, one line, no run folder), not
// a crash an hour in. PATH is searched here, as execvp would, so nothing
// depends on `which` being installed.

import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../config/errors.js';

export interface BinaryQuery {
  /** `[agents] binary` as configured; "" means the kind's default name on PATH. */
  configured: string;
  /** The kind's default program name (selfware, claude, codex). */
  defaultName: string;
  /** The agent kind, for the message. */
  kind: string;
  /** PATH to search (default: this process's). */
  pathVariable?: string;
  /** Where a relative path is resolved from (default: the working directory). */
  cwd?: string;
}

export type Check = { ok: true } | { ok: false; problem: string };

export function checkProgram(file: string): Check {
  let stats;
  try {
    stats = statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, problem: code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file' : `cannot be read (${code ?? 'error'})` };
  }
  if (stats.isDirectory()) return { ok: false, problem: 'is a directory, not a program' };
  if (!stats.isFile()) return { ok: false, problem: 'is not a regular file' };
  try {
    accessSync(file, constants.X_OK);
  } catch {
    return { ok: false, problem: `is not executable (mode ${(stats.mode & 0o777).toString(8).padStart(4, '0')}); chmod +x it` };
  }
  return { ok: true };
}

/** The absolute path of the agent program; throws UsageError naming the key and the problem. */
export function resolveAgentBinary(query: BinaryQuery): string {
  const cwd = query.cwd ?? process.cwd();
  const configured = query.configured.trim();
  const name = configured === '' ? query.defaultName : configured;
  const key = configured === '' ? `--agent ${query.kind}` : `[agents] binary ${JSON.stringify(configured)}`;
  if (name.includes('/')) {
    const file = path.resolve(cwd, name);
    const check = checkProgram(file);
    if (!check.ok) throw new UsageError(`${key}: ${file} ${check.problem}`);
    return file;
  }
  const pathVariable = query.pathVariable ?? process.env.PATH ?? '';
  let notExecutable: string | null = null;
  for (const dir of pathVariable.split(path.delimiter)) {
    // An empty PATH entry means the working directory, as in execvp.
    const file = path.resolve(cwd, dir === '' ? '.' : dir, name);
    const check = checkProgram(file);
    if (check.ok) return file;
    if (notExecutable === null && check.problem.startsWith('is not executable')) notExecutable = `${file} ${check.problem}`;
  }
  if (notExecutable !== null) throw new UsageError(`${key}: ${notExecutable}`);
  const hint = configured === '' ? `install ${query.defaultName} or set [agents] binary to its path` : 'give its full path';
  throw new UsageError(`${key}: the agent program "${name}" is not on PATH; ${hint}`);
}
