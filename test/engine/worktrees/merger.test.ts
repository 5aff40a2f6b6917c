// The merger (src/engine/merger.ts) on temp repositories, with a small
// stand-in for the engine context and agent pool: a finished task is
// committed in the agent's worktree and merged into main, and only then
// counts as done; merges go through the serial queue one at a time (a job
// that holds the queue, as a checkpoint snapshot does, holds them back); a
// conflict is aborted on main and reported; handing it over leaves markers in
// the agent's worktree; reassigning moves the task and starts the branch
// again from main; a restore drops what was waiting to merge.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { vetAgentMessage } from '../../../src/engine/agentInput.js';
import { git, read, write } from './gitRepo.js';
import { completed, setUp } from './mergerHarness.js';

describe('Merger', () => {
  it('commits a finished task in the agent’s worktree, merges it into main, and only then counts the task done', async () => {
    const { run, wt, slots, merger, seen, settle } = setUp();
    const [one] = slots;
    one!.objectives = ['create sum'];
    const dir = (await wt.ensure('agent-1')).dir;
    write(dir, 'src/sum.js', 'exports.sum = (a, b) => a + b;\n');
    merger.taskDone(one!, 'create sum');
    expect(completed(seen)).toEqual([]);
    await settle();
    expect(completed(seen)).toEqual(['agent-1:create sum']);
    expect(read(run.project, 'src/sum.js')).toBe('exports.sum = (a, b) => a + b;\n');
    expect(git(run.project, ['log', '-1', '--format=%s'])).toBe('megatest: merge megatest/agent-1 (agent-1: "create sum")');
    expect(git(run.project, ['log', '-1', '--format=%s', 'HEAD^2'])).toBe('megatest: agent-1 finished "create sum"');
    expect(seen.merged).toEqual([{ agent: 'agent-1', tasks: ['create sum'] }]);
    // The agent's branch followed main.
    expect(git(dir, ['rev-parse', 'HEAD'])).toBe(git(run.project, ['rev-parse', 'main']));
  });

  // The claude-code stand-in finishes a task every 150 ms: every other one was finished during the merge before it, and never counted.
  it.each(['before', 'after'] as const)('a task the agent finishes while its last one is being merged (its work written %s that merge commits) counts too', async (when) => {
    const { run, wt, slots, merger, seen, settle } = setUp();
    const [one] = slots;
    one!.objectives = ['create sum', 'create product'];
    const dir = (await wt.ensure('agent-1')).dir;
    write(dir, 'src/sum.js', 'exports.sum = (a, b) => a + b;\n');
    const commitWork = wt.commitWork.bind(wt);
    let first = true;
    const finishProduct = () => {
      write(dir, 'src/product.js', 'exports.product = (a, b) => a * b;\n');
      merger.taskDone(one!, 'create product');
    };
    wt.commitWork = async (agent, message) => {
      const now = first;
      first = false;
      if (now && when === 'before') finishProduct();
      const work = await commitWork(agent, message);
      if (now && when === 'after') finishProduct();
      return work;
    };
    merger.taskDone(one!, 'create sum');
    await settle();
    expect(completed(seen)).toEqual(['agent-1:create sum', 'agent-1:create product']);
    expect(read(run.project, 'src/product.js')).toBe('exports.product = (a, b) => a * b;\n');
  });

  // A CLI agent starts its next task once the finished one's work is taken (the promise taskDone returns); a checkpoint
  // holding the queue then delayed the merge, whose commit of the worktree took the next task's first files with it.
  it('merges what the agent had at its task_done, not the next task it began while the merge waited its turn', async () => {
    const { run, wt, ctx, slots, merger, seen, settle } = setUp(['agent-1']);
    const [one] = slots;
    one!.objectives = ['create sum', 'create product'];
    const dir = (await wt.ensure('agent-1')).dir;
    write(dir, 'src/sum.js', 'exports.sum = (a, b) => a + b;\n');
    let release!: () => void;
    const held = ctx.queue.run(() => new Promise<void>((resolve) => (release = resolve)));
    await merger.taskDone(one!, 'create sum');
    // The next task's first file, half written, while a checkpoint holds the queue.
    write(dir, 'src/product.js', 'exports.product = (a, b) =>');
    release();
    await held;
    await settle();
    expect(completed(seen)).toEqual(['agent-1:create sum']);
    expect(read(run.project, 'src/sum.js')).toBe('exports.sum = (a, b) => a + b;\n');
    expect(existsSync(path.join(run.project, 'src', 'product.js'))).toBe(false);
    expect(git(run.project, ['show', '--name-only', '--format=', 'main^2'])).toBe('src/sum.js');
    // The next task's work stays in the worktree, and goes in with its own task_done.
    write(dir, 'src/product.js', 'exports.product = (a, b) => a * b;\n');
    await merger.taskDone(one!, 'create product');
    await settle();
    expect(completed(seen)).toEqual(['agent-1:create sum', 'agent-1:create product']);
    expect(read(run.project, 'src/product.js')).toBe('exports.product = (a, b) => a * b;\n');
  });

  it('merges one at a time, never while another job (a checkpoint snapshot) holds the serial queue', async () => {
    const { run, wt, ctx, slots, merger, seen, settle } = setUp();
    for (const slot of slots) {
      const dir = (await wt.ensure(slot.name)).dir;
      write(dir, `src/${slot.name}.js`, `exports.name = '${slot.name}';\n`);
      slot.objectives = [`write ${slot.name}`];
    }
    const mainBefore = git(run.project, ['rev-parse', 'main']);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held = ctx.queue.run(() => gate);
    for (const slot of slots) merger.taskDone(slot, `write ${slot.name}`);
    // Work of our own while the queue is held: no merge can have run meanwhile.
    git(run.project, ['status', '--porcelain']);
    expect(git(run.project, ['rev-parse', 'main'])).toBe(mainBefore);
    expect(completed(seen)).toEqual([]);
    release();
    await held;
    await settle();
    expect(completed(seen)).toEqual(['agent-1:write agent-1', 'agent-2:write agent-2', 'agent-3:write agent-3']);
    const merges = git(run.project, ['log', '--merges', '--format=%s', 'main']).split('\n');
    expect(merges).toHaveLength(3);
    for (const slot of slots) expect(existsSync(path.join(run.project, 'src', `${slot.name}.js`))).toBe(true);
  });

  it('reports a conflict without touching main; handed over, the agent resolves it and its task lands', async () => {
    const { run, wt, slots, merger, seen, settle } = setUp();
    const [one, two] = slots;
    one!.objectives = ['greeting says world'];
    two!.objectives = ['greeting says megatest'];
    const a = (await wt.ensure('agent-1')).dir;
    const b = (await wt.ensure('agent-2')).dir;
    write(a, 'greeting.js', `exports.greeting = 'hello world';\n`);
    write(b, 'greeting.js', `exports.greeting = 'hello megatest';\n`);
    merger.taskDone(one!, 'greeting says world');
    merger.taskDone(two!, 'greeting says megatest');
    await settle();
    expect(completed(seen)).toEqual(['agent-1:greeting says world']);
    expect(seen.conflicts).toEqual([
      { agent: 'agent-2', message: 'merging megatest/agent-2 (task "greeting says megatest") into main conflicts in greeting.js' },
    ]);
    expect(read(run.project, 'greeting.js')).toBe(`exports.greeting = 'hello world';\n`);
    expect(merger.conflictOf('agent-2')?.tasks).toEqual(['greeting says megatest']);

    const handed = await merger.handOver(two!);
    expect(handed?.files).toEqual(['greeting.js']);
    expect(handed?.note).toMatch(/^Merge conflict: your work on "greeting says megatest" \(branch megatest\/agent-2\) conflicts with main in greeting\.js\./);
    expect(read(b, 'greeting.js')).toMatch(/^<{7} /m);

    // Said done with the markers still there: the same conflict again, nothing committed.
    merger.taskDone(two!, 'greeting says megatest');
    await settle();
    expect(seen.conflicts[1]?.message).toBe('megatest/agent-2 still has the merge conflict unresolved in greeting.js (conflict markers left, or a file as it was handed over; task "greeting says megatest")');

    write(b, 'greeting.js', `exports.greeting = 'hello megatest world';\n`);
    merger.taskDone(two!, 'greeting says megatest');
    await settle();
    expect(completed(seen)).toEqual(['agent-1:greeting says world', 'agent-2:greeting says megatest']);
    expect(read(run.project, 'greeting.js')).toBe(`exports.greeting = 'hello megatest world';\n`);
    expect(merger.conflictOf('agent-2')).toBeUndefined();
    expect(seen.merged.at(-1)).toEqual({ agent: 'agent-2', tasks: ['greeting says megatest'] });
  });

  it('reassigns a conflicting task to the least busy other agent; the branch starts again from main, its work kept', async () => {
    const { run, wt, slots, merger, seen, settle } = setUp();
    const [one, two, three] = slots;
    one!.objectives = ['greeting says world', 'more work'];
    two!.objectives = ['greeting says megatest'];
    two!.assignedTasks.add('greeting says megatest');
    three!.objectives = [];
    const a = (await wt.ensure('agent-1')).dir;
    const b = (await wt.ensure('agent-2')).dir;
    await wt.ensure('agent-3');
    write(a, 'greeting.js', `exports.greeting = 'hello world';\n`);
    write(b, 'greeting.js', `exports.greeting = 'hello megatest';\n`);
    merger.taskDone(one!, 'greeting says world');
    await settle();
    merger.taskDone(two!, 'greeting says megatest');
    await settle();
    const conflicting = git(b, ['rev-parse', 'HEAD']);

    const moved = await merger.reassign(two!);
    expect(moved?.target).toBe('agent-3');
    expect(moved?.tasks).toEqual(['greeting says megatest']);
    expect(moved?.detail).toMatch(/^merge_conflict: "greeting says megatest" reassigned from agent-2 to agent-3; its conflicting work is kept at refs\/megatest\/dropped\/agent-2\/\d+$/);
    expect(two!.objectives).toEqual([]);
    expect(three!.objectives).toEqual(['greeting says megatest']);
    // agent-2's own task_done for it is refused now: only agent-3's work, on top of main, counts.
    expect(two!.assignedTasks.has('greeting says megatest')).toBe(false);
    const late = vetAgentMessage({ type: 'task_done', task: 'greeting says megatest' }, { assigned: two!.assignedTasks, isDone: () => false });
    expect(late.ok).toBe(false);
    expect(git(b, ['rev-parse', 'HEAD'])).toBe(git(run.project, ['rev-parse', 'main']));
    const ref = /refs\/\S+/.exec(moved!.detail)![0];
    expect(git(run.project, ['rev-parse', ref])).toBe(conflicting);
    expect(seen.assigned.map((x) => [x.agent, x.objectives])).toEqual([
      ['agent-2', []],
      ['agent-3', ['greeting says megatest']],
    ]);
    expect(seen.assigned[1]?.note).toMatch(/reassigned to you: agent-2's work on it could not be merged into main \(conflict in greeting\.js\)/);

    // agent-3 does it on top of main: it merges cleanly.
    const c = wt.pathOf('agent-3');
    expect(read(c, 'greeting.js')).toBe(`exports.greeting = 'hello world';\n`);
    write(c, 'greeting.js', `exports.greeting = 'hello world megatest';\n`);
    merger.taskDone(three!, 'greeting says megatest');
    await settle();
    expect(completed(seen)).toEqual(['agent-1:greeting says world', 'agent-3:greeting says megatest']);
    expect(read(run.project, 'greeting.js')).toBe(`exports.greeting = 'hello world megatest';\n`);
  });

  it('drops a merge waiting on the queue when a restore comes first', async () => {
    const { run, wt, ctx, slots, merger, seen, settle } = setUp();
    const [one] = slots;
    const dir = (await wt.ensure('agent-1')).dir;
    write(dir, 'src/x.js', 'exports.x = 1;\n');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held = ctx.queue.run(() => gate);
    merger.taskDone(one!, 'write x');
    // What a restore does on the queue's behalf: a new generation, and the merger told.
    ctx.restoreGeneration += 1;
    merger.onRestored();
    release();
    await held;
    await settle();
    expect(completed(seen)).toEqual([]);
    expect(existsSync(path.join(run.project, 'src', 'x.js'))).toBe(false);
  });
});
