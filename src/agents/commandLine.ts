// The `command` agent's command line, checked before a session starts. It
// runs as `/bin/sh -c` in the run's project/ folder, so two natural mistakes
// only showed once it ran, as an agent_crash on every start through five
// recoveries: a program that is not there (sh: not found, exit 127), and a
// path relative to where megatest was started (`python3 agent.py`: python
// looks for project/agent.py). Both are bad input: one line, exit 2, no run
// folder. Only a plain command line is read (words, quotes, leading VAR=x);
// one with shell syntax ($, pipes, redirections, globs…) is left to the shell,
// once the shell has read it (`sh -n`) without an error.

import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../config/errors.js';
import { checkProgram } from './binary.js';

export interface CommandLineQuery {
  command: string;
  /** How the person gave it, for the message: `--agent-cmd` or `[agents] command`. */
  key: string;
  /** Where megatest was started: where the person's relative paths point (default: the working directory). */
  cwd?: string;
  /** PATH to search (default: this process's). */
  pathVariable?: string;
}

interface Word {
  text: string;
  /** Written without quotes: the suggestion can swap it for its full path in place. */
  bare: boolean;
  /** Where it starts in the command line. */
  start: number;
}

/** Builtins and keywords of sh: no file to find. */
const SHELL_WORDS = new Set(
  ['!', '.', ':', '[', 'alias', 'bg', 'break', 'builtin', 'case', 'cd', 'command', 'continue', 'echo', 'eval', 'exec', 'exit', 'export', 'false', 'fc', 'fg', 'for', 'getopts', 'hash', 'if', 'jobs', 'kill', 'local', 'printf', 'pwd', 'read', 'readonly', 'return', 'set', 'shift', 'source', 'test', 'time', 'times', 'trap', 'true', 'type', 'ulimit', 'umask', 'unalias', 'unset', 'until', 'wait', 'while'],
);
/** Unquoted, these make it shell syntax rather than plain words. */
const SHELL_SYNTAX = /[$`\\;&|<>(){}*?[\]~#]/;
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** The words of a plain command line; null when it uses shell syntax (or an unclosed quote). */
export function plainWords(command: string): Word[] | null {
  const words: Word[] = [];
  let current: Word | null = null;
  for (let at = 0; at < command.length; at += 1) {
    const char = command[at]!;
    if (char === ' ' || char === '\t' || char === '\n') {
      if (current !== null) words.push(current);
      current = null;
      continue;
    }
    current ??= { text: '', bare: true, start: at };
    if (char === "'" || char === '"') {
      const end = command.indexOf(char, at + 1);
      if (end === -1) return null;
      const quoted = command.slice(at + 1, end);
      if (char === '"' && /[$`\\]/.test(quoted)) return null;
      current.text += quoted;
      current.bare = false;
      at = end;
      continue;
    }
    if (SHELL_SYNTAX.test(char)) return null;
    current.text += char;
  }
  if (current !== null) words.push(current);
  return words;
}

/** Throws UsageError when the command line names a program that is not there, or a file by a path relative to where megatest was started. */
export function checkAgentCommand(query: CommandLineQuery): void {
  const words = plainWords(query.command);
  if (words === null) {
    checkShellSyntax(query);
    return;
  }
  const start = words.findIndex((word) => !(word.bare && ASSIGNMENT.test(word.text)));
  if (start === -1) return;
  const cwd = query.cwd ?? process.cwd();
  const said = `${query.key} ${JSON.stringify(query.command)}`;
  const program = words[start]!.text;
  const suggest = (word: Word, absolute: string): string => {
    if (!word.bare) return `give its full path (${absolute})`;
    const quoted = /^[\w./+,:@%=-]+$/.test(absolute) ? absolute : `'${absolute.replaceAll("'", `'\\''`)}'`;
    return `give its full path: ${query.key} ${JSON.stringify(query.command.slice(0, word.start) + quoted + query.command.slice(word.start + word.text.length))}`;
  };

  if (!SHELL_WORDS.has(program)) {
    if (program.includes('/')) {
      if (!path.isAbsolute(program)) {
        const there = path.resolve(cwd, program);
        if (checkProgram(there).ok) throw new UsageError(`${said}: ${program} is relative, and the agent runs in the run's project/ folder, where it is not; ${suggest(words[start]!, there)}`);
        throw new UsageError(`${said}: ${program}: no such program here (${there}) or in the run's project/ folder, where the agent runs; give its full path`);
      }
      const check = checkProgram(program);
      if (!check.ok) throw new UsageError(`${said}: ${program} ${check.problem}`);
    } else if (!onPath(program, query.pathVariable ?? process.env.PATH ?? '', cwd)) {
      throw new UsageError(`${said}: the program "${program}" is not on PATH; install it or give its full path`);
    }
  }
  // A script or file the program is given by a relative path: found from where megatest started, not from project/.
  for (const word of words.slice(start + 1)) {
    const text = word.text;
    if (text === '' || text.startsWith('-') || path.isAbsolute(text) || !(text.includes('/') || /\.[A-Za-z0-9]{1,5}$/.test(text))) continue;
    const there = path.resolve(cwd, text);
    if (isFile(there)) throw new UsageError(`${said}: ${text} is relative, and the agent runs in the run's project/ folder, where it is not; ${suggest(word, there)}`);
  }
}

/**
 * A command line with shell syntax is left to the shell, but one the shell
 * cannot even read (an unclosed quote, a stray `|`) is bad input too: it
 * failed as an agent_crash at every start until the recovery gave up.
 * `sh -n` reads it without running anything.
 */
function checkShellSyntax(query: CommandLineQuery): void {
  const read = spawnSync('/bin/sh', ['-n', '-c', query.command], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'ignore', 'pipe'] });
  if (read.error !== undefined || read.status === 0) return;
  const said = (read.stderr ?? '').trim().split('\n')[0]?.replace(/^\/bin\/sh: (\d+: )?/, '') ?? '';
  throw new UsageError(`${query.key} ${JSON.stringify(query.command)}: /bin/sh cannot read it${said === '' ? '' : ` (${said})`}; check its quotes and shell syntax`);
}

function onPath(name: string, pathVariable: string, cwd: string): boolean {
  // An empty PATH entry means the working directory, as in execvp.
  return pathVariable.split(path.delimiter).some((dir) => checkProgram(path.resolve(cwd, dir === '' ? '.' : dir, name)).ok);
}

function isFile(file: string): boolean {
  try {
    return existsSync(file) && statSync(file).isFile();
  } catch {
    return false;
  }
}
