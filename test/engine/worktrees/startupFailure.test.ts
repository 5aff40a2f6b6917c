// An agent that cannot be started ends a new session `failed`, recorded,
// instead of leaving it waiting forever. In worktree isolation, agent-2's
// branch cannot be made: project/.git (made here, before the orchestrator
// starts; megatest keeps a repo it finds) holds a ref under
// refs/heads/megatest/agent-2/, so `git worktree add -b megatest/agent-2`
// fails, while agent-1 and agent-3 start. Before, the two started agents kept
// the orchestrator's process alive with status `starting` and no end. Now
// they are stopped, the log says why (an error of class startup), the
// session ends `failed` with its report, and the process exits 1.
// A resume whose agents cannot start (agent-2's worktree and branch gone,
// the branch blocked the same way) stops the two that started and exits 1
// with the message; the run folder stays resumable (unblocked, the next
// resume goes on to the session's end).
// Waits key on events and on the process's own end (bounded); no agent may
// outlive it.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../src/paths.js';
import { loadConfig } from '../../../src/config/load.js';
import { prepareRun } from '../../../src/cli/runSession.js';
import { BUILT, agentPidsOf, eventsOf, readEvents, readStatusWord, removeDir, runHeadless, tempRunsDir, waitForEventWhileRunning } from '../../helpers/cli.js';

const CONFIG = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'worktrees', 'session.toml');
const AGENT = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'agents', 'worktree-agent.mjs');

function git(dir: string, args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'test', GIT_AUTHOR_EMAIL: 'test@localhost', GIT_COMMITTER_NAME: 'test', GIT_COMMITTER_EMAIL: 'test@localhost' },
  }).trim();
}

describe.skipIf(!BUILT)(`an agent that cannot start${BUILT ? '' : ' (skipped: dist/ is not built; run npm run build)'}`, () => {
  const runsDir = tempRunsDir('megatest-startup-failure-');
  afterAll(() => removeDir(runsDir));

  it('stops the agents that started and ends the session failed, exit 1, with its session_ended and report', async () => {
    const config = loadConfig({
      configFile: CONFIG,
      flags: {
        project: 'wt_demo',
        agents: 3,
        duration: '60s',
        agentKind: 'command',
        agentCmd: `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(AGENT)}`,
        sessionId: 'blocked',
        runsDir,
        port: 18465,
        seed: 5,
      },
    });
    const { paths } = prepareRun(config);
    mkdirSync(paths.project, { recursive: true });
    git(paths.project, ['init', '-q', '-b', 'main']);
    git(paths.project, ['commit', '-q', '--allow-empty', '-m', 'megatest: session start']);
    // A ref below the name blocks the branch itself (git keeps refs as paths).
    git(paths.project, ['update-ref', 'refs/heads/megatest/agent-2/blocker', 'HEAD']);

    const run = runHeadless(['orchestrate', paths.root], { timeoutMs: 120_000 });
    const result = await run.done;
    expect(result.signal, 'the orchestrator ended by itself').toBeNull();
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(1);
    expect(agentPidsOf(paths.root), 'no agent outlives the session').toEqual([]);

    const events = readEvents(paths.root);
    expect(events[0]?.type).toBe('session_started');
    const failures = eventsOf(events, 'error').filter((e) => e.class === 'startup');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ severity: 'fatal' });
    expect(failures[0]!.message).toMatch(/^start-up failed: git worktree add .*megatest\/agent-2 .*failed \(exit \d+\)/);
    // The two others did start, and were stopped.
    const started = eventsOf(events, 'agent_started').map((e) => e.agent).sort();
    expect(started).toEqual(['agent-1', 'agent-3']);
    expect(events.at(-1)).toMatchObject({ type: 'session_ended', status: 'failed', exit_code: 1 });
    expect(eventsOf(events, 'session_ended')[0]!.reason).toBe(failures[0]!.message);
    expect(readStatusWord(paths.root)).toBe('failed');
    expect(existsSync(path.join(paths.root, 'final_report.json'))).toBe(true);
  }, 150_000);

  it('a resume whose agents cannot start stops those that did and exits 1 with the message; unblocked, the next resume goes on to the end', async () => {
    const runDir = path.join(runsDir, 'resumed');
    const agentCmd = `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(AGENT)}`;
    const run = runHeadless(
      ['run', 'wt_demo', '--headless', '--agents', '3', '--duration', '60s', '--config', CONFIG, '--agent', 'command', '--agent-cmd', agentCmd, '--runs-dir', runsDir, '--session-id', 'resumed', '--port', '18466', '--seed', '5'],
      { timeoutMs: 120_000 },
    );
    await waitForEventWhileRunning(run, runDir, 'phase_started', () => true, 100_000);
    run.child.kill('SIGINT');
    expect((await run.done).code).toBe(130);
    const project = path.join(runDir, 'project');
    rmSync(path.join(runDir, 'worktrees', 'agent-2'), { recursive: true, force: true });
    git(project, ['worktree', 'prune']);
    git(project, ['branch', '-D', 'megatest/agent-2']);
    git(project, ['update-ref', 'refs/heads/megatest/agent-2/blocker', 'HEAD']);
    const seqBefore = readEvents(runDir).at(-1)!.seq;

    const resumed = runHeadless(['resume', runDir, '--headless'], { timeoutMs: 120_000 });
    const result = await resumed.done;
    expect(result.signal, 'the orchestrator ended by itself').toBeNull();
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(1);
    expect(result.stderr).toMatch(/git worktree add .*megatest\/agent-2 .*failed \(exit \d+\)/);
    // One line, not a stack trace; the details (the stack) in session.log.
    const failure = result.stderr.split('\n').filter((line) => line.startsWith('megatest resume: '));
    expect(failure, result.stderr).toHaveLength(1);
    expect(failure[0]).toMatch(new RegExp(`^megatest resume: the session could not start again: .*git worktree add .*; nothing of it ran, and the run folder is left for the next megatest resume ${runDir} \\(session.log has the details\\)$`));
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(readFileSync(path.join(runDir, 'session.log'), 'utf8')).toMatch(/ERROR \[orchestrator\] the resume could not start the session again .*git worktree add .* \| +at /);
    expect(agentPidsOf(runDir), 'no agent outlives the resume').toEqual([]);
    const started = eventsOf(readEvents(runDir).filter((e) => e.seq > seqBefore), 'agent_started').map((e) => e.agent).sort();
    expect(started).toEqual(['agent-1', 'agent-3']);
    expect(existsSync(path.join(runDir, '.reserve')), 'the disk reserve is given back').toBe(false);

    // Unblocked, the next resume goes on from there to the session's end.
    git(project, ['update-ref', '-d', 'refs/heads/megatest/agent-2/blocker']);
    const again = await runHeadless(['resume', runDir, '--headless'], { timeoutMs: 120_000 }).done;
    expect(again.signal).toBeNull();
    expect([0, 1], `${again.stdout}\n${again.stderr}`).toContain(again.code);
    expect(readEvents(runDir).at(-1)).toMatchObject({ type: 'session_ended', status: 'completed' });
    expect(agentPidsOf(runDir)).toEqual([]);
  }, 250_000);
});
