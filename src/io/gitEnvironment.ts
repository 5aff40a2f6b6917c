// Which repository git acts on can be chosen from the environment (GIT_DIR
// and its kin, set when megatest is started from a git hook, say), and git
// looks for one in the parent folders of a folder that has no .git. The run
// folder often sits inside a repository of the user's (runs_dir "test_runs"
// under the folder megatest was started in), so a work dir whose .git an
// agent deleted led git, megatest's or the agent's own, into the user's
// repository: commits made on the user's branch, a `git reset --hard` that
// threw away the user's uncommitted edits. megatest's git (src/engine/gitRun.ts)
// and every agent process (src/agents) get an environment that keeps git to
// the run's own repositories: the choosing variables left out, and no
// looking above the work dir.

import { realpathSync } from 'node:fs';
import path from 'node:path';

/** The variables that choose a repository other than the folder's own, or let git look further for one. */
export const REPOSITORY_VARIABLES = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_NAMESPACE',
  'GIT_PREFIX',
  'GIT_CEILING_DIRECTORIES',
  'GIT_DISCOVERY_ACROSS_FILESYSTEM',
] as const;

/** `env` without the variables that choose another repository. */
export function withoutRepositoryChoice(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const kept = { ...env };
  for (const name of REPOSITORY_VARIABLES) delete kept[name];
  return kept;
}

/**
 * `env` for a process working in `dir` (the top of project/ or of a
 * worktree): the choosing variables left out, and git not let look above
 * `dir` (a .git gone from it is "not a git repository", never the user's
 * repository around the run). Its subfolders still find `dir`'s own .git.
 */
export function keptToRunRepository(env: NodeJS.ProcessEnv, dir: string): NodeJS.ProcessEnv {
  const top = path.resolve(dir);
  let real = top;
  try {
    real = realpathSync(top);
  } catch {
    // gone: the process (or git -C) fails on it first
  }
  return { ...withoutRepositoryChoice(env), GIT_CEILING_DIRECTORIES: path.dirname(real) };
}
