// A merge conflict reassigned: the losing agent's branch is reset to main
// (`git reset --hard`, `git clean -fd`). What it had committed was kept under
// refs/megatest/dropped/, but not what its work dir held uncommitted: the
// next task it had begun while the conflict was in hand, its half-resolved
// files. Those were thrown away without a word. Now the kept ref is a commit
// of the work dir as it was (on top of the branch head), and the agent's
// note says where it is.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentSlot } from '../../../src/engine/agentPool.js';
import { git, write } from './gitRepo.js';
import { completed, setUp } from './mergerHarness.js';

describe('a reassignment after a merge conflict', () => {
  it('keeps what the losing agent’s work dir held uncommitted, and tells it where', async () => {
    const h = setUp(['agent-1', 'agent-2']);
    const [one, two] = h.slots as [AgentSlot, AgentSlot];
    one.objectives = ['world'];
    two.objectives = ['megatest', 'sum'];
    const a = (await h.wt.ensure('agent-1')).dir;
    const b = (await h.wt.ensure('agent-2')).dir;
    write(a, 'greeting.js', `exports.greeting = 'hello world';\n`);
    write(b, 'greeting.js', `exports.greeting = 'hello megatest';\n`);
    h.merger.taskDone(one, 'world');
    await h.settle();
    h.merger.taskDone(two, 'megatest');
    await h.settle();
    expect(h.seen.conflicts).toHaveLength(1);
    await h.merger.handOver(two);
    const handedHead = git(b, ['rev-parse', 'HEAD']);
    // agent-2 goes on to its next task before the conflict is settled: files not committed, not said done.
    const inProgress = { 'src/sum.js': 'exports.sum = (a, b) => a + b;\n', 'test/sum.test.js': "require('../src/sum.js');\n" };
    for (const [file, content] of Object.entries(inProgress)) write(b, file, content);

    const moved = await h.merger.reassign(two);
    const ref = /refs\/megatest\/dropped\/agent-2\/\d+/.exec(moved!.detail)![0];
    // The worktree starts again from main: the files are gone from it...
    expect(git(b, ['rev-parse', 'HEAD'])).toBe(git(h.run.project, ['rev-parse', 'main']));
    for (const file of Object.keys(inProgress)) expect(existsSync(path.join(b, file))).toBe(false);
    // ...and kept: the ref holds each as it was, on top of the head the branch had, the conflict's file markers and all.
    for (const [file, content] of Object.entries(inProgress)) expect(`${git(h.run.project, ['show', `${ref}:${file}`])}\n`).toBe(content);
    expect(git(h.run.project, ['rev-parse', `${ref}^`])).toBe(handedHead);
    expect(git(h.run.project, ['show', `${ref}:greeting.js`])).toMatch(/^<{7} /m);
    const note = h.seen.assigned.find((x) => x.agent === 'agent-2')?.note ?? '';
    expect(note).toContain(`kept at ${ref}`);
    // main never saw any of it.
    expect(completed(h.seen)).toEqual(['agent-1:world']);
    expect(git(h.run.project, ['ls-tree', '-r', '--name-only', 'main']).split('\n').sort()).toEqual(['greeting.js']);
  });

  it('keeps the head alone when the work dir holds nothing uncommitted', async () => {
    const h = setUp(['agent-1', 'agent-2']);
    const [one, two] = h.slots as [AgentSlot, AgentSlot];
    one.objectives = ['world'];
    two.objectives = ['megatest'];
    const a = (await h.wt.ensure('agent-1')).dir;
    const b = (await h.wt.ensure('agent-2')).dir;
    write(a, 'greeting.js', `exports.greeting = 'hello world';\n`);
    write(b, 'greeting.js', `exports.greeting = 'hello megatest';\n`);
    h.merger.taskDone(one, 'world');
    await h.settle();
    h.merger.taskDone(two, 'megatest');
    await h.settle();
    const head = git(b, ['rev-parse', 'HEAD']);
    const moved = await h.merger.reassign(two);
    const ref = /refs\/megatest\/dropped\/agent-2\/\d+/.exec(moved!.detail)![0];
    expect(git(h.run.project, ['rev-parse', ref])).toBe(head);
  });
});
