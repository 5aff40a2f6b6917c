// Hooks an agent set up for project/'s repository (core.hooksPath in its
// shared config, as husky does, or files in .git/hooks) run none of
// megatest's own git: `--no-verify` skipped pre-commit, pre-merge-commit and
// commit-msg only, and a post-checkout, post-commit or post-merge ran inside
// megatest's worktree add, its commits and its merges into main, within
// their time limit.

import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentSlot } from '../../../src/engine/agentPool.js';
import { commitAll } from '../../../src/engine/git.js';
import { git, write } from './gitRepo.js';
import { completed, setUp } from './mergerHarness.js';

const HOOKS = ['post-checkout', 'post-commit', 'post-merge', 'reference-transaction', 'pre-commit', 'pre-merge-commit'];

/** Hooks that each write their name to `log` when they run; the pre- ones also refuse. */
function hooksIn(dir: string, log: string): void {
  mkdirSync(dir, { recursive: true });
  for (const hook of HOOKS) {
    const file = path.join(dir, hook);
    writeFileSync(file, `#!/bin/sh\necho ${hook} >> '${log}'\n${hook.startsWith('pre-') ? 'exit 1' : 'exit 0'}\n`);
    chmodSync(file, 0o755);
  }
}

describe('settings of the project’s repository', () => {
  it('hooks: none runs in megatest’s worktree add, commits and merges', async () => {
    const h = setUp(['agent-1', 'agent-2']);
    const ran = path.join(h.run.root, 'hooks-ran.log');
    const hooks = path.join(h.run.root, 'husky');
    hooksIn(hooks, ran);
    // As an agent's `npx husky install` leaves it: in the config every worktree of project/ shares.
    git(h.run.project, ['config', 'core.hooksPath', hooks]);
    const [one, two] = h.slots as [AgentSlot, AgentSlot];
    one.objectives = ['t1'];
    two.objectives = ['t2'];
    const a = (await h.wt.ensure('agent-1')).dir;
    const b = (await h.wt.ensure('agent-2')).dir;
    write(a, 'src/t1.js', 'exports.t1 = 1;\n');
    write(b, 'src/t2.js', 'exports.t2 = 2;\n');
    h.merger.taskDone(one, 't1');
    h.merger.taskDone(two, 't2');
    await h.settle();
    write(h.run.project, 'notes.md', 'a phase end commits this\n');
    await commitAll(h.run.project, 'megatest: phase end');

    expect(existsSync(ran) ? readFileSync(ran, 'utf8') : '').toBe('');
    expect(completed(h.seen).sort()).toEqual(['agent-1:t1', 'agent-2:t2']);
    const onMain = git(h.run.project, ['ls-tree', '-r', '--name-only', 'main']).split('\n').sort();
    expect(onMain).toEqual(['greeting.js', 'notes.md', 'src/t1.js', 'src/t2.js']);
  });

  it('commit.gpgSign (the user’s or an agent’s): megatest’s commits and merges are not signed, and land', async () => {
    const h = setUp(['agent-1']);
    // A signing program that always fails, as gpg does with no key.
    git(h.run.project, ['config', 'commit.gpgSign', 'true']);
    git(h.run.project, ['config', 'gpg.program', 'false']);
    const [one] = h.slots as [AgentSlot];
    one.objectives = ['t1'];
    const a = (await h.wt.ensure('agent-1')).dir;
    write(a, 'src/t1.js', 'exports.t1 = 1;\n');
    h.merger.taskDone(one, 't1');
    await h.settle();
    write(h.run.project, 'notes.md', 'a phase end commits this\n');
    await commitAll(h.run.project, 'megatest: phase end');
    expect(completed(h.seen)).toEqual(['agent-1:t1']);
    expect(h.seen.logs.filter((l) => !l.startsWith('INFO'))).toEqual([]);
    expect(git(h.run.project, ['log', '-1', '--format=%s', 'main'])).toBe('megatest: phase end');
    expect(git(h.run.project, ['ls-tree', '-r', '--name-only', 'main']).split('\n').sort()).toEqual(['greeting.js', 'notes.md', 'src/t1.js']);
  });
});
