// A conflict of the agent's own making in its worktree: a `git stash pop`,
// a rebase or a cherry-pick of its own that stopped on a conflict. git then
// has no MERGE_HEAD, and the task_done's commit (`git add -A`) took the
// files with their markers: the merge into main was clean, the markers were
// on main, the task counted done. Now such a worktree's task_done is a
// merge_conflict, as a handed-over conflict left unresolved is, and main
// never holds the markers.

import { describe, expect, it } from 'vitest';
import type { AgentSlot } from '../../../src/engine/agentPool.js';
import { git, read, write } from './gitRepo.js';
import { completed, setUp } from './mergerHarness.js';

const AS_AGENT = ['-c', 'user.name=agent', '-c', 'user.email=agent@localhost'];
const markerFree = (text: string) => !/^(<{7}|>{7})/m.test(text);

/** git that may fail (a stash pop or rebase stopping on its conflict exits non-zero). */
function gitMayFail(dir: string, args: string[]): void {
  try {
    git(dir, args);
  } catch {
    // the conflict it stopped on is the point
  }
}

describe('a conflict the agent’s own git left in its worktree', () => {
  it('a stash pop stopped on a conflict: the task is not counted and main gets no markers; settled, it lands', async () => {
    const h = setUp(['agent-1']);
    const [one] = h.slots as [AgentSlot];
    one.objectives = ['t1'];
    const dir = (await h.wt.ensure('agent-1')).dir;
    write(dir, 'greeting.js', `exports.greeting = 'stashed';\n`);
    git(dir, ['stash', '-q']);
    write(dir, 'greeting.js', `exports.greeting = 'committed';\n`);
    git(dir, [...AS_AGENT, 'commit', '-q', '-am', 'the agent commits']);
    gitMayFail(dir, ['stash', 'pop', '-q']);
    expect(markerFree(read(dir, 'greeting.js'))).toBe(false);
    h.merger.taskDone(one, 't1');
    await h.settle();
    expect(h.seen.conflicts).toHaveLength(1);
    expect(h.seen.conflicts[0]!.message).toContain('greeting.js');
    expect(completed(h.seen)).toEqual([]);
    expect(markerFree(read(h.run.project, 'greeting.js'))).toBe(true);
    expect(markerFree(git(h.run.project, ['show', 'main:greeting.js']))).toBe(true);

    const handed = await h.merger.handOver(one);
    expect(handed?.files).toEqual(['greeting.js']);
    expect(handed?.note).toContain('a conflict your own git stopped on');
    // The agent settles it: its next task_done lands, the file as the agent wrote it.
    write(dir, 'greeting.js', `exports.greeting = 'committed and stashed';\n`);
    h.merger.taskDone(one, 't1');
    await h.settle();
    expect(completed(h.seen)).toEqual(['agent-1:t1']);
    expect(git(h.run.project, ['show', 'main:greeting.js'])).toBe(`exports.greeting = 'committed and stashed';`);
  });

  it('a rebase stopped on a conflict whose markers the agent staged (git add): still not merged', async () => {
    const h = setUp(['agent-1']);
    const [one] = h.slots as [AgentSlot];
    one.objectives = ['t1'];
    const dir = (await h.wt.ensure('agent-1')).dir;
    git(dir, ['checkout', '-q', '-b', 'side']);
    write(dir, 'greeting.js', `exports.greeting = 'side';\n`);
    git(dir, [...AS_AGENT, 'commit', '-q', '-am', 'side']);
    git(dir, ['checkout', '-q', 'megatest/agent-1']);
    write(dir, 'greeting.js', `exports.greeting = 'mine';\n`);
    git(dir, [...AS_AGENT, 'commit', '-q', '-am', 'mine']);
    gitMayFail(dir, [...AS_AGENT, 'rebase', 'side']);
    git(dir, ['add', 'greeting.js']);
    expect(git(dir, ['diff', '--name-only', '--diff-filter=U'])).toBe('');
    h.merger.taskDone(one, 't1');
    await h.settle();
    expect(h.seen.conflicts).toHaveLength(1);
    expect(completed(h.seen)).toEqual([]);
    expect(markerFree(git(h.run.project, ['show', 'main:greeting.js']))).toBe(true);

    // Handed back to the agent (the recovery's resolve_conflict): its note names the file; written without markers, it lands.
    const handed = await h.merger.handOver(one);
    expect(handed?.files).toEqual(['greeting.js']);
    expect(handed?.note).toContain('a conflict your own git stopped on');
    write(dir, 'greeting.js', `exports.greeting = 'side and mine';\n`);
    h.merger.taskDone(one, 't1');
    await h.settle();
    expect(completed(h.seen)).toEqual(['agent-1:t1']);
    expect(git(h.run.project, ['show', 'main:greeting.js'])).toBe(`exports.greeting = 'side and mine';`);
  });

  it('a restore puts back a worktree the agent left mid-rebase, or on a branch of its own, on its branch at the recorded head', async () => {
    const h = setUp(['agent-1', 'agent-2']);
    const recorded = new Map<string, string>();
    for (const agent of ['agent-1', 'agent-2']) {
      const dir = (await h.wt.ensure(agent)).dir;
      write(dir, `src/${agent}.js`, `exports.name = '${agent}';\n`);
      recorded.set(agent, (await h.wt.commitWork(agent, `megatest: ${agent} work in progress at a periodic checkpoint`)).head!);
    }
    // agent-1: a rebase of its own stopped on a conflict.
    const a = h.wt.pathOf('agent-1');
    git(a, ['checkout', '-q', '-b', 'side']);
    write(a, 'greeting.js', `exports.greeting = 'side';\n`);
    git(a, [...AS_AGENT, 'commit', '-q', '-am', 'side']);
    git(a, ['checkout', '-q', 'megatest/agent-1']);
    write(a, 'greeting.js', `exports.greeting = 'mine';\n`);
    git(a, [...AS_AGENT, 'commit', '-q', '-am', 'mine']);
    gitMayFail(a, [...AS_AGENT, 'rebase', 'side']);
    expect(git(a, ['status'])).toMatch(/rebase in progress/);
    // agent-2: switched to a branch of its own and committed there.
    const b = h.wt.pathOf('agent-2');
    git(b, ['checkout', '-q', '-b', 'experiment']);
    write(b, 'src/agent-2.js', `exports.name = 'experiment';\n`);
    git(b, [...AS_AGENT, 'commit', '-q', '-am', 'experiment']);

    for (const [agent, head] of recorded) expect(await h.wt.resetTo(agent, head)).toBe('head');
    for (const [agent, head] of recorded) {
      const dir = h.wt.pathOf(agent);
      expect(git(dir, ['symbolic-ref', 'HEAD'])).toBe(`refs/heads/megatest/${agent}`);
      expect(git(dir, ['rev-parse', 'HEAD'])).toBe(head);
      expect(git(dir, ['status', '--porcelain'])).toBe('');
      expect(git(dir, ['status'])).not.toMatch(/rebase in progress/);
      expect(read(dir, `src/${agent}.js`)).toBe(`exports.name = '${agent}';\n`);
    }
  });
});
