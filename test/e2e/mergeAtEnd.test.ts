// The session's end in worktree isolation, through the built CLI: a task
// finished while the session stops is merged once the agents have stopped,
// before the final gate and checkpoint (Merger.mergeAtEnd). The `command`
// agents (test/fixtures/agents/worktree-agent.mjs) hold the task "sum of
// three" until they are told to stop, then do it and say task_done before
// they exit. The run is interrupted once every other development task is on
// main (a wait on events); what is checked is read from the run folder.

import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { BUILT, killAgentsOf, eventsOf, readEvents, removeDir, runHeadless, tempRunsDir, waitForEventWhileRunning } from '../helpers/cli.js';

const CONFIG = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'worktrees', 'session.toml');
const AGENT = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'agents', 'worktree-agent.mjs');
const HELD = 'sum of three';

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

describe.skipIf(!BUILT)('worktree isolation: the session’s end (needs npm run build)', () => {
  const runsDir = tempRunsDir('megatest-merge-at-end-');
  const runDir = path.join(runsDir, 'end');
  afterAll(() => {
    killAgentsOf(runDir);
    removeDir(runsDir);
  });

  it('merges a task finished while the session stops, before the final test run and checkpoint', async () => {
    const run = runHeadless(
      ['run', 'wt_demo', '--headless', '--agents', '3', '--duration', '10m', '--config', CONFIG, '--agent', 'command', '--agent-cmd', `exec ${quote(process.execPath)} ${quote(AGENT)}`, '--runs-dir', runsDir, '--session-id', 'end', '--seed', '5', '--port', '18981'],
      { timeoutMs: 400_000, env: { WORKTREE_AGENT_HOLD: HELD } },
    );
    // Both greeting tasks on main: the development phase waits for the held task alone.
    const greetings = new Set<string>();
    await waitForEventWhileRunning(run, runDir, 'task_completed', (e) => {
      if (e.task.startsWith('greeting says ')) greetings.add(e.task);
      return greetings.size === 2;
    }, 300_000);
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(130);

    const events = readEvents(runDir);
    const stop = events.find((e) => e.type === 'command' && e.name === 'stop') ?? events.find((e) => e.type === 'session_ended')!;
    const held = eventsOf(events, 'task_completed').filter((e) => e.task === HELD);
    expect(held).toHaveLength(1);
    const lastExit = Math.max(...eventsOf(events, 'agent_exited').map((e) => e.seq));
    // Merged at the end: after the agents stopped, before the final checkpoint and the session's end.
    expect(held[0]!.seq).toBeGreaterThan(lastExit);
    const final = eventsOf(events, 'checkpoint_created').find((e) => e.trigger === 'final')!;
    expect(held[0]!.seq).toBeLessThan(final.seq);
    expect(stop.seq).toBeLessThan(held[0]!.seq);
    const project = path.join(runDir, 'project');
    const onMain = execFileSync('git', ['-C', project, 'ls-tree', '-r', '--name-only', 'main'], { encoding: 'utf8' });
    expect(onMain.split('\n')).toContain('test/sum-three.test.js');
    // The final test run measured main with it: the project's own test files each pass.
    const lastRun = eventsOf(events, 'test_run').at(-1)!;
    expect(lastRun.seq).toBeGreaterThan(held[0]!.seq);
    expect(lastRun.failed).toBe(0);
    expect(lastRun.passed).toBe(onMain.split('\n').filter((f) => f.startsWith('test/') && f.endsWith('.test.js')).length);
    expect(eventsOf(events, 'alert').filter((a) => a.message.startsWith('left unmerged'))).toEqual([]);
  }, 450_000);
});
