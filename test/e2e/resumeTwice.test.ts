// Two `megatest resume` of one killed run, started together: one goes on,
// the other is refused (exit 2), and the event log stays one log. Before
// the run folder's lock (src/io/runLock.ts), both found no live orchestrator
// and both went on: 81 seqs twice, two session_ended. Waits key on events
// and on the processes' exits, never on a guessed delay.

import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { BUILT, eventsOf, killRunsIn, readEvents, removeDir, runCli, runHeadless, tempRunsDir, waitFor, waitForEventWhileRunning } from '../helpers/cli.js';

const CONFIG = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'e2e', 'brisk.toml');

describe.skipIf(!BUILT)(`two resumes of one killed run${BUILT ? '' : ' (skipped: dist/ is not built; npm run build)'}`, () => {
  const runsDir = tempRunsDir('megatest-resume-twice-');
  const runDir = path.join(runsDir, 'twice');
  afterAll(() => {
    killRunsIn(runsDir);
    removeDir(runsDir);
  });

  it('one goes on, the other is refused with the running pid, and the log keeps one seq for each event', async () => {
    const first = runHeadless(['run', 'task_queue', '--headless', '--agents', '2', '--duration', '2m', '--config', CONFIG, '--runs-dir', runsDir, '--session-id', 'twice', '--port', '18872'], {
      timeoutMs: 240_000,
    });
    await waitForEventWhileRunning(first, runDir, 'checkpoint_created', () => true, 180_000);
    first.child.kill('SIGKILL');
    await first.done;

    const resumes = [0, 1].map(() => runHeadless(['resume', runDir, '--headless'], { timeoutMs: 240_000 }));
    // The refused one ends at once; the other runs until it is stopped.
    const refused = await Promise.race(resumes.map((resume, index) => resume.done.then((result) => ({ index, result }))));
    expect(refused.result.code, refused.result.stderr).toBe(2);
    expect(refused.result.stderr).toMatch(/^megatest(?: resume)?: .*the orchestrator of .* is still running/m);
    const going = resumes[1 - refused.index]!;
    expect(going.child.exitCode).toBeNull();
    await waitFor(() => readEvents(runDir).some((e) => e.type === 'command' && e.name === 'resume') || undefined, 'the resume to be recorded', 60_000);
    const stopped = await runCli(['stop', runDir]);
    expect(stopped.code, stopped.stderr).toBe(0);
    await going.done;

    const events = readEvents(runDir);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(eventsOf(events, 'session_started')).toHaveLength(1);
    expect(eventsOf(events, 'command').filter((c) => c.name === 'resume')).toHaveLength(1);
    expect(eventsOf(events, 'session_ended')).toHaveLength(1);
  }, 300_000);
});
