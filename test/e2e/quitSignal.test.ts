// SIGQUIT (Ctrl-\) to a headless run: the stop that does not wait. The
// terminal's SIGQUIT reaches the orchestrator's job, not its agents, which
// lead process groups of their own: before, they went on working (and
// spending) with nobody watching. Now they are killed with it, what was
// queued is written, and the run is left to `megatest resume`, which
// carries it on. Keyed on the first tool call and on the process's exit.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isPidAlive, readControlFile } from '../../src/io/sessions.js';
import { agentPidsOf, BUILT, eventsOf, readEvents, readStatusWord, removeDir, runCli, runHeadless, tempRunsDir, waitFor, waitForEventWhileRunning } from '../helpers/cli.js';

describe.skipIf(!BUILT)(`SIGQUIT to a headless run${BUILT ? '' : ' (skipped: dist/ is not built; run npm run build)'}`, () => {
  const runsDir = tempRunsDir('megatest-quit-signal-');
  afterAll(() => removeDir(runsDir));

  it('kills its agents with it, writes what was queued, exits 131, and the run resumes', async () => {
    const runDir = path.join(runsDir, 'quit');
    const config = path.join('test', 'fixtures', 'e2e', 'fast.toml');
    const run = runHeadless(['run', 'task_queue', '--headless', '--agents', '2', '--duration', '10m', '--config', config, '--runs-dir', runsDir, '--session-id', 'quit', '--port', '18642'], { timeoutMs: 120_000 });
    let agents: number[] = [];
    try {
      await waitForEventWhileRunning(run, runDir, 'tool_call');
      agents = agentPidsOf(runDir);
      expect(agents).toHaveLength(2);
      run.child.kill('SIGQUIT');
      const result = await run.done;
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(131);
      expect(result.stderr).toContain(`quit (SIGQUIT): its agents are killed, with no final checkpoint or report; carry the run on with: megatest resume ${runDir}`);
    } finally {
      run.child.kill('SIGKILL');
      for (const pid of agentPidsOf(runDir)) process.kill(pid, 'SIGKILL');
    }
    // No agent is left working: each is gone (reaped by init once its orchestrator exited).
    for (const pid of agents) await waitFor(() => !isPidAlive(pid) || undefined, `agent ${pid} gone`, 30_000, 50);
    expect(readFileSync(path.join(runDir, 'session.log'), 'utf8')).toMatch(/SIGQUIT: quit at once, 2 agent process group\(s\) killed/);
    // As after a kill -9: no session_ended, the status still says running, nothing runs it.
    const events = readEvents(runDir);
    expect(eventsOf(events, 'session_ended')).toEqual([]);
    expect(readStatusWord(runDir)).toBe('running');
    expect(isPidAlive(readControlFile(runDir)!.pid)).toBe(false);

    // megatest resume carries it on; stopped once it runs again.
    const resumed = runHeadless(['resume', runDir, '--headless'], { timeoutMs: 120_000 });
    try {
      await waitFor(() => eventsOf(readEvents(runDir), 'command').some((c) => c.name === 'resume' && c.source === 'cli') || undefined, 'the resume', 60_000, 100);
      const stop = await runCli(['stop', runDir]);
      expect(stop.code, stop.stderr).toBe(0);
      const result = await resumed.done;
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(130);
    } finally {
      resumed.child.kill('SIGKILL');
    }
    expect(readEvents(runDir).at(-1)).toMatchObject({ type: 'session_ended', status: 'interrupted' });
  }, 240_000);
});
