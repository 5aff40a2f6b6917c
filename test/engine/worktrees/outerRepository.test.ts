// The run folder inside a repository of the user's (runs_dir "test_runs"
// under the folder megatest was started in): megatest's git acts on project/
// and the agents' worktrees only. An agent that deleted its worktree's .git
// file had its task's commit made in the user's repository, and a reset of
// its branch threw away the user's uncommitted edits there; a GIT_DIR in
// megatest's own environment pointed every git command at that repository.

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { git, write } from './gitRepo.js';
import { completed, setUp } from './mergerHarness.js';

/** The user's repository around the run folder: one commit of theirs, and an edit of theirs not committed. */
function userRepositoryAround(root: string): { commits: () => string[]; edit: string; file: string } {
  git(root, ['init', '-q', '-b', 'main']);
  git(root, ['config', 'user.name', 'the user']);
  git(root, ['config', 'user.email', 'user@localhost']);
  const file = path.join(root, 'notes.txt');
  writeFileSync(file, 'committed by the user\n');
  git(root, ['add', 'notes.txt']);
  git(root, ['commit', '-q', '-m', 'the user’s own commit']);
  const edit = 'committed by the user\nan edit not committed yet\n';
  writeFileSync(file, edit);
  return { commits: () => git(root, ['log', '--format=%s']).split('\n'), edit, file };
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('a run folder inside a repository of the user’s', () => {
  it('a worktree whose .git is gone: nothing is committed or reset in the user’s repository; the merge fails saying why', async () => {
    const h = setUp(['agent-1'], { retryDelayMs: 0 });
    const user = userRepositoryAround(h.run.root);
    const [one] = h.slots;
    one!.objectives = ['t1'];
    const dir = (await h.wt.ensure('agent-1')).dir;
    write(dir, 'src/t1.js', 'exports.t1 = 1;\n');
    // Its .git file gone, and its record in project/.git too (so it cannot be linked again, deletedDotGit.test.ts).
    rmSync(path.join(dir, '.git'));
    rmSync(path.join(h.run.project, '.git', 'worktrees', 'agent-1'), { recursive: true });
    h.merger.taskDone(one!, 't1');
    await h.until(() => h.seen.failed.length > 0);
    expect(h.seen.failed[0]!.message).toContain(`${dir} is no longer a worktree of project/`);
    expect(h.seen.failed[0]!.message).toContain('it has no .git');
    // The branch reset a reassignment or a restore does, on the same worktree.
    await expect(h.wt.resetTo('agent-1', null)).rejects.toThrow(/not a git repository/);
    await expect(h.wt.commitWork('agent-1', 'megatest: agent-1 work in progress at a periodic checkpoint')).rejects.toThrow(/not a git repository/);
    expect(user.commits()).toEqual(['the user’s own commit']);
    expect(readFileSync(user.file, 'utf8')).toBe(user.edit);
    expect(completed(h.seen)).toEqual([]);
    expect(git(h.run.project, ['log', '--format=%s'])).toBe('base');
  });

  it('a GIT_DIR in megatest’s environment does not point its git at another repository', async () => {
    const h = setUp(['agent-1']);
    userRepositoryAround(h.run.root);
    vi.stubEnv('GIT_DIR', path.join(h.run.root, '.git'));
    vi.stubEnv('GIT_WORK_TREE', h.run.root);
    vi.resetModules();
    const { gitTimed } = await import('../../../src/engine/gitRun.js');
    const { commitAll } = await import('../../../src/engine/git.js');
    const top = await gitTimed(h.run.project, ['rev-parse', '--show-toplevel']);
    expect(top.stdout.trim()).toBe(h.run.project);
    write(h.run.project, 'phase.txt', 'made in a phase\n');
    const commit = await commitAll(h.run.project, 'megatest: phase end');
    // The test's own git below reads the repositories as they are, not through those variables.
    vi.unstubAllEnvs();
    expect(git(h.run.project, ['rev-parse', 'HEAD'])).toBe(commit);
    expect(git(h.run.project, ['log', '--format=%s'])).toBe('megatest: phase end\nbase');
    expect(git(h.run.root, ['log', '--format=%s'])).toBe('the user’s own commit');
  });
});
