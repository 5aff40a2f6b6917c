// A 3-agent session in worktree isolation through the built CLI, with a
// planted merge conflict (test/fixtures/worktrees/session.toml): the agents
// (test/fixtures/agents/worktree-agent.mjs, `command` agents) each work in
// their own worktree; in the development phase two of them add a word to the
// same line of src/greeting.js. The first merge lands, the second conflicts.
//
// 1. The session runs until the first development task is on main and is
//    interrupted (SIGINT); `megatest resume --checkpoint checkpoint_001` (the
//    end of bootstrap) continues it in place: every worktree is put back at
//    the head checkpoint_001 recorded for it (each agent logs its HEAD when it
//    starts), the development phase runs again, the conflict goes back to its
//    agent, which writes the merged line, and the merged project passes its
//    tests.
// 2. Resuming the finished run from checkpoint_001 branches it into a new run
//    folder whose project/.git is new: the recorded heads are gone there, so
//    every worktree is made again from main. Its agents never resolve a
//    conflict: it is handed back twice, then its task is reassigned to another
//    agent, and the merged project passes its tests again.
//
// Waits key on events (the first development task_completed) and on the
// CLI's own end; what is checked is read from the run folders afterwards.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../src/paths.js';
import type { MegatestEvent } from '../../../src/contract/events.js';
import { BUILT, killAgentsOf, eventsOf, readEvents, readReport, removeDir, runHeadless, tempRunsDir, waitForEventWhileRunning } from '../../helpers/cli.js';

const CONFIG = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'worktrees', 'session.toml');
const AGENT = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'agents', 'worktree-agent.mjs');
const AGENTS = ['agent-1', 'agent-2', 'agent-3'];
const TASKS = ['create greeting', 'create sum', 'create product', 'greeting says world', 'greeting says megatest', 'sum of three'];

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function git(dir: string, args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();
}

interface CheckpointFile {
  body: { phase: string; git_commit: string | null; worktrees?: { agent: string; branch: string; head: string | null }[] };
}

function checkpoint(runDir: string, id: string): CheckpointFile {
  return JSON.parse(readFileSync(path.join(runDir, 'checkpoints', `${id}.json`), 'utf8')) as CheckpointFile;
}

function startHeads(runDir: string, agent: string): string[] {
  const file = path.join(runDir, 'agents', agent, 'start-heads.log');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => line.split(' ')[1]!) : [];
}

/** The project's own tests, run by the test itself: exit code and the TAP pass/fail counts. */
function projectTests(project: string): { code: number | null; pass: number; fail: number } {
  const result = spawnSync(process.execPath, ['--test', '--test-reporter=tap'], { cwd: project, encoding: 'utf8' });
  const count = (name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(result.stdout)?.[1] ?? -1);
  return { code: result.status, pass: count('pass'), fail: count('fail') };
}

/** Test files in project/test, one test each in the fixture agent's project. */
function testFiles(project: string): number {
  return readdirSync(path.join(project, 'test')).filter((f) => f.endsWith('.test.js')).length;
}

function greetingWords(project: string): string[] {
  const line = /^exports\.greeting = '([^']*)';$/m.exec(readFileSync(path.join(project, 'src', 'greeting.js'), 'utf8'));
  return line ? line[1]!.split(' ') : [];
}

describe.skipIf(!BUILT)('worktree isolation: 3 command agents and a planted merge conflict (needs npm run build)', () => {
  const runsDir = tempRunsDir('megatest-worktrees-');
  const runDir = path.join(runsDir, 'wt');
  const project = path.join(runDir, 'project');
  const agentCmd = `exec ${shellQuote(process.execPath)} ${shellQuote(AGENT)}`;

  afterAll(() => {
    killAgentsOf(runDir);
    removeDir(runsDir);
  });

  it('interrupted, then resumed in place from checkpoint_001: worktrees back at their recorded heads; the conflict goes back to its agent, which resolves it; the merged project passes its tests', async () => {
    const run = runHeadless(
      ['run', 'wt_demo', '--headless', '--agents', '3', '--duration', '10m', '--config', CONFIG, '--agent', 'command', '--agent-cmd', agentCmd, '--runs-dir', runsDir, '--session-id', 'wt', '--seed', '5'],
      { timeoutMs: 500_000 },
    );
    // The first development task on main: checkpoint_001 (end of bootstrap) is behind us and a branch head moved on.
    await waitForEventWhileRunning(run, runDir, 'task_completed', (e) => e.phase === 'development', 400_000);
    run.child.kill('SIGINT');
    const interrupted = await run.done;
    expect(interrupted.code, `${interrupted.stdout}\n${interrupted.stderr}`).toBe(130);

    const first = checkpoint(runDir, 'checkpoint_001').body;
    expect(first.phase).toBe('bootstrap');
    const recorded = new Map((first.worktrees ?? []).map((h) => [h.agent, h.head]));
    expect([...recorded.keys()]).toEqual(AGENTS);
    for (const head of recorded.values()) expect(git(project, ['cat-file', '-t', head!])).toBe('commit');
    const headsNow = AGENTS.map((a) => git(path.join(runDir, 'worktrees', a), ['rev-parse', 'HEAD']));
    expect(headsNow.some((head, i) => head !== recorded.get(AGENTS[i]!))).toBe(true);
    const startsBefore = new Map(AGENTS.map((a) => [a, startHeads(runDir, a).length]));
    const seqBefore = readEvents(runDir).at(-1)!.seq;

    const resumed = runHeadless(['resume', runDir, '--checkpoint', 'checkpoint_001', '--headless'], { timeoutMs: 500_000 });
    const result = await resumed.done;
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    const events: MegatestEvent[] = readEvents(runDir).filter((e) => e.seq > seqBefore);
    expect(eventsOf(events, 'checkpoint_restored').map((e) => e.id)).toEqual(['checkpoint_001']);
    expect(eventsOf(events, 'session_ended')[0]?.status).toBe('completed');

    // Each agent's first start after the resume found its worktree at the head checkpoint_001 recorded.
    for (const agent of AGENTS) expect(startHeads(runDir, agent)[startsBefore.get(agent)!]).toBe(recorded.get(agent));

    // The planted conflict, and its recovery: handed back to the agent, resolved by the merge of its branch.
    const conflicts = eventsOf(events, 'error').filter((e) => e.class === 'merge_conflict');
    expect(conflicts).toHaveLength(1);
    const resolver = conflicts[0]!.agent!;
    expect(conflicts[0]!.message).toMatch(/^merging megatest\/agent-\d \(task "greeting says (world|megatest)"\) into main conflicts in src\/greeting\.js$/);
    const recoveries = eventsOf(events, 'recovery').filter((e) => e.agent === resolver);
    expect(recoveries.map((r) => `${r.action} ${r.outcome}`)).toEqual(['resolve_conflict started', 'resolve_conflict succeeded']);
    expect(recoveries[0]!.detail).toMatch(/handed to agent-\d to resolve in src\/greeting\.js/);
    expect(eventsOf(events, 'recovery').some((r) => r.action === 'reassign')).toBe(false);

    // Every development task counted once, each when its work reached main; the resolver's after its resolution.
    const completed = eventsOf(events, 'task_completed');
    expect(completed.map((e) => e.task).sort()).toEqual(TASKS.filter((t) => !t.startsWith('create')).sort());
    const resolverTask = completed.find((e) => e.agent === resolver)!;
    expect(resolverTask.task).toMatch(/^greeting says /);
    expect(resolverTask.seq).toBeGreaterThan(conflicts[0]!.seq);
    expect(resolverTask.seq).toBeLessThan(recoveries[1]!.seq);

    // The merged project: both words on the one line, every agent's branch merged, its tests pass.
    expect(greetingWords(project)).toEqual(expect.arrayContaining(['hello', 'world', 'megatest']));
    const merges = git(project, ['log', '--merges', '--format=%s', 'main']);
    for (const agent of AGENTS) expect(merges).toContain(`megatest: merge megatest/${agent} (${agent}: `);
    expect(projectTests(project)).toEqual({ code: 0, pass: testFiles(project), fail: 0 });
    const lastRun = eventsOf(events, 'test_run').at(-1)!;
    expect([lastRun.passed, lastRun.failed]).toEqual([testFiles(project), 0]);

    // The worktrees sit beside project/, and every checkpoint records each branch head (a commit of project/.git).
    for (const agent of AGENTS) expect(existsSync(path.join(runDir, 'worktrees', agent, '.git'))).toBe(true);
    expect(existsSync(path.join(project, 'worktrees'))).toBe(false);
    const ids = eventsOf(readEvents(runDir), 'checkpoint_created').map((e) => e.id);
    expect(ids.length).toBeGreaterThanOrEqual(4);
    for (const id of ids) {
      const heads = checkpoint(runDir, id).body.worktrees ?? [];
      expect(heads.map((h) => [h.agent, h.branch])).toEqual(AGENTS.map((a) => [a, `megatest/${a}`]));
      for (const h of heads) expect(git(project, ['cat-file', '-t', h.head!])).toBe('commit');
    }

    // The report covers the whole run. The second merge may already have
    // conflicted in the moment between the first development task_completed
    // and the SIGINT: that recovery was resolved before the interrupt, or
    // ended (failed) with the interrupted session, and counts too. So the
    // expected figures are counted from the whole log, and every recovery
    // started in it has an outcome.
    const conflictRecoveries = eventsOf(readEvents(runDir), 'recovery').filter((r) => r.action === 'resolve_conflict');
    const count = (...outcomes: string[]) => conflictRecoveries.filter((r) => outcomes.includes(r.outcome)).length;
    const expected = { started: count('started'), succeeded: count('succeeded'), failed: count('failed', 'gave_up') };
    expect(expected.started).toBe(expected.succeeded + expected.failed);
    const report = readReport(runDir);
    expect(report.reliability.recoveries_by_action.resolve_conflict).toEqual(expected);
    expect(readFileSync(path.join(runDir, 'final_report.md'), 'utf8')).toContain(
      `resolve_conflict: ${expected.started} started, ${expected.succeeded} succeeded, ${expected.failed} failed or gave up`,
    );
   }, 900_000);

  it('a branch from checkpoint_001 remakes every worktree from main (the recorded heads are gone there); a conflict never resolved is reassigned', async () => {
    const branchDir = path.join(runsDir, 'wt-from-1');
    const branchProject = path.join(branchDir, 'project');
    const resumed = runHeadless(['resume', runDir, '--checkpoint', 'checkpoint_001', '--headless'], {
      timeoutMs: 500_000,
      env: { WORKTREE_AGENT_MODE: 'stubborn' },
    });
    const result = await resumed.done;
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    const history = readEvents(branchDir);
    const restored = eventsOf(history, 'checkpoint_restored');
    expect(restored.map((e) => e.id)).toEqual(['checkpoint_001']);
    // The branch's log begins with the original's events up to checkpoint_001: what follows is the branch's own.
    const events: MegatestEvent[] = history.filter((e) => e.seq > restored[0]!.seq);

    // The branch's project/.git is new: main holds the restored files, and every agent started from it.
    const restoredMain = git(branchProject, ['log', '--format=%H', '--fixed-strings', '--grep=megatest: project/ as restored from checkpoint_001']);
    expect(restoredMain).toMatch(/^[0-9a-f]{40}$/);
    for (const agent of AGENTS) expect(startHeads(branchDir, agent)[0]).toBe(restoredMain);
    const log = readFileSync(path.join(branchDir, 'session.log'), 'utf8');
    for (const agent of AGENTS) expect(log).toMatch(new RegExp(`${agent}: head [0-9a-f]{10} recorded at checkpoint_001 is gone; worktree reset to main`));

    // The conflict: handed back twice (the agent said done with the markers in place), then reassigned.
    const conflicts = eventsOf(events, 'error').filter((e) => e.class === 'merge_conflict');
    const stuck = conflicts[0]!.agent!;
    expect(conflicts.map((e) => e.agent)).toEqual([stuck, stuck, stuck]);
    expect(conflicts[1]!.message).toMatch(/still has the merge conflict unresolved in src\/greeting\.js/);
    const recoveries = eventsOf(events, 'recovery').filter((e) => e.agent === stuck);
    expect(recoveries.map((r) => `${r.action} #${r.attempt} ${r.outcome}`)).toEqual([
      'resolve_conflict #1 started',
      'resolve_conflict #1 failed',
      'resolve_conflict #2 started',
      'resolve_conflict #2 failed',
      'reassign #3 started',
      'reassign #3 succeeded',
    ]);
    const task = /^merge_conflict: "([^"]+)" reassigned from (agent-\d) to (agent-\d)/.exec(recoveries[4]!.detail ?? '');
    expect(task?.[2]).toBe(stuck);
    const target = task![3]!;
    expect(target).not.toBe(stuck);
    expect(eventsOf(events, 'task_completed').find((e) => e.task === task![1])?.agent).toBe(target);
    expect(recoveries[5]!.detail).toBe(`${JSON.stringify(task![1])} merged into main by ${target}`);

    // The merged project again has both words and passes its tests.
    expect(greetingWords(branchProject)).toEqual(expect.arrayContaining(['hello', 'world', 'megatest']));
    expect(projectTests(branchProject)).toEqual({ code: 0, pass: testFiles(branchProject), fail: 0 });
    const report = readReport(branchDir);
    expect(report.reliability.recoveries_by_action.reassign).toEqual({ started: 1, succeeded: 1, failed: 0 });
    expect(git(branchProject, ['for-each-ref', '--format=%(refname)', 'refs/megatest/dropped/'])).toMatch(new RegExp(`^refs/megatest/dropped/${stuck}/\\d+$`));
   }, 600_000);
});
