// Every command's options go through node's parseArgs (strict), and every
// refusal it makes becomes one UsageError line here. Node's own messages run
// to three lines of advice ("argument is ambiguous. Did you forget…"), or
// were cut to a first line that did not say what was wrong; so the refusal
// is told from the error's code and parseArgs' own reading of the arguments
// (its tokens), not from the wording of its message.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../config/errors.js';
import { optionHint } from './oldHabits.js';
import { joinDashValues } from './flagValues.js';
import { editDistance } from '../config/messages.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs, strict, positionals allowed; its refusals as one line naming the command and the option. */
export function parseCommandArgs<O extends Options>(command: string, given: string[], options: O) {
  // `--older-than -1d` is the value -1d, refused by the option's own check with what it allows: node's
  // refusal said to write --older-than=-1d, which that check then refused, sending the person round.
  const args = joinDashValues(given, options);
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`megatest ${command}: ${optionProblem(command, error as NodeJS.ErrnoException, args, options)} (see megatest ${command} --help)`);
  }
}

/** Whether an argument is one of the command's options (`--runs-dir`, `--runs-dir=x`, `-h`), or `--`, which ends them. */
function isOwnOption(arg: string, options: Options): boolean {
  if (arg === '--') return true;
  if (arg.startsWith('--')) return Object.hasOwn(options, arg.slice(2).split('=')[0]!);
  return arg.length === 2 && Object.values(options).some((option) => option.short === arg[1]);
}

/**
 * The command's option a misspelt one was meant to be (`--agnets` is `--agents`), or null when none is close:
 * the refusal named only what was wrong, and the person had to go through --help to find the spelling.
 */
function nearestOption(written: string, options: Options): string | null {
  if (!written.startsWith('--')) return null;
  const name = written.slice(2).toLowerCase();
  // Two letters or fewer say too little to guess from.
  if (name.length < 3) return null;
  let best: { option: string; distance: number } | undefined;
  for (const option of Object.keys(options)) {
    const distance = editDistance(name, option);
    // Up to two slips (a swapped pair is two) in a longer name, one in a short one.
    const allowed = option.length >= 5 ? 2 : 1;
    if (distance <= allowed && (best === undefined || distance < best.distance)) best = { option, distance };
  }
  return best === undefined ? null : `did you mean --${best.option}?`;
}

function optionProblem(command: string, error: NodeJS.ErrnoException, args: string[], options: Options): string {
  // Read again, not strict: the same tokens the strict reading refused, with nothing thrown.
  const { tokens } = parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const flag = `--${token.name}`;
    const type = Object.hasOwn(options, token.name) ? options[token.name]!.type : undefined;
    if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && type === undefined) {
      // `run task_queue -1 4`: a negative HOURS read as an option was "Unknown option '-1'", which said nothing of the number.
      const arg = args[token.index] ?? token.rawName;
      if (/^-\d/.test(arg)) return `${arg.slice(0, 20)}: a negative number, and no argument of this command is negative`;
      // An old habit (`--hours 6`, `-c FILE`): what megatest takes instead (oldHabits.ts).
      const value = token.inlineValue ? token.value : args[token.index + 1];
      const hint = optionHint(command, token.rawName, value, (option) => Object.hasOwn(options, option)) ?? nearestOption(token.rawName, options);
      return `Unknown option '${token.rawName}'${hint === null ? '' : `; ${hint}`}`;
    }
    if (error.code !== 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') continue;
    if (type === 'boolean' && token.value !== undefined) return `${flag} takes no value (got ${token.rawName}=${token.value})`;
    if (type !== 'string') continue;
    const how = `write ${flag} VALUE, or ${flag}=-VALUE for a value that starts with "-"`;
    if (token.value === undefined) return `${flag} needs a value, and none was given; ${how}`;
    // `--older-than --runs-dir runs`: parseArgs took the next option for the value.
    if (!token.inlineValue && isOwnOption(token.value, options)) return `${flag} needs a value, and none was given before ${token.value}; ${how}`;
    if (!token.inlineValue && token.value.startsWith('-')) {
      return `${flag} needs a value, and ${JSON.stringify(token.value)} starts with "-"; to give a value that starts with "-", write ${flag}=${token.value}`;
    }
  }
  // A refusal not told above (none is known): node's first line, without its advice.
  return (error.message ?? String(error)).replace(/\. To specify a positional argument.*$/s, '').split('\n')[0]!;
}
