// [checkpoint] enabled = false turns off the timed and phase-end checkpoints;
// the config says the manual and final ones are always taken. The final one
// was not: such a run ended with no checkpoint at all, and `megatest resume`
// of it (a branch) had nothing to go on from. Keyed on the run's own events.

import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILT, eventsOf, readEvents, removeDir, runHeadless, tempRunsDir } from '../helpers/cli.js';

describe.skipIf(!BUILT)(`[checkpoint] enabled = false${BUILT ? '' : ' (skipped: dist/ is not built; npm run build)'}`, () => {
  const runsDir = tempRunsDir('megatest-no-checkpoints-');
  afterAll(() => removeDir(runsDir));

  it('takes no timed or phase checkpoint, and the final one all the same', async () => {
    const config = path.join(runsDir, 'off.toml');
    // Brisk sim agents (a phase's tasks in its first 5%), checkpoints off, a timed one due every 30 s were they on.
    writeFileSync(config, ['[checkpoint]', 'enabled = false', 'interval_minutes = 0.5', '', '[sim]', 'work_share = 0.05', ''].join('\n'));
    const result = await runHeadless(
      ['run', 'task_queue', '--duration', '60s', '--agents', '2', '--headless', '--config', config, '--runs-dir', runsDir, '--session-id', 'off', '--port', '18976'],
      { timeoutMs: 300_000 },
    ).done;
    const runDir = path.join(runsDir, 'off');
    const events = readEvents(runDir);
    expect(eventsOf(events, 'session_ended')[0]?.status, `${result.stdout}\n${result.stderr}`).toBe('completed');
    const created = eventsOf(events, 'checkpoint_created');
    expect(created.map((c) => c.trigger)).toEqual(['final']);
    const files = readdirSync(path.join(runDir, 'checkpoints')).filter((name) => /^checkpoint_\d+\.json$/.test(name));
    expect(files).toEqual([`${created[0]!.id}.json`]);
  }, 320_000);
});
