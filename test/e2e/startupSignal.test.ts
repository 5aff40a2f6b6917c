// SIGTERM while a session starts (issue 11, item 6): the run folder exists
// and still says `starting`; the session must end `interrupted`, exit 130,
// with a session_started, the stop command and a session_ended, and its
// report. The signal is sent as soon as the folder's status file appears,
// keyed on that file, never on a delay.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILT, eventsOf, readEvents, readStatusWord, removeDir, runHeadless, tempRunsDir, waitFor } from '../helpers/cli.js';

describe.skipIf(!BUILT)(`SIGTERM during startup${BUILT ? '' : ' (skipped: dist/ is not built; run npm run build)'}`, () => {
  const runsDir = tempRunsDir('megatest-startup-signal-');
  afterAll(() => removeDir(runsDir));

  it('ends the session interrupted, exit 130, with its session_ended and report', async () => {
    const runDir = path.join(runsDir, 'early');
    const run = runHeadless(['run', 'task_queue', '--headless', '--agents', '2', '--duration', '60s', '--runs-dir', runsDir, '--session-id', 'early', '--port', '18870'], {
      timeoutMs: 90_000,
    });
    try {
      await waitFor(() => existsSync(path.join(runDir, 'status')), 'the run folder', 30_000, 5);
      run.child.kill('SIGTERM');
      const result = await run.done;
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(130);
    } finally {
      run.child.kill('SIGKILL');
    }
    const events = readEvents(runDir);
    expect(events[0]?.type).toBe('session_started');
    expect(eventsOf(events, 'command')).toContainEqual(expect.objectContaining({ name: 'stop', source: 'signal', detail: 'SIGTERM' }));
    expect(events.at(-1)).toMatchObject({ type: 'session_ended', status: 'interrupted', exit_code: 130 });
    expect(readStatusWord(runDir)).toBe('interrupted');
    expect(existsSync(path.join(runDir, 'final_report.json'))).toBe(true);
  }, 120_000);
});
