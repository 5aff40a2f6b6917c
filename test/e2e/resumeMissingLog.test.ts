// A run folder whose events.jsonl is gone (deleted or moved; a run folder is
// made with its log, so no kill leaves one without it): `megatest resume`
// and `megatest report` say the file is missing, naming it, exit 1, and
// write nothing. Before, resume said "cannot open … (ENOENT)" and report
// "no session_started event", exit 2, as if the log were there but empty.

import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILT, removeDir, runCli, runHeadless, tempRunsDir, waitForEventWhileRunning } from '../helpers/cli.js';

describe.skipIf(!BUILT)(`a run folder that lost its events.jsonl${BUILT ? '' : ' (skipped: dist/ is not built; npm run build)'}`, () => {
  const runsDir = tempRunsDir('megatest-missing-log-');
  const runDir = path.join(runsDir, 'nolog');
  afterAll(() => removeDir(runsDir));

  it('resume, report and status say the log is missing, naming it, exit 1, and write nothing', async () => {
    const config = path.join(runsDir, 'nolog.toml');
    writeFileSync(config, ['[monitoring]', 'health_check_interval = 1', 'control_port = 18917', ''].join('\n'));
    // A run killed (kill -9) once it has started its first phase.
    const run = runHeadless(['run', 'task_queue', '--headless', '--agents', '1', '--duration', '1m', '--config', config, '--runs-dir', runsDir, '--session-id', 'nolog'], { timeoutMs: 120_000 });
    await waitForEventWhileRunning(run, runDir, 'phase_started', () => true, 60_000);
    run.child.kill('SIGKILL');
    await run.done;
    const events = path.join(runDir, 'events.jsonl');
    rmSync(events);
    rmSync(path.join(runDir, 'events.idx'), { force: true });
    const before = readdirSync(runDir).sort();

    const resumed = await runCli(['resume', runDir, '--headless']);
    expect(resumed.code).toBe(1);
    expect(resumed.stderr.trim()).toBe(`megatest resume: ${events} is missing (deleted or moved?): the run folder holds no event log; the session was not resumed`);
    const report = await runCli(['report', runDir]);
    expect(report.code).toBe(1);
    expect(report.stdout).toBe('');
    expect(report.stderr.trim()).toBe(`megatest report: ${events} is missing (deleted or moved?): the run folder holds no event log; nothing to report; final_report.* left as they were`);
    // status too: it showed "running" and the last metrics as if nothing were wrong.
    const status = await runCli(['status', runDir]);
    expect(status.code).toBe(1);
    expect(status.stderr.trim()).toBe(`megatest status: ${events} is missing (deleted or moved?): the run folder holds no event log; nothing to show but what metrics_current.json last held`);
    expect(status.stdout).not.toMatch(/running/);
    expect(readdirSync(runDir).sort()).toEqual(before);
  }, 180_000);
});
