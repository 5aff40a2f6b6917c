// Option values of the run commands: numbers within the ranges the config
// allows, and values that start with "-" (`--agents -4`), which node's
// parseArgs would take for options and refuse (parseOptions.ts says how to
// write them; here their own check says what is allowed instead).

import type { ParseArgsConfig } from 'node:util';
import { UsageError } from '../config/errors.js';

/**
 * `--agents -4`, `--session-id -rf`: node's parseArgs takes a value that
 * starts with "-" for an option and refuses it. Such a value of an option
 * that takes one, unless it is itself one of the command's options, is
 * joined to it (`--agents=-4`), so its own check says what is allowed.
 */
export function joinDashValues(args: string[], options: NonNullable<ParseArgsConfig['options']>): string[] {
  const isOption = (arg: string): boolean => {
    if (arg.startsWith('--')) return Object.hasOwn(options, arg.slice(2).split('=')[0]!);
    return Object.values(options).some((option) => option.short !== undefined && arg === `-${option.short}`);
  };
  const joined: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--') {
      joined.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : null;
    if (name !== null && options[name]?.type === 'string' && next !== undefined && next !== '--' && next.length > 1 && next.startsWith('-') && !isOption(next)) {
      joined.push(`${arg}=${next}`);
      i += 1;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

export function integer(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  // Digits only, as written: Number() would also take " 80" (and 1e3 was refused), so no trim.
  if (!/^-?\d+$/.test(text)) throw new UsageError(`${flag} ${JSON.stringify(text)}: must be a whole number from ${min} to ${max}`);
  const value = Number(text);
  if (value < min || value > max) throw new UsageError(`${flag} ${text}: must be from ${min} to ${max}`);
  return value;
}

/** A number that may have a fraction (e.g. 0.5 minutes), within min..max. */
export function decimalFlag(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  // As written, as integer(): Number() would take " 5" too.
  if (!/^-?(\d+(\.\d*)?|\.\d+)$/.test(text)) throw new UsageError(`${flag} ${JSON.stringify(text)}: must be a number from ${min} to ${max}`);
  const value = Number(text);
  if (value < min || value > max) throw new UsageError(`${flag} ${text}: must be from ${min} to ${max}`);
  return value;
}

/**
 * The one refusal of a bad --agent value, for run, resume and import alike
 * (each had its own wording: `must be one of "sim", …`, `use one of sim, …`,
 * `use selfware, …`). Written as the config check says it for run.
 */
export function agentKindProblem(value: string, allowed: readonly string[]): string {
  return `--agent ${JSON.stringify(value)}: must be one of ${allowed.map((kind) => JSON.stringify(kind)).join(', ')}`;
}
