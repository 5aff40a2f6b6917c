// An agent that deleted its worktree's .git file (`rm -rf .git` to "start
// clean", say): its record in project/.git/worktrees still holds its index
// and HEAD. Before, each commit of it failed ("not a git repository"), its
// task's merge failed until the session paused for a person, and a resume
// pruned the record and made the worktree anew, deleting the agent's files.
// Now the link is written again: the task lands, and a resume keeps the work.

import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentSlot } from '../../../src/engine/agentPool.js';
import { git, read, write } from './gitRepo.js';
import { completed, setUp } from './mergerHarness.js';

describe('a worktree whose .git file the agent deleted', () => {
  it('is linked again at its task_done: the task lands on main, the log says so', async () => {
    const h = setUp(['agent-1']);
    const [one] = h.slots as [AgentSlot];
    one.objectives = ['t1'];
    const dir = (await h.wt.ensure('agent-1')).dir;
    write(dir, 'src/t1.js', 'exports.t1 = 1;\n');
    rmSync(path.join(dir, '.git'));
    h.merger.taskDone(one, 't1');
    await h.settle();
    expect(completed(h.seen)).toEqual(['agent-1:t1']);
    expect(h.seen.failed).toEqual([]);
    expect(git(h.run.project, ['show', 'main:src/t1.js'])).toBe('exports.t1 = 1;');
    expect(h.seen.logs.filter((l) => l.startsWith('WARN'))).toEqual(['WARN agent-1: the .git file of its worktree was gone (deleted in its work dir); written again, its work kept']);
    expect(git(dir, ['rev-parse', '--abbrev-ref', 'HEAD'])).toBe('megatest/agent-1');
  });

  it('at a resume (prepare, then the worktree asked for): linked again before git prunes it, the work there kept', async () => {
    const h = setUp(['agent-1']);
    const dir = (await h.wt.ensure('agent-1')).dir;
    write(dir, 'src/draft.js', 'exports.draft = true;\n');
    rmSync(path.join(dir, '.git'));
    const notes = await h.wt.prepare(['node_modules/']);
    expect(notes).toEqual([`${dir}/.git was gone; written again, the work there kept`]);
    const again = await h.wt.ensure('agent-1');
    expect(again.created).toBe(false);
    expect(read(dir, 'src/draft.js')).toBe('exports.draft = true;\n');
    expect(existsSync(path.join(h.run.project, '.git', 'worktrees', 'agent-1'))).toBe(true);
    expect(git(dir, ['status', '--porcelain'])).toBe('?? src/');
  });
});
