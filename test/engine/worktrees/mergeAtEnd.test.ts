// A task finished while the session stops is merged at the session's end
// (Merger.mergeAtEnd, called by the orchestrator once the agents have
// stopped, before the final gate, measurement and checkpoint): it was left
// unmerged, and the final measurement and report ignored it. A conflict then
// is recorded, not handed over, and what stays unmerged is a warning alert
// naming the agent, its tasks and its branch.

import { describe, expect, it } from 'vitest';
import { read, write } from './gitRepo.js';
import { completed, setUp } from './mergerHarness.js';

const STOP = { status: 'interrupted', reason: 'interrupted by SIGINT', exitCode: 130 };

describe('the session’s end', () => {
  it('merges a task finished while the session stopped, and says what a conflict leaves unmerged', async () => {
    const h = setUp(['agent-1', 'agent-2']);
    const [one, two] = h.slots;
    const a = (await h.wt.ensure('agent-1')).dir;
    const b = (await h.wt.ensure('agent-2')).dir;
    write(a, 'greeting.js', `exports.greeting = 'hello world';\n`);
    write(b, 'greeting.js', `exports.greeting = 'hello megatest';\n`);
    h.merger.taskDone(one!, 't1');
    await h.settle();
    write(a, 'src/t4.js', 'exports.t4 = 4;\n');

    h.ctx.stopRequest = STOP;
    h.merger.taskDone(one!, 't4');
    h.merger.taskDone(two!, 't2');
    await h.settle();
    // Not merged while the session stops: no job may follow the session's last.
    expect(completed(h.seen)).toEqual(['agent-1:t1']);

    await h.merger.mergeAtEnd();
    expect(completed(h.seen)).toEqual(['agent-1:t1', 'agent-1:t4']);
    expect(read(h.run.project, 'src/t4.js')).toBe('exports.t4 = 4;\n');
    // agent-2's conflict is recorded, not handed over (no agent is left to resolve it).
    expect(h.seen.conflicts).toEqual([]);
    expect(read(h.run.project, 'greeting.js')).toBe(`exports.greeting = 'hello world';\n`);
    const alerts = h.seen.events.filter((e) => e.type === 'alert');
    expect(alerts).toEqual([
      {
        type: 'alert',
        level: 'warning',
        message: `left unmerged at the session's end: agent-2's "t2" (branch megatest/agent-2: conflict in greeting.js). That work is on those branches, not in project/: not measured, not counted done`,
      },
    ]);
  });

  it('says nothing when every finished task is on main', async () => {
    const h = setUp(['agent-1']);
    await h.merger.mergeAtEnd();
    expect(h.seen.events).toEqual([]);
  });
});
