// A session paused when its orchestrator was killed stays paused when it is
// resumed: the pause was waiting for a person (or for one after a recovery
// gave up), and a kill and a resume went round it, the agents working at
// once. Waits key on events and on the processes, never on a guessed delay.

import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { BUILT, eventsOf, killRunsIn, readEvents, readStatusWord, removeDir, runCli, runHeadless, tempRunsDir, waitFor, waitForEventWhileRunning } from '../helpers/cli.js';

const CONFIG = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'e2e', 'brisk.toml');

describe.skipIf(!BUILT)(`resuming a session that was paused${BUILT ? '' : ' (skipped: dist/ is not built; npm run build)'}`, () => {
  const runsDir = tempRunsDir('megatest-resume-paused-');
  const runDir = path.join(runsDir, 'paused');
  afterAll(() => {
    killRunsIn(runsDir);
    removeDir(runsDir);
  });

  it('keeps it paused, with a warning saying why, until a person continues it', async () => {
    const first = runHeadless(['run', 'task_queue', '--headless', '--agents', '2', '--duration', '2m', '--config', CONFIG, '--runs-dir', runsDir, '--session-id', 'paused', '--port', '18873'], {
      timeoutMs: 240_000,
    });
    await waitForEventWhileRunning(first, runDir, 'tool_call', () => true, 180_000);
    const paused = await runCli(['pause', runDir]);
    expect(paused.code, paused.stderr).toBe(0);
    await waitForEventWhileRunning(first, runDir, 'command', (c) => c.name === 'pause', 60_000);
    first.child.kill('SIGKILL');
    await first.done;

    // Not in CI (where no person can continue a session, and it goes on: docs/recovery.md).
    const resumed = runHeadless(['resume', runDir, '--headless'], { timeoutMs: 240_000, env: { CI: '' } });
    const resumeSeq = (await waitForEventWhileRunning(resumed, runDir, 'command', (c) => c.name === 'resume', 120_000)).seq;
    const repaused = await waitForEventWhileRunning(resumed, runDir, 'command', (c) => c.name === 'pause' && c.seq > resumeSeq, 120_000);
    expect(repaused.source).toBe('engine');
    await waitFor(() => readStatusWord(runDir) === 'paused' || undefined, 'the status file to say paused', 60_000);
    const alert = eventsOf(readEvents(runDir), 'alert').find((a) => a.seq > resumeSeq && /paused when its orchestrator stopped/.test(a.message));
    expect(alert?.message).toMatch(/\(paused by cli\): it stays paused; `megatest continue` goes on/);
    const continued = await runCli(['continue', runDir]);
    expect(continued.code, continued.stderr).toBe(0);
    const stopped = await runCli(['stop', runDir]);
    expect(stopped.code, stopped.stderr).toBe(0);
    await resumed.done;
  }, 300_000);
});
