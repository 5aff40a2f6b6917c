// Running git with megatest's identity and environment, and a time limit.
//
// megatest's git acts on the run's own repositories only: project/ and the
// agents' worktrees, each named by the folder at its top (an agent that
// deleted its worktree's .git file had its task's commit, and every
// checkpoint's, made in the user's repository around the run folder, and a
// reset of its branch threw away the user's uncommitted edits there): see
// src/io/gitEnvironment.ts.

import { execa } from 'execa';
import { keptToRunRepository, withoutRepositoryChoice } from '../io/gitEnvironment.js';

export const GIT_ENV = {
  ...withoutRepositoryChoice(process.env),
  GIT_AUTHOR_NAME: 'megatest',
  GIT_AUTHOR_EMAIL: 'megatest@localhost',
  GIT_COMMITTER_NAME: 'megatest',
  GIT_COMMITTER_EMAIL: 'megatest@localhost',
  GIT_TERMINAL_PROMPT: '0',
  // A status or diff (metrics, attempt artifacts) must not take the index lock a merge needs at the same moment.
  GIT_OPTIONAL_LOCKS: '0',
};

/**
 * Put before every git command of megatest's. No hook of the project's runs: an agent can set them up for all of
 * project/'s worktrees (`.git/hooks`, or core.hooksPath as husky does), and `--no-verify` skips only pre-commit,
 * pre-merge-commit and commit-msg: a post-commit, post-merge or post-checkout (an `npm install` after each merge,
 * say) ran inside megatest's merges, within their time limit. And megatest's commits are not signed: a
 * commit.gpgSign of the user's (~/.gitconfig) or an agent's made every commit and merge ask gpg for a key it may
 * not have ("gpg failed to sign the data"), each merge then failing.
 */
export const OWN_GIT_SETTINGS = ['-c', 'core.hooksPath=/dev/null', '-c', 'commit.gpgSign=false'];

/**
 * GIT_ENV for a git run in `dir`, the top of project/ or of a worktree: git
 * may not look for a repository above it (a `.git` gone from `dir` is an
 * error, "not a git repository", never the user's repository around the run).
 */
export function gitEnvFor(dir: string): NodeJS.ProcessEnv {
  return keptToRunRepository(GIT_ENV, dir);
}

/** Longest one git command of the worktree isolation may take before it is killed. */
export const GIT_TIMEOUT_MS = 60_000;

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs git in `dir` with a time limit (SIGTERM, then SIGKILL 2 s later) and
 * never throws on a non-zero exit: merges and status checks read the code.
 * `env`: variables of this command alone (a temporary index, say).
 */
export async function gitTimed(dir: string, args: string[], timeoutMs = GIT_TIMEOUT_MS, env: Record<string, string> = {}): Promise<GitResult> {
  const result = await execa('git', [...OWN_GIT_SETTINGS, '-C', dir, ...args], {
    env: { ...gitEnvFor(dir), ...env },
    extendEnv: false,
    reject: false,
    timeout: timeoutMs,
    forceKillAfterDelay: 2000,
    stdin: 'ignore',
    maxBuffer: 64 * 1024 * 1024,
  });
  return {
    code: result.exitCode ?? -1,
    stdout: typeof result.stdout === 'string' ? result.stdout : '',
    // git missing or not started: execa's own message says why.
    stderr: (typeof result.stderr === 'string' && result.stderr) || (result.exitCode === undefined ? (result.shortMessage ?? '') : ''),
    timedOut: result.timedOut === true,
  };
}

