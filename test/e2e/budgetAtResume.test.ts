// A session whose total token budget is already spent when it is resumed (a
// kill -9 came between the spend and the budget's stop, or the budget in
// config.json was lowered meanwhile) stops before any agent starts: one
// started would begin a model call the session has no budget for, only to be
// stopped at the first tick. Keyed on events; the budget is set below what
// the log holds by editing config.json, as a person lowering it would.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILT, eventsOf, readEvents, removeDir, runCli, runHeadless, tempRunsDir, waitForEventWhileRunning } from '../helpers/cli.js';

const DEADLINE_MS = 120_000;

describe.skipIf(!BUILT)(`a resume with the token budget already spent${BUILT ? '' : ' (skipped: dist/ is not built; npm run build)'}`, () => {
  const runsDir = tempRunsDir('megatest-budget-resume-');
  afterAll(() => removeDir(runsDir));

  it('stops, failed, saying the budget, and starts no agent', async () => {
    const config = path.join(runsDir, 'budget.toml');
    writeFileSync(config, '[monitoring]\nhealth_check_interval = 1\ncontrol_port = 18977\n\n[sim]\ntokens_per_minute = 120000\n');
    const runDir = path.join(runsDir, 'spent');
    const first = runHeadless(['run', 'task_queue', '--headless', '--agents', '2', '--duration', '30m', '--config', config, '--runs-dir', runsDir, '--session-id', 'spent'], { timeoutMs: 300_000 });
    try {
      await waitForEventWhileRunning(first, runDir, 'tokens', (t) => t.input + t.output > 0, DEADLINE_MS);
      // A checkpoint for the resume to restore (the restore path starts the agents itself).
      const asked = await runCli(['checkpoint', runDir]);
      expect(asked.code, asked.stderr).toBe(0);
      await waitForEventWhileRunning(first, runDir, 'checkpoint_created', () => true, DEADLINE_MS);
    } finally {
      first.child.kill('SIGKILL');
    }
    await first.done;
    const before = readEvents(runDir);
    const spent = eventsOf(before, 'tokens').reduce((sum, t) => sum + t.input + t.output, 0);
    expect(spent).toBeGreaterThan(0);
    const infoFile = path.join(runDir, 'config.json');
    const info = JSON.parse(readFileSync(infoFile, 'utf8')) as { config: { limits: { total_token_budget: number } } };
    info.config.limits.total_token_budget = spent;
    writeFileSync(infoFile, JSON.stringify(info, null, 2));

    const resumed = await runHeadless(['resume', 'spent', '--headless', '--runs-dir', runsDir], { timeoutMs: 300_000 }).done;
    const events = readEvents(runDir);
    const resumeSeq = eventsOf(events, 'command').find((c) => c.name === 'resume')!.seq;
    expect(eventsOf(events, 'checkpoint_restored').filter((r) => r.seq > resumeSeq)).toHaveLength(1);
    const after = events.filter((e) => e.seq > resumeSeq);
    expect(eventsOf(after, 'limit').map((l) => [l.kind, l.action, l.detail])).toEqual([['total_token_budget', 'stop', `${spent} tokens >= ${spent} (limits.total_token_budget)`]]);
    expect(eventsOf(after, 'agent_started'), 'no agent started after the resume').toEqual([]);
    expect(eventsOf(after, 'tokens')).toEqual([]);
    expect(eventsOf(after, 'session_ended')[0], resumed.stdout + resumed.stderr).toMatchObject({ status: 'failed', exit_code: 1 });
    expect(resumed.code).toBe(1);
  }, 320_000);
});
