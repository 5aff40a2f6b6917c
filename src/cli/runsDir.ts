// The folder the run folders are in, for the commands that find runs (ls,
// status, attach, the controls, compare, clean, restore, import): --runs-dir
// when given; else, with CONFIG_FILE set (the original runner's habit, which
// `run` honours), that file's [session] runs_dir; else test_runs. Without
// it, `run` wrote where CONFIG_FILE said and `ls` answered "no runs under
// test_runs".

import { readFileSync } from 'node:fs';
import type { RunsDirNaming } from '../io/runFolder.js';
import { assertNever } from '../contract/assertNever.js';

export const DEFAULT_RUNS_DIR = 'test_runs';

/** Where the runs folder came from: a refusal names that, not a --runs-dir the person never typed. */
export type RunsDirSource = { from: 'flag' } | { from: 'config-file'; file: string; environment: boolean } | { from: 'default' };

export interface RunsDirChoice {
  dir: string;
  source: RunsDirSource;
}

export async function runsDirFor(command: string, given: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return (await runsDirChoiceFor(command, given, env)).dir;
}

/** runsDirFor, with where the folder came from (for a refusal that names it). */
export async function runsDirChoiceFor(command: string, given: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<RunsDirChoice> {
  if (given !== undefined) return { dir: given, source: { from: 'flag' } };
  const file = env.CONFIG_FILE?.trim();
  const byDefault: RunsDirChoice = { dir: DEFAULT_RUNS_DIR, source: { from: 'default' } };
  if (!file) return byDefault;
  // Loaded only here: short commands do not pay for the config's schemas unless CONFIG_FILE is set.
  const { loadConfig } = await import('../config/load.js');
  try {
    const dir = loadConfig({ configFile: file, env }).session.runs_dir;
    return { dir, source: await runsDirSourceOf(file, true) };
  } catch (error) {
    process.stderr.write(`megatest ${command}: warning: CONFIG_FILE=${file}: its runs_dir cannot be read (${(error as Error).message}); looking in ${DEFAULT_RUNS_DIR}\n`);
    return byDefault;
  }
}

/**
 * Where the runs folder came from when --runs-dir was not given: the config file (--config, or CONFIG_FILE from
 * the environment) where it sets [session] runs_dir itself, else the defaults. The file is one loadConfig has read.
 */
export async function runsDirSourceOf(configFile: string | undefined, environment: boolean): Promise<RunsDirSource> {
  return configFile !== undefined && (await configFileSetsRunsDir(configFile)) ? { from: 'config-file', file: configFile, environment } : { from: 'default' };
}

async function configFileSetsRunsDir(file: string): Promise<boolean> {
  // Loaded here, as the config is: ls and status without CONFIG_FILE do not pay for a TOML parser.
  const { default: TOML } = await import('@iarna/toml');
  try {
    const data = TOML.parse(readFileSync(file, 'utf8')) as { session?: { runs_dir?: unknown } };
    return data.session?.runs_dir !== undefined;
  } catch {
    return false;
  }
}

/** How a refusal names the runs folder: by --runs-dir where it was typed, else by where it came from, and the way out. */
export function runsDirNaming(choice: RunsDirChoice): RunsDirNaming {
  const { dir, source } = choice;
  const remedy = '; pass --runs-dir DIR';
  switch (source.from) {
    case 'flag':
      return { name: `--runs-dir ${dir}`, remedy: '' };
    case 'config-file':
      return { name: `runs folder ${dir} ([session] runs_dir of ${source.environment ? `CONFIG_FILE=${source.file}` : `--config ${source.file}`})`, remedy };
    case 'default':
      return { name: `runs folder ${dir} (the default, under the current folder)`, remedy };
    default:
      return assertNever(source);
  }
}
