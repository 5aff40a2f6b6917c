// Running git with megatest's identity and environment, and a time limit.

import { execa } from 'execa';

export const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'megatest',
  GIT_AUTHOR_EMAIL: 'megatest@localhost',
  GIT_COMMITTER_NAME: 'megatest',
  GIT_COMMITTER_EMAIL: 'megatest@localhost',
  GIT_TERMINAL_PROMPT: '0',
  // A status or diff (metrics, attempt artifacts) must not take the index lock a merge needs at the same moment.
  GIT_OPTIONAL_LOCKS: '0',
};

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
 */
export async function gitTimed(dir: string, args: string[], timeoutMs = GIT_TIMEOUT_MS): Promise<GitResult> {
  const result = await execa('git', ['-C', dir, ...args], {
    env: GIT_ENV,
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

