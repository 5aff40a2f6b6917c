// A merge that fails for another reason than a conflict, its retries spent,
// is an `error` event (class merge_failed) that the views, the report and the
// alerts see, not only a line in session.log; when the agent's worktree is no
// longer one of project/'s (the agent ran `git init` in it), the error says so.

import { rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { git, write } from './gitRepo.js';
import { completed, setUp } from './mergerHarness.js';

describe('a merge into main that keeps failing', () => {
  it('is an error event naming the branch, the tasks and why (the worktree is a repository of its own), once its retries are spent', async () => {
    const h = setUp(['agent-1'], { retryDelayMs: 0 });
    const [one] = h.slots;
    one!.objectives = ['t1'];
    const dir = (await h.wt.ensure('agent-1')).dir;
    // What the agent did: its worktree's link to project/.git replaced by a repository of its own.
    rmSync(path.join(dir, '.git'), { force: true });
    git(dir, ['init', '-q', '-b', 'main']);
    write(dir, 'src/t1.js', 'exports.t1 = 1;\n');
    h.merger.taskDone(one!, 't1');
    await h.until(() => h.seen.events.some((e) => e.type === 'error'));
    const errors = h.seen.events.filter((e) => e.type === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ class: 'merge_failed', severity: 'critical', agent: 'agent-1' });
    expect(errors[0]!.message).toMatch(/^merging megatest\/agent-1 \("t1"\) into main failed 4 times: .*not something we can merge/);
    expect(errors[0]!.message).toContain(`${dir} is no longer a worktree of project/: its .git is a repository of its own`);
    expect(h.seen.logs.filter((l) => l.startsWith('WARN') && l.includes('trying again'))).toHaveLength(3);
    expect(completed(h.seen)).toEqual([]);
  });

  it('says nothing of the worktree when it still belongs to project/', async () => {
    const h = setUp(['agent-1'], { retryDelayMs: 0 });
    const [one] = h.slots;
    await h.wt.ensure('agent-1');
    // A merge refused for a reason of main's, not the worktree's (git's own failure stood in for).
    h.wt.mergeIntoMain = async () => {
      throw new Error('git merge in project failed (exit 128): fatal: cannot lock ref');
    };
    h.merger.taskDone(one!, 't1');
    await h.until(() => h.seen.events.some((e) => e.type === 'error'));
    const error = h.seen.events.find((e) => e.type === 'error')!;
    expect(error.message).toBe('merging megatest/agent-1 ("t1") into main failed 4 times: git merge in project failed (exit 128): fatal: cannot lock ref; its tasks stay unmerged (tried again at its next finished task)');
  });
});
