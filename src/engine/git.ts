// project/ is a git repository: committed at each phase end, so files_modified
// and the checkpoint's git_commit come from git itself. Worktree isolation
// (worktrees.ts) runs its git through gitTimed: every command has a time limit.

import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { excludeBuildOutput } from './gitExcludes.js';
import { gitEnvFor, OWN_GIT_SETTINGS } from './gitRun.js';

export { GIT_TIMEOUT_MS, gitTimed, type GitResult } from './gitRun.js';

const run = promisify(execFile);

async function git(projectDir: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', [...OWN_GIT_SETTINGS, '-C', projectDir, ...args], { env: gitEnvFor(projectDir), maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

export async function initProjectRepo(projectDir: string): Promise<string> {
  if (!existsSync(path.join(projectDir, '.git'))) {
    await git(projectDir, ['init', '-q', '-b', 'main']);
    await git(projectDir, ['commit', '-q', '--allow-empty', '-m', 'megatest: session start']);
  }
  return (await git(projectDir, ['rev-list', '--max-parents=0', 'HEAD'])).trim().split('\n')[0] ?? '';
}

/** initProjectRepo of a session's project/; on a resume, a repo a kill left half made is made again (.git is not part of checkpoints). */
export async function openProjectRepo(projectDir: string, resuming: boolean, log: { warn(source: string, line: string): void }): Promise<string> {
  try {
    return await initProjectRepo(projectDir);
  } catch (error) {
    if (!resuming) throw error;
    log.warn('git', `project/.git unusable (${(error as Error).message.split('\n')[0]}); creating it again`);
    rmSync(path.join(projectDir, '.git'), { recursive: true, force: true });
    return initProjectRepo(projectDir);
  }
}

/** Commits everything; returns the commit id (the previous one when nothing changed). */
export async function commitAll(projectDir: string, message: string): Promise<string> {
  await excludeBuildOutput(projectDir);
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
  // Build output (Cargo's target/) is not the agents' work: left out before git lists the untracked files.
  await excludeBuildOutput(projectDir);
  const committed = await git(projectDir, ['diff', '--name-only', rootCommit, 'HEAD']);
  const working = await git(projectDir, ['status', '--porcelain', '--untracked-files=all', '--no-renames']);
  const files = new Set<string>();
  for (const line of committed.split('\n')) if (line.trim() !== '') files.add(line.trim());
  for (const line of working.split('\n')) if (line.length > 3) files.add(line.slice(3).trim());
  return files.size;
}
