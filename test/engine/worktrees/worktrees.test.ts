// The git mechanics of worktree isolation (src/engine/worktrees.ts) on temp
// repositories: worktrees beside project/ on their own branches, committing
// an agent's work, merging into main with conflicts aborted, handing a
// conflict to the agent's worktree, resetting to recorded heads (or to main
// when the head is gone), repairs, and the git time limit.

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gitTimed } from '../../../src/engine/git.js';
import { isolationOf, Worktrees } from '../../../src/engine/worktrees.js';
import { git, read, tempRun, write, type TempRun } from './gitRepo.js';

let run: TempRun | undefined;
afterEach(() => {
  run?.remove();
  run = undefined;
});

function setUp(): { run: TempRun; wt: Worktrees } {
  run = tempRun();
  return { run, wt: new Worktrees(run.project, run.worktrees) };
}

describe('isolationOf', () => {
  it('auto gives the real CLI agents a worktree and lets sim and command share project/; an explicit setting wins', () => {
    expect(isolationOf({ kind: 'selfware', isolation: 'auto' })).toBe('worktree');
    expect(isolationOf({ kind: 'claude-code', isolation: 'auto' })).toBe('worktree');
    expect(isolationOf({ kind: 'codex', isolation: 'auto' })).toBe('worktree');
    expect(isolationOf({ kind: 'sim', isolation: 'auto' })).toBe('shared');
    expect(isolationOf({ kind: 'command', isolation: 'auto' })).toBe('shared');
    expect(isolationOf({ kind: 'command', isolation: 'worktree' })).toBe('worktree');
    expect(isolationOf({ kind: 'codex', isolation: 'shared' })).toBe('shared');
  });
});

describe('Worktrees', () => {
  it('makes each agent a worktree beside project/ on its own branch from main, and lists them', async () => {
    const { run, wt } = setUp();
    const made = await wt.ensure('agent-1');
    expect(made).toEqual({ dir: path.join(run.worktrees, 'agent-1'), created: true });
    await wt.ensure('agent-2');
    expect((await wt.ensure('agent-1')).created).toBe(false);
    expect(git(made.dir, ['rev-parse', '--abbrev-ref', 'HEAD'])).toBe('megatest/agent-1');
    expect(git(made.dir, ['rev-parse', 'HEAD'])).toBe(git(run.project, ['rev-parse', 'main']));
    expect(read(made.dir, 'greeting.js')).toBe(`exports.greeting = 'hello';\n`);
    // Nothing of the worktrees is inside project/ (only git's own bookkeeping in .git).
    expect(existsSync(path.join(run.project, 'worktrees'))).toBe(false);
    const listed = await wt.list();
    expect(listed.map((w) => [path.basename(w.path), w.branch])).toEqual([
      ['agent-1', 'megatest/agent-1'],
      ['agent-2', 'megatest/agent-2'],
    ]);
    await wt.remove('agent-2');
    expect((await wt.list()).map((w) => path.basename(w.path))).toEqual(['agent-1']);
  });

  it('makes 8 worktrees asked for at once, as the agents start together: each add waits for the one before', async () => {
    const { run, wt } = setUp();
    const agents = Array.from({ length: 8 }, (_, i) => `agent-${i + 1}`);
    // In parallel, a later \`git worktree add\` read the entry an earlier one was still writing and failed ("failed to read .git/worktrees/agent-1/commondir").
    const made = await Promise.all(agents.map((agent) => wt.ensure(agent)));
    expect(made.map((m) => m.created)).toEqual(agents.map(() => true));
    expect((await wt.list()).map((w) => w.branch)).toEqual(agents.map((a) => `megatest/${a}`));
    for (const { dir } of made) expect(read(dir, 'greeting.js')).toBe(read(run.project, 'greeting.js'));
  });

  it('commits an agent’s work with the given message, and nothing when nothing changed', async () => {
    const { wt } = setUp();
    const { dir } = await wt.ensure('agent-1');
    write(dir, 'src/sum.js', 'exports.sum = (a, b) => a + b;\n');
    const first = await wt.commitWork('agent-1', 'megatest: agent-1 finished "create sum"');
    expect(first.committed).toBe(true);
    expect(git(dir, ['log', '-1', '--format=%s'])).toBe('megatest: agent-1 finished "create sum"');
    expect(git(dir, ['show', '--name-only', '--format=', 'HEAD'])).toBe('src/sum.js');
    const again = await wt.commitWork('agent-1', 'nothing');
    expect(again).toEqual({ head: first.head, committed: false, unresolved: [] });
  });

  it('merges a branch into main; a conflict is aborted at once and names its files', async () => {
    const { run, wt } = setUp();
    const one = (await wt.ensure('agent-1')).dir;
    const two = (await wt.ensure('agent-2')).dir;
    write(one, 'greeting.js', `exports.greeting = 'hello world';\n`);
    write(two, 'greeting.js', `exports.greeting = 'hello megatest';\n`);
    write(two, 'other.js', 'exports.other = 1;\n');
    const a = await wt.commitWork('agent-1', 'one');
    const b = await wt.commitWork('agent-2', 'two');
    const merged = await wt.mergeIntoMain(a.head!, 'megatest: merge megatest/agent-1');
    expect(merged.ok).toBe(true);
    expect(read(run.project, 'greeting.js')).toBe(`exports.greeting = 'hello world';\n`);
    const mainBefore = git(run.project, ['rev-parse', 'HEAD']);
    const conflict = await wt.mergeIntoMain(b.head!, 'megatest: merge megatest/agent-2');
    expect(conflict).toEqual({ ok: false, files: ['greeting.js'] });
    // main is as it was: no merge in progress, no markers, no half-merged file.
    expect(git(run.project, ['rev-parse', 'HEAD'])).toBe(mainBefore);
    expect(git(run.project, ['status', '--porcelain'])).toBe('');
    expect(existsSync(path.join(run.project, 'other.js'))).toBe(false);
    expect(await wt.mergeInProgress(run.project)).toBe(false);
  });

  it('hands a conflict to the agent’s worktree with its markers; nothing is committed until they are gone', async () => {
    const { run, wt } = setUp();
    const one = (await wt.ensure('agent-1')).dir;
    const two = (await wt.ensure('agent-2')).dir;
    write(one, 'greeting.js', `exports.greeting = 'hello world';\n`);
    write(two, 'greeting.js', `exports.greeting = 'hello megatest';\n`);
    await wt.mergeIntoMain((await wt.commitWork('agent-1', 'one')).head!, 'merge one');
    const b = await wt.commitWork('agent-2', 'two');
    expect((await wt.mergeIntoMain(b.head!, 'merge two')).ok).toBe(false);

    expect(await wt.mergeMainInto('agent-2')).toMatchObject({ clean: false, files: ['greeting.js'], conflicts: [{ path: 'greeting.js', kind: 'text' }] });
    expect(read(two, 'greeting.js')).toMatch(/^<{7} /m);
    expect(await wt.unresolved('agent-2')).toEqual(['greeting.js']);
    // Asked again while the merge is in progress: the same conflict, nothing merged twice.
    expect(await wt.mergeMainInto('agent-2')).toMatchObject({ clean: false, files: ['greeting.js'], conflicts: [{ path: 'greeting.js', kind: 'text' }] });
    const refused = await wt.commitWork('agent-2', 'with markers');
    expect(refused).toEqual({ head: b.head, committed: false, unresolved: ['greeting.js'] });

    write(two, 'greeting.js', `exports.greeting = 'hello megatest world';\n`);
    const resolved = await wt.commitWork('agent-2', 'megatest: agent-2 resolved');
    expect(resolved.committed).toBe(true);
    // The resolution concludes the merge: a commit with main as its second parent.
    expect(git(two, ['rev-parse', 'HEAD^2'])).toBe(git(run.project, ['rev-parse', 'main']));
    const landed = await wt.mergeIntoMain(resolved.head!, 'merge two again');
    expect(landed.ok).toBe(true);
    expect(read(run.project, 'greeting.js')).toBe(`exports.greeting = 'hello megatest world';\n`);
  });

  it('fast-forwards an idle branch to main, never over uncommitted changes it would lose', async () => {
    const { run, wt } = setUp();
    const one = (await wt.ensure('agent-1')).dir;
    const two = (await wt.ensure('agent-2')).dir;
    write(one, 'greeting.js', `exports.greeting = 'hello world';\n`);
    await wt.mergeIntoMain((await wt.commitWork('agent-1', 'one')).head!, 'merge one');
    write(two, 'greeting.js', `exports.greeting = 'mine';\n`);
    expect(await wt.isClean('agent-2')).toBe(false);
    expect(await wt.followMain('agent-2')).toBe(false);
    expect(read(two, 'greeting.js')).toBe(`exports.greeting = 'mine';\n`);
    git(two, ['checkout', '--', 'greeting.js']);
    expect(await wt.isClean('agent-2')).toBe(true);
    expect(await wt.followMain('agent-2')).toBe(true);
    expect(git(two, ['rev-parse', 'HEAD'])).toBe(git(run.project, ['rev-parse', 'main']));
  });

  it('resets a worktree to a recorded head, or to main when the head is gone or was never recorded', async () => {
    const { run, wt } = setUp();
    const dir = (await wt.ensure('agent-1')).dir;
    write(dir, 'a.js', 'exports.a = 1;\n');
    const recorded = (await wt.commitWork('agent-1', 'a')).head!;
    write(dir, 'b.js', 'exports.b = 2;\n');
    await wt.commitWork('agent-1', 'b');
    write(dir, 'untracked.js', 'x\n');
    mkdirSync(path.join(dir, 'node_modules'));
    await wt.prepare(['node_modules/']);
    writeFileSync(path.join(dir, 'node_modules', 'kept.js'), 'ignored\n');

    expect(await wt.resetTo('agent-1', recorded)).toBe('head');
    expect(git(dir, ['rev-parse', 'HEAD'])).toBe(recorded);
    expect(git(dir, ['rev-parse', 'megatest/agent-1'])).toBe(recorded);
    expect(existsSync(path.join(dir, 'b.js'))).toBe(false);
    expect(existsSync(path.join(dir, 'untracked.js'))).toBe(false);
    expect(existsSync(path.join(dir, 'node_modules', 'kept.js'))).toBe(true);

    expect(await wt.resetTo('agent-1', 'f'.repeat(40))).toBe('main');
    expect(git(dir, ['rev-parse', 'HEAD'])).toBe(git(run.project, ['rev-parse', 'main']));
    expect(await wt.resetTo('agent-1', null)).toBe('main');
  });

  it('keeps dropped work under refs/megatest/dropped/ before a branch starts again', async () => {
    const { run, wt } = setUp();
    const dir = (await wt.ensure('agent-1')).dir;
    write(dir, 'a.js', 'exports.a = 1;\n');
    const head = (await wt.commitWork('agent-1', 'a')).head!;
    const ref = await wt.keepDropped('agent-1');
    expect(ref).toMatch(/^refs\/megatest\/dropped\/agent-1\/\d+$/);
    await wt.resetTo('agent-1', null);
    expect(git(run.project, ['rev-parse', ref!])).toBe(head);
  });

  it('makes a worktree again when its folder is gone or is no longer a worktree of project/', async () => {
    const { wt } = setUp();
    const dir = (await wt.ensure('agent-1')).dir;
    write(dir, 'a.js', 'exports.a = 1;\n');
    const head = (await wt.commitWork('agent-1', 'a')).head!;
    rmSync(dir, { recursive: true, force: true });
    const again = await wt.ensure('agent-1');
    expect(again.created).toBe(true);
    // The branch outlived its folder: the worktree comes back on it.
    expect(git(dir, ['rev-parse', 'HEAD'])).toBe(head);

    // A .git that leads nowhere (a .git deleted outright is linked again: deletedDotGit.test.ts).
    writeFileSync(path.join(dir, '.git'), 'gitdir: /nowhere/at/all\n');
    const remade = await wt.ensure('agent-1');
    expect(remade.created).toBe(true);
    expect(remade.note).toMatch(/not a usable worktree/);
    expect(git(dir, ['rev-parse', '--abbrev-ref', 'HEAD'])).toBe('megatest/agent-1');
  });

  it('prepare: no automatic gc, outputs ignored once, and a merge a killed orchestrator left in project/ aborted', async () => {
    const { run, wt } = setUp();
    const one = (await wt.ensure('agent-1')).dir;
    write(one, 'greeting.js', `exports.greeting = 'hello world';\n`);
    await wt.commitWork('agent-1', 'one');
    write(run.project, 'greeting.js', `exports.greeting = 'hello main';\n`);
    git(run.project, ['commit', '-q', '-am', 'main moves']);
    // A merge left half done, as a kill in the middle of one leaves it.
    expect(() => git(run.project, ['merge', '--no-ff', 'megatest/agent-1'])).toThrow();
    expect(await wt.mergeInProgress(run.project)).toBe(true);

    const notes = await wt.prepare(['node_modules/', '/coverage/lcov.info']);
    expect(notes).toEqual(['aborted a merge into main that a killed orchestrator left half done']);
    expect(await wt.mergeInProgress(run.project)).toBe(false);
    expect(git(run.project, ['config', 'gc.auto'])).toBe('0');
    await wt.prepare(['node_modules/', '/coverage/lcov.info']);
    const exclude = readFileSync(path.join(run.project, '.git', 'info', 'exclude'), 'utf8');
    expect(exclude.split('\n').filter((l) => l === '/coverage/lcov.info')).toHaveLength(1);
    write(one, 'coverage/lcov.info', 'TN:\n');
    expect(await wt.isClean('agent-1')).toBe(true);
  });

  it('commits project/ changes made outside a merge, and resets main to a checkpoint’s commit keeping the restored files', async () => {
    const { run, wt } = setUp();
    const base = git(run.project, ['rev-parse', 'HEAD']);
    expect(await wt.commitMainLeftovers('leftovers')).toBe(false);
    write(run.project, 'stray.txt', 'x\n');
    expect(await wt.commitMainLeftovers('leftovers')).toBe(true);
    expect(git(run.project, ['log', '-1', '--format=%s'])).toBe('leftovers');
    // As a restore leaves it: the files of the checkpoint, main ahead of its commit.
    rmSync(path.join(run.project, 'stray.txt'));
    expect(await wt.resetMain(base)).toBe(true);
    expect(git(run.project, ['rev-parse', 'HEAD'])).toBe(base);
    expect(git(run.project, ['status', '--porcelain'])).toBe('');
    expect(await wt.resetMain('0'.repeat(40))).toBe(false);
    expect(await wt.resetMain(null)).toBe(false);
  });
});

describe('gitTimed', () => {
  it('kills a git command that outlives its time limit and says so', async () => {
    run = tempRun();
    const started = Date.now();
    // An alias whose shell sleeps 120 s, its output away from git's pipes, so killing git ends the wait.
    // (git ends its alias when it is killed; the pid is kept to make sure, were it ever left.)
    const pidFile = path.join(run.root, 'slow.pid');
    const result = await gitTimed(run.project, ['-c', `alias.slow=!echo $$ > '${pidFile}'; exec sleep 120 >/dev/null 2>&1`, 'slow'], 300);
    try {
      expect(result.timedOut).toBe(true);
      expect(result.code).not.toBe(0);
      // Not the sleep's 120 s: a deadline only a wait for it misses, however loaded the machine.
      expect(Date.now() - started).toBeLessThan(60_000);
    } finally {
      // (No file: git was killed before it started the alias's shell, and nothing is left.)
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  });
});
