// A session paused when its orchestrator was killed stays paused when it is
// resumed: the pause was waiting for a person (or for one after a recovery
// gave up), and a kill and a resume went round it, the agents working at
// once; and so it stays through a second kill and resume. The pause the API
// confirmed is in events.jsonl when its answer comes. Waits key on events and
// on the processes, never on a guessed delay.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/io/controlClient.js';
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

  it('keeps it paused, with a warning saying why, until a person continues it, through two kills', async () => {
    const first = runHeadless(['run', 'task_queue', '--headless', '--agents', '2', '--duration', '2m', '--config', CONFIG, '--runs-dir', runsDir, '--session-id', 'paused', '--port', '18873'], {
      timeoutMs: 240_000,
    });
    await waitForEventWhileRunning(first, runDir, 'tool_call', () => true, 180_000);
    // The pause the API confirms is in events.jsonl when the answer comes: killed right after, it is not lost.
    const client = await ControlClient.fromRunDir(runDir, { source: 'api', timeoutMs: 60_000 });
    const answer = await client.pause();
    const onDisk = readFileSync(path.join(runDir, 'events.jsonl'), 'utf8');
    first.child.kill('SIGKILL');
    await first.done;
    expect(answer.event).toMatchObject({ type: 'command', name: 'pause', source: 'api' });
    expect(onDisk).toContain(`{"seq":${answer.event!.seq},`);

    // Not in CI (where no person can continue a session, and it goes on: docs/recovery.md).
    const resumeOnce = async (after: number) => {
      const resumed = runHeadless(['resume', runDir, '--headless'], { timeoutMs: 240_000, env: { CI: '' } });
      const resumeSeq = (await waitForEventWhileRunning(resumed, runDir, 'command', (c) => c.name === 'resume' && c.seq > after, 120_000)).seq;
      const repaused = await waitForEventWhileRunning(resumed, runDir, 'command', (c) => c.name === 'pause' && c.seq > resumeSeq, 120_000);
      expect(repaused.source).toBe('engine');
      await waitFor(() => readStatusWord(runDir) === 'paused' || undefined, 'the status file to say paused', 60_000);
      const alert = eventsOf(readEvents(runDir), 'alert').find((a) => a.seq > resumeSeq && /paused when its orchestrator stopped/.test(a.message));
      return { resumed, alert: alert?.message, seq: repaused.seq };
    };
    const once = await resumeOnce(answer.event!.seq);
    expect(once.alert).toMatch(/\(paused by api\): it stays paused; `megatest continue` goes on/);
    // Killed again while it waits, and resumed: still the person's pause, said as it was the first time.
    once.resumed.child.kill('SIGKILL');
    await once.resumed.done;
    const twice = await resumeOnce(once.seq);
    expect(twice.alert).toBe(once.alert);
    const continued = await runCli(['continue', runDir]);
    expect(continued.code, continued.stderr).toBe(0);
    const stopped = await runCli(['stop', runDir]);
    expect(stopped.code, stopped.stderr).toBe(0);
    await twice.resumed.done;
  }, 420_000);
});
