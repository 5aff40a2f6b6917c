// project/ is a git repository: committed at each phase end, so files_modified
// and the checkpoint's git_commit come from git itself. Worktree isolation
// (worktrees.ts) runs its git through gitTimed: every command has a time limit.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { execa } from 'execa';

const run = promisify(execFile);

const GIT_ENV = {
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

async function git(projectDir: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', ['-C', projectDir, ...args], { env: GIT_ENV, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

export async function initProjectRepo(projectDir: string): Promise<string> {
  if (!existsSync(path.join(projectDir, '.git'))) {
    await git(projectDir, ['init', '-q', '-b', 'main']);
    await git(projectDir, ['commit', '-q', '--allow-empty', '-m', 'megatest: session start']);
  }
  return (await git(projectDir, ['rev-list', '--max-parents=0', 'HEAD'])).trim().split('\n')[0] ?? '';
}

/** Commits everything; returns the commit id (the previous one when nothing changed). */
export async function commitAll(projectDir: string, message: string): Promise<string> {
  await git(projectDir, ['add', '-A']);
  const staged = await git(projectDir, ['diff', '--cached', '--name-only']);
  if (staged.trim() !== '') await git(projectDir, ['commit', '-q', '--no-verify', '-m', message]);
  return (await git(projectDir, ['rev-parse', 'HEAD'])).trim();
}

export async function headCommit(projectDir: string): Promise<string | null> {
  try {
    return (await git(projectDir, ['rev-parse', 'HEAD'])).trim();
  } catch {
    return null;
  }
}

/** Files changed since the session's first commit, committed or not. */
export async function filesModifiedSince(projectDir: string, rootCommit: string): Promise<number> {
  const committed = await git(projectDir, ['diff', '--name-only', rootCommit, 'HEAD']);
  const working = await git(projectDir, ['status', '--porcelain', '--untracked-files=all', '--no-renames']);
  const files = new Set<string>();
  for (const line of committed.split('\n')) if (line.trim() !== '') files.add(line.trim());
  for (const line of working.split('\n')) if (line.length > 3) files.add(line.slice(3).trim());
  return files.size;
}
