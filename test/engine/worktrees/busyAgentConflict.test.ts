// A conflict in hand while its agent goes on with its next task: the
// task_done for that other task joins what waits to merge, and is merged with
// the conflict's own task_done, instead of a merge that meets the conflict
// the agent has not read yet and counts as the conflict again (a failed
// resolve attempt the agent never had a chance at).

import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { read, write } from './gitRepo.js';
import { completed, setUp } from './mergerHarness.js';

/** agent-2's "megatest" conflicts with agent-1's "world" and is handed over; agent-2 then finishes "sum" before it reads the note. */
async function conflictThenNextTask() {
  const h = setUp(['agent-1', 'agent-2']);
  const [one, two] = h.slots;
  one!.objectives = ['world'];
  two!.objectives = ['megatest', 'sum'];
  const a = (await h.wt.ensure('agent-1')).dir;
  const b = (await h.wt.ensure('agent-2')).dir;
  write(a, 'greeting.js', `exports.greeting = 'hello world';\n`);
  write(b, 'greeting.js', `exports.greeting = 'hello megatest';\n`);
  h.merger.taskDone(one!, 'world');
  await h.settle();
  h.merger.taskDone(two!, 'megatest');
  await h.settle();
  expect(h.seen.conflicts).toHaveLength(1);
  await h.merger.handOver(two!);
  // The markers are still there when the next task is done.
  write(b, 'src/sum.js', 'exports.sum = (a, b) => a + b;\n');
  h.merger.taskDone(two!, 'sum');
  await h.settle();
  return { h, one: one!, two: two!, b };
}

describe('a conflict handed to an agent busy with its next task', () => {
  it('takes a task_done for that other task without a new conflict, and merges it with the resolution', async () => {
    const { h, two, b } = await conflictThenNextTask();
    expect(h.seen.conflicts).toHaveLength(1);
    expect(completed(h.seen)).toEqual(['agent-1:world']);

    // It resolves the conflict and says so: both tasks land in one merge.
    write(b, 'greeting.js', `exports.greeting = 'hello megatest world';\n`);
    h.merger.taskDone(two, 'megatest');
    await h.settle();
    expect(completed(h.seen)).toEqual(['agent-1:world', 'agent-2:megatest', 'agent-2:sum']);
    expect(read(h.run.project, 'greeting.js')).toBe(`exports.greeting = 'hello megatest world';\n`);
    expect(existsSync(path.join(h.run.project, 'src', 'sum.js'))).toBe(true);
    expect(h.seen.conflicts).toHaveLength(1);
  });

  it('reassigns the tasks that waited with the conflict, with it: their work was on the branch the reassignment resets', async () => {
    const { h, one, two } = await conflictThenNextTask();
    // The conflict is not resolved: the recovery reassigns it.
    const moved = await h.merger.reassign(two);
    expect(moved?.tasks).toEqual(['megatest', 'sum']);
    expect(moved?.target).toBe('agent-1');
    expect(one.objectives).toEqual(expect.arrayContaining(['megatest', 'sum']));
  });
});
