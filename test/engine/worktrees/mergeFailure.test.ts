// A merge that fails for another reason than a conflict, its retries spent,
// is handed to the recovery as class merge_failed (critical: its error event,
// and the session paused for a person, Recovery.onMergeFailed), not only a
// line in session.log; when the agent's worktree is no longer one of
// project/'s (the agent ran `git init` in it), the message says so. A
// person's continue tries the merge again.

import { rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { git, write } from './gitRepo.js';
import { completed, setUp } from './mergerHarness.js';

describe('a merge into main that keeps failing', () => {
  it('goes to the recovery naming the branch, the tasks and why (the worktree is a repository of its own), once its retries are spent', async () => {
    const h = setUp(['agent-1'], { retryDelayMs: 0 });
    const [one] = h.slots;
    one!.objectives = ['t1'];
    const dir = (await h.wt.ensure('agent-1')).dir;
    // What the agent did: its worktree's link to project/.git replaced by a repository of its own.
    rmSync(path.join(dir, '.git'), { force: true });
    git(dir, ['init', '-q', '-b', 'main']);
    write(dir, 'src/t1.js', 'exports.t1 = 1;\n');
    h.merger.taskDone(one!, 't1');
    await h.until(() => h.seen.failed.length > 0);
    expect(h.seen.failed).toHaveLength(1);
    expect(h.seen.failed[0]!.agent).toBe('agent-1');
    expect(h.seen.failed[0]!.message).toMatch(/^merging megatest\/agent-1 \("t1"\) into main failed 4 times: .*not something we can merge/);
    expect(h.seen.failed[0]!.message).toContain(`${dir} is no longer a worktree of project/: its .git is a repository of its own`);
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
    await h.until(() => h.seen.failed.length > 0);
    expect(h.seen.failed[0]!.message).toBe(
      'merging megatest/agent-1 ("t1") into main failed 4 times: git merge in project failed (exit 128): fatal: cannot lock ref; its tasks stay unmerged (tried again at a continue, or at its next finished task)',
    );
  });

  it('is tried again when a person continues (what they fixed is what the pause waited for)', async () => {
    const h = setUp(['agent-1'], { retryDelayMs: 0 });
    const [one] = h.slots;
    const dir = (await h.wt.ensure('agent-1')).dir;
    write(dir, 'src/t1.js', 'exports.t1 = 1;\n');
    const merge = h.wt.mergeIntoMain.bind(h.wt);
    let broken = true;
    h.wt.mergeIntoMain = async (commit, message) => {
      if (broken) throw new Error('git merge in project failed (exit 128): fatal: cannot lock ref');
      return merge(commit, message);
    };
    h.merger.taskDone(one!, 't1');
    await h.until(() => h.seen.failed.length > 0);
    await h.settle();
    expect(completed(h.seen)).toEqual([]);
    broken = false;
    h.merger.retryFailed();
    await h.until(() => completed(h.seen).length > 0);
    // The job's last git (the branch following main) ends before the temp repo is removed.
    await h.settle();
    expect(completed(h.seen)).toEqual(['agent-1:t1']);
    expect(h.seen.failed).toHaveLength(1);
  });
});
