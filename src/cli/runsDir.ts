// The folder the run folders are in, for the commands that find runs (ls,
// status, attach, the controls, compare, clean, restore, import): --runs-dir
// when given; else, with CONFIG_FILE set (the original runner's habit, which
// `run` honours), that file's [session] runs_dir; else test_runs. Without
// it, `run` wrote where CONFIG_FILE said and `ls` answered "no runs under
// test_runs".

export const DEFAULT_RUNS_DIR = 'test_runs';

export async function runsDirFor(command: string, given: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (given !== undefined) return given;
  const file = env.CONFIG_FILE?.trim();
  if (!file) return DEFAULT_RUNS_DIR;
  // Loaded only here: short commands do not pay for the config's schemas unless CONFIG_FILE is set.
  const { loadConfig } = await import('../config/load.js');
  try {
    return loadConfig({ configFile: file, env }).session.runs_dir;
  } catch (error) {
    process.stderr.write(`megatest ${command}: warning: CONFIG_FILE=${file}: its runs_dir cannot be read (${(error as Error).message}); looking in ${DEFAULT_RUNS_DIR}\n`);
    return DEFAULT_RUNS_DIR;
  }
}
