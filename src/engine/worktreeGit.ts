// The git commands of worktree isolation, each with its time limit: run in
// project/ or an agent's worktree, a failure worded as one GitError, and the
// index lock a git killed for its time leaves behind removed. Also the two
// questions asked of a folder's git (its unmerged files; whether it is one of
// project/'s worktrees). worktrees.ts says which commands to run.

import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gitTimed, type GitResult } from './git.js';

export class GitError extends Error {}

export class WorktreeGit {
  constructor(
    private readonly projectDir: string,
    private readonly timeoutMs: number,
  ) {}

  /** The files git lists as unmerged in `dir` (none when it cannot say). */
  async unmergedPaths(dir: string): Promise<string[]> {
    const result = await this.run(dir, ['diff', '--name-only', '--diff-filter=U']);
    return result.code === 0 ? result.stdout.split('\n').filter((line) => line.trim() !== '') : [];
  }

  /** True when `dir` is the top of a worktree whose git data is project/.git. */
  async belongs(dir: string): Promise<boolean> {
    const result = await this.run(dir, ['rev-parse', '--show-toplevel', '--git-common-dir']);
    if (result.code !== 0) return false;
    const [top, common] = result.stdout.trim().split('\n');
    if (top === undefined || common === undefined) return false;
    return realpathOr(top) === realpathOr(dir) && realpathOr(path.resolve(dir, common)) === realpathOr(path.join(this.projectDir, '.git'));
  }

  /**
   * A conflict of the agent's own git left in `dir`: files unmerged in the index (a `git stash pop` that stopped
   * on one has no other trace), or a rebase, cherry-pick or revert stopped on one (its files maybe staged, markers and all).
   */
  async ownConflictIn(dir: string): Promise<boolean> {
    if ((await this.unmergedPaths(dir)).length > 0) return true;
    for (const ref of ['REBASE_HEAD', 'CHERRY_PICK_HEAD', 'REVERT_HEAD']) {
      if ((await this.run(dir, ['rev-parse', '-q', '--verify', ref])).code === 0) return true;
    }
    return false;
  }

  /**
   * A commit of `dir`'s files as they are (untracked ones too, ignored ones not) on top of `head`, made through an
   * index of its own, so the worktree's (mid-merge, say) stays as it is; null when nothing differs from `head`, or
   * git failed.
   */
  async snapshot(dir: string, head: string, message: string): Promise<string | null> {
    const scratch = mkdtempSync(path.join(tmpdir(), 'megatest-snapshot-'));
    const env = { GIT_INDEX_FILE: path.join(scratch, 'index') };
    try {
      await this.ok(dir, ['read-tree', head], env);
      await this.ok(dir, ['add', '-A'], env);
      const tree = await this.ok(dir, ['write-tree'], env);
      if (tree === (await this.ok(dir, ['rev-parse', `${head}^{tree}`]))) return null;
      return await this.ok(dir, ['commit-tree', tree, '-p', head, '-m', message]);
    } catch {
      return null;
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  async run(dir: string, args: string[], env?: Record<string, string>): Promise<GitResult> {
    const result = await gitTimed(dir, args, this.timeoutMs, env);
    // A git killed for its time may leave its index lock: nothing else holds it (one git at a time per worktree).
    if (result.timedOut) rmSync(this.indexLockOf(dir), { force: true });
    return result;
  }

  async ok(dir: string, args: string[], env?: Record<string, string>): Promise<string> {
    const result = await this.run(dir, args, env);
    if (result.code !== 0) throw this.failure(dir, args, result);
    return result.stdout.trim();
  }

  failure(dir: string, args: string[], result: GitResult): GitError {
    const why = result.timedOut ? `timed out after ${Math.round(this.timeoutMs / 1000)} s` : `failed (exit ${result.code})`;
    const detail = result.stderr.trim().split('\n')[0] ?? '';
    return new GitError(`git ${args.join(' ')} in ${dir} ${why}${detail ? `: ${detail}` : ''}`);
  }

  private indexLockOf(dir: string): string {
    if (path.resolve(dir) === path.resolve(this.projectDir)) return path.join(this.projectDir, '.git', 'index.lock');
    return path.join(this.projectDir, '.git', 'worktrees', path.basename(dir), 'index.lock');
  }
}

/** The file's real path, or its resolved path when it has none (gone). */
export function realpathOr(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

/**
 * An agent deleted its worktree's .git file: its record in project/.git/worktrees (whose gitdir names the folder)
 * still holds its index and HEAD, so the link is written again and the work dir goes on as it was. Before, every
 * commit of it failed ("not a git repository"), its merges too, and a restore or resume made the worktree anew,
 * its files deleted. True when it wrote the link.
 */
export function relinkDotGit(projectDir: string, dir: string): boolean {
  const dotGit = path.join(dir, '.git');
  if (!existsSync(dir) || existsSync(dotGit)) return false;
  const records = path.join(projectDir, '.git', 'worktrees');
  let names: string[] = [];
  try {
    names = readdirSync(records);
  } catch {
    return false;
  }
  for (const name of names) {
    const backLink = path.join(records, name, 'gitdir');
    if (!existsSync(backLink) || realpathOr(path.dirname(readFileSync(backLink, 'utf8').trim())) !== realpathOr(dir)) continue;
    writeFileSync(dotGit, `gitdir: ${path.join(records, name)}\n`);
    return true;
  }
  return false;
}
