// The CLI test helpers' own checks: a wait on a run's events fails with the
// run's output as soon as the run has ended without the event, instead of
// at its time limit (the message says which happened, so nothing here is
// timed).

import { afterAll, describe, expect, it } from 'vitest';
import { readControlFile } from '../../src/io/sessions.js';
import { agentPidsOf, BUILT, killRunsIn, removeDir, runHeadless, tempRunsDir, waitFor, waitForEventWhileRunning } from './cli.js';

describe.skipIf(!BUILT)(`waitForEventWhileRunning${BUILT ? '' : ' (skipped: dist/ is not built; run npm run build)'}`, () => {
  const emptyDir = tempRunsDir('megatest-helpers-');
  afterAll(() => removeDir(emptyDir));

  it('fails once the CLI has ended without the event, with its exit code and output', async () => {
    // Not a run folder: `status` says so and exits 2; no event ever comes.
    const run = runHeadless(['status', emptyDir]);
    const waiting = waitForEventWhileRunning(run, emptyDir, 'session_started', () => true, 60_000);
    await expect(waiting).rejects.toThrow(/^the CLI ended \(2\) before a session_started event in .*\n[\s\S]*not a megatest run folder/);
  });
});

describe.skipIf(!BUILT)(`killRunsIn${BUILT ? '' : ' (skipped: dist/ is not built; run npm run build)'}`, () => {
  const runsDir = tempRunsDir('megatest-helpers-');
  afterAll(() => removeDir(runsDir));

  it("ends a run a test left going: its orchestrator and its agents", async () => {
    const runDir = `${runsDir}/left-going`;
    const run = runHeadless(['run', 'task_queue', '--headless', '--agents', '2', '--duration', '120s', '--runs-dir', runsDir, '--session-id', 'left-going', '--port', '18490']);
    await waitForEventWhileRunning(run, runDir, 'tool_call');
    const orchestrator = readControlFile(runDir)!.pid;
    expect(agentPidsOf(runDir).length).toBeGreaterThan(0);
    killRunsIn(runsDir);
    expect((await run.done).signal).toBe('SIGKILL');
    expect(run.child.pid).toBe(orchestrator);
    await waitFor(() => agentPidsOf(runDir).length === 0 || undefined, 'the agents to be gone', 30_000);
  });
});
