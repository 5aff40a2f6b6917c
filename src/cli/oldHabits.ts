// What users of the original runner (test_runner.py, run_mega_test.sh) and
// of other tools type out of habit, and what megatest takes instead: the one
// table of hints an "Unknown option" or an unknown command gets. Each hint is
// a clause for the one line of the refusal (exit 2), naming what to write.

import { editDistance } from '../config/messages.js';

/** An option megatest does not take; `value` is what followed it (`--hours 6`), if anything did. */
interface OptionHabit {
  /** How the option is written (long and short forms alike). */
  names: readonly string[];
  /** The hint for `command`, whose options are `takes`; null where the habit means nothing for that command. */
  hint: (command: string, value: string | undefined, takes: (option: string) => boolean) => string | null;
}

/** The commands that take the run they act on as their argument (a folder or a session id). */
const SESSION_ARGUMENT: ReadonlySet<string> = new Set(['status', 'report', 'replay', 'resume', 'attach', 'pause', 'continue', 'stop', 'checkpoint', 'compress', 'restore', 'checkpoints verify']);

const OPTION_HABITS: readonly OptionHabit[] = [
  {
    names: ['--project'],
    hint: (command, value) => (command === 'run' ? `the project is the first argument: megatest run ${value ?? 'PROJECT'}` : null),
  },
  {
    names: ['--hours'],
    hint: (_command, value, takes) => (takes('duration') ? `the length is --duration ${value ?? 'N'}h (or HOURS, run's second argument)` : null),
  },
  {
    names: ['--resume'],
    hint: (command, value) => (command === 'run' || command === 'resume' ? `a run goes on with megatest resume ${value ?? 'DIR'}` : null),
  },
  {
    // run and import take --session-id (the id a new run folder gets); the commands that read a run take it as their argument.
    names: ['--session-id', '--session'],
    hint: (command, value, takes) =>
      !takes('session-id') && SESSION_ARGUMENT.has(command) ? `the session is the argument: megatest ${command} ${value ?? (command === 'report' || command === 'replay' ? 'DIR|ID' : 'SESSION')}` : null,
  },
  {
    names: ['-c', '--config-file'],
    hint: (_command, value, takes) => (takes('config') ? `the config file is --config ${value ?? 'FILE'}` : null),
  },
];

/** The hint for an option `command` does not take, or null. */
export function optionHint(command: string, written: string, value: string | undefined, takes: (option: string) => boolean): string | null {
  const habit = OPTION_HABITS.find((entry) => entry.names.includes(written));
  return habit?.hint(command, value !== undefined && !value.startsWith('-') ? value : undefined, takes) ?? null;
}

/** Commands megatest names otherwise: `megatest migrate` is `megatest config migrate`; `megatest version` is an option. */
const COMMAND_HABITS: Readonly<Record<string, string>> = {
  migrate: 'megatest config migrate OLD.toml',
  validate: 'megatest config check FILE',
  version: 'megatest --version',
};

/** The commands a person types (main.ts's switch, without the internal orchestrate): what a misspelt one is matched against. */
export const MEGATEST_COMMANDS: readonly string[] = [
  'run', 'attach', 'replay', 'resume', 'checkpoint', 'compress', 'pause', 'continue', 'stop', 'restore',
  'checkpoints', 'status', 'report', 'ls', 'clean', 'compare', 'import', 'config', 'help',
];

/** `megatest config validate` is `config check`, `config show` is `config print`. */
const CONFIG_HABITS: Readonly<Record<string, string>> = {
  validate: 'megatest config check FILE',
  show: 'megatest config print',
};

export function commandHint(command: string): string | null {
  return Object.hasOwn(COMMAND_HABITS, command) ? `did you mean ${COMMAND_HABITS[command]}?` : null;
}

/**
 * The command a misspelt one was meant to be (`satus` is status, `reprot` report), or null when none is
 * close: "unknown command" alone sent the person to --help to find the spelling. As parseOptions.ts
 * guesses a misspelt option, but two letters are enough here (`rn`): every command is a short word.
 */
export function nearestCommandHint(command: string): string | null {
  if (command.length < 2 || command.startsWith('-')) return null;
  const written = command.toLowerCase();
  let best: { command: string; distance: number } | undefined;
  for (const candidate of MEGATEST_COMMANDS) {
    const distance = editDistance(written, candidate);
    // Up to two slips (a swapped pair is two) in a longer name, one in a short one.
    const allowed = candidate.length >= 5 ? 2 : 1;
    if (distance <= allowed && (best === undefined || distance < best.distance)) best = { command: candidate, distance };
  }
  return best === undefined ? null : `did you mean ${best.command}?`;
}

export function configCommandHint(sub: string): string | null {
  return Object.hasOwn(CONFIG_HABITS, sub) ? `did you mean ${CONFIG_HABITS[sub]}?` : null;
}

/** `megatest task_queue 6 6` (the original runner's argument order): a project type given as the command. */
export function projectAsCommandHint(command: string, args: readonly string[], isProjectType: (word: string) => boolean): string | null {
  return /^[a-z][a-z0-9_-]*$/.test(command) && isProjectType(command) ? `did you mean megatest run ${[command, ...args].join(' ')}?` : null;
}

/** `megatest checkpoint verify X`: `checkpoint` takes a checkpoint now; verifying is `checkpoints verify`. */
export function checkpointVerifyHint(command: string, positionals: readonly string[]): string | null {
  return command === 'checkpoint' && positionals[0] === 'verify' ? `did you mean megatest checkpoints verify ${positionals.slice(1).join(' ') || 'DIR|ID'}?` : null;
}
