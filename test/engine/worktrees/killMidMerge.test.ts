// kill -9 of the orchestrator in the middle of a merge into main, then
// `megatest resume`, through the built CLI (3 `command` agents of
// test/fixtures/agents/worktree-agent.mjs, test/fixtures/worktrees/session.toml).
// A `git` put first on PATH holds the first development merge into main
// after the real git made it: its merge commit is on main, its
// task_completed not written yet. The test kills the
// orchestrator when that git says it is there (a file it writes), and
// resumes. Counted by the test from git and events.jsonl: main whole (no
// MERGE_HEAD, no markers, the killed merge not on it), every task counted
// once, each development task merged into main once.

import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../src/paths.js';
import { BUILT, killAgentsOf, eventsOf, readEvents, readReport, removeDir, runHeadless, tempRunsDir, waitFor } from '../../helpers/cli.js';

const CONFIG = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'worktrees', 'session.toml');
const AGENT = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'agents', 'worktree-agent.mjs');
const BOOTSTRAP = ['create greeting', 'create sum', 'create product'];
const DEVELOPMENT = ['greeting says world', 'greeting says megatest', 'sum of three'];

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
const git = (dir: string, args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();

/**
 * A `git` first on PATH that runs the real one and then, once, after megatest's merge of a development task into
 * main, writes its pid to `mark` and waits: the merge commit is made, megatest has not heard back.
 */
function holdingGit(dir: string, mark: string): string {
  const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  const bin = path.join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(
    path.join(bin, 'git'),
    [
      '#!/bin/sh',
      `${quote(real)} "$@"`,
      'code=$?',
      `case "$*" in *'merge --no-ff --no-verify -m megatest: merge megatest/'*'"greeting says '*|*'merge --no-ff --no-verify -m megatest: merge megatest/'*'"sum of three"'*) ;; *) exit $code ;; esac`,
      `[ -e ${quote(mark)} ] && exit $code`,
      `echo $$ > ${quote(`${mark}.tmp`)} && mv ${quote(`${mark}.tmp`)} ${quote(mark)}`,
      'exec sleep 600',
      '',
    ].join('\n'),
  );
  chmodSync(path.join(bin, 'git'), 0o755);
  return bin;
}

describe.skipIf(!BUILT)('worktree isolation: kill -9 mid-merge, then resume (needs npm run build)', () => {
  const runsDir = tempRunsDir('megatest-kill-mid-merge-');
  const runDir = path.join(runsDir, 'killed');
  const project = path.join(runDir, 'project');
  const mark = path.join(runsDir, 'held-merge.pid');
  const env = { PATH: `${holdingGit(runsDir, mark)}${path.delimiter}${process.env.PATH ?? ''}` };
  afterAll(() => {
    killAgentsOf(runDir);
    if (existsSync(mark)) {
      try {
        process.kill(Number(readFileSync(mark, 'utf8').trim()), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    removeDir(runsDir);
  });

  it('main is whole and every task is counted once', async () => {
    const run = runHeadless(
      ['run', 'wt_demo', '--headless', '--agents', '3', '--duration', '10m', '--config', CONFIG, '--agent', 'command', '--agent-cmd', `exec ${quote(process.execPath)} ${quote(AGENT)}`, '--runs-dir', runsDir, '--session-id', 'killed', '--seed', '5', '--port', '18993'],
      { timeoutMs: 300_000, env },
    );
    const heldPid = await waitFor(() => existsSync(mark) && Number(readFileSync(mark, 'utf8').trim()), 'the held merge', 240_000);
    const heldMerge = git(project, ['rev-parse', 'main']);
    const heldSubject = git(project, ['log', '-1', '--format=%s', 'main']);
    run.child.kill('SIGKILL');
    await run.done;
    process.kill(heldPid, 'SIGKILL');
    const before = readEvents(runDir);
    const heldTask = /"([^"]+)"\)$/.exec(heldSubject)![1]!;
    expect(eventsOf(before, 'task_completed').map((e) => e.task)).not.toContain(heldTask);

    const resumed = runHeadless(['resume', runDir, '--headless'], { timeoutMs: 300_000, env });
    const result = await resumed.done;
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);

    // main whole: no merge left in progress, no markers in any file of it, the working tree as main has it.
    expect(existsSync(path.join(project, '.git', 'MERGE_HEAD'))).toBe(false);
    expect(git(project, ['status', '--porcelain', '--untracked-files=no'])).toBe('');
    const files = git(project, ['ls-tree', '-r', '--name-only', 'main']).split('\n');
    for (const file of files) expect(git(project, ['show', `main:${file}`])).not.toMatch(/^(<{7}|>{7})/m);
    // The restore went back to before the held merge: it is not on main; each development task was merged once.
    const ancestor = (() => {
      try {
        git(project, ['merge-base', '--is-ancestor', heldMerge, 'main']);
        return true;
      } catch {
        return false;
      }
    })();
    expect(ancestor).toBe(false);
    const merges = git(project, ['log', '--merges', '--format=%s', 'main']).split('\n');
    for (const task of [...BOOTSTRAP, ...DEVELOPMENT]) {
      expect(merges.filter((s) => s.startsWith('megatest: merge megatest/') && s.endsWith(`: ${JSON.stringify(task)})`)), task).toHaveLength(1);
    }

    // Every task counted once: bootstrap's before the kill, development's after the resume's restore.
    const events = readEvents(runDir);
    const restored = eventsOf(events, 'checkpoint_restored').at(-1)!;
    const completedAfter = eventsOf(events, 'task_completed').filter((e) => e.seq > restored.seq).map((e) => e.task);
    const completedBefore = eventsOf(events, 'task_completed').filter((e) => e.seq < restored.seq && e.phase === 'bootstrap').map((e) => e.task);
    expect(completedBefore.sort()).toEqual([...BOOTSTRAP].sort());
    expect(completedAfter.sort()).toEqual([...DEVELOPMENT].sort());
    const report = readReport(runDir);
    const total = BOOTSTRAP.length + DEVELOPMENT.length;
    expect([report.measurements.tasks_completed, report.measurements.tasks_total]).toEqual([total, total]);
  }, 700_000);
});
