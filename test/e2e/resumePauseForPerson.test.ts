// A claude-code session paused for a person by a recovery (pause_and_alert:
// its claude is not logged in), killed with SIGKILL while it waits, and
// resumed without a terminal outside CI: the resume keeps the pause, saying
// why, since what it waited for (a login) did not come with the kill. Before,
// the resume recorded the recovery as given up "while paused for a person"
// and went on at once, unattended. Once logged in, `megatest continue` goes
// on and the session ends with every task done once, status and the report
// giving the tokens and cost counted here from events.jsonl. The agent is
// the fake claude test/fixtures/agents/cliTask/fallbackClaude.mjs (not logged
// in until FAKE_LOGIN_FILE exists). Waits key on events, never on a delay.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { BUILT, eventsOf, killRunsIn, readEvents, readReport, readStatusWord, removeDir, runCli, runHeadless, tempRunsDir, waitFor, waitForEventWhileRunning } from '../helpers/cli.js';

const FAKE_CLAUDE = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'agents', 'cliTask', 'fallbackClaude.mjs');

describe.skipIf(!BUILT)(`resuming a session paused for a person by a recovery${BUILT ? '' : ' (skipped: dist/ is not built; npm run build)'}`, () => {
  const runsDir = tempRunsDir('megatest-resume-person-');
  const runDir = path.join(runsDir, 'login');
  const loginFile = path.join(runsDir, 'logged-in');
  afterAll(() => {
    killRunsIn(runsDir);
    removeDir(runsDir);
  });

  it('keeps the pause through a kill, and counts every task and token once after the continue', async () => {
    const config = path.join(runsDir, 'login.toml');
    writeFileSync(
      config,
      [
        '[monitoring]',
        'health_check_interval = 1',
        'control_port = 18916',
        '[agents]',
        'kind = "claude-code"',
        `binary = ${JSON.stringify(FAKE_CLAUDE)}`,
        'models = ["model-a"]',
        'isolation = "shared"',
        '[projects.task_queue]',
        'build_command = "true"',
        'test_command = "true"',
        'coverage_command = ""',
        '',
      ].join('\n'),
    );
    // Not in CI (CI set stops a session a person would have to continue: docs/recovery.md).
    const env = { CI: '', FAKE_LOGIN_FILE: loginFile };
    const args = ['run', 'task_queue', '--headless', '--agents', '1', '--duration', '5m', '--config', config, '--runs-dir', runsDir, '--session-id', 'login'];
    const first = runHeadless(args, { timeoutMs: 240_000, env });
    const paused = await waitForEventWhileRunning(first, runDir, 'command', (c) => c.name === 'pause' && c.source === 'engine', 180_000);
    first.child.kill('SIGKILL');
    await first.done;
    const before = readEvents(runDir);
    const why = eventsOf(before, 'alert').find((a) => a.seq === paused.seq - 1)!.message;
    expect(why).toMatch(/^authentication on agent-1: .*Invalid API key.* — paused; continue with `megatest continue`/);

    const resumed = runHeadless(['resume', runDir, '--headless'], { timeoutMs: 240_000, env });
    const resumeSeq = (await waitForEventWhileRunning(resumed, runDir, 'command', (c) => c.name === 'resume', 120_000)).seq;
    const repaused = await waitForEventWhileRunning(resumed, runDir, 'command', (c) => c.name === 'pause' && c.seq > resumeSeq, 120_000);
    const carried = eventsOf(readEvents(runDir), 'alert').find((a) => a.seq === repaused.seq - 1);
    expect(carried?.message).toBe(`the session was paused when its orchestrator stopped (${why}): it stays paused; \`megatest continue\` goes on`);
    await waitFor(() => readStatusWord(runDir) === 'paused' || undefined, 'the status file to say paused', 60_000);
    const status = await runCli(['status', runDir]);
    expect(status.stdout).toMatch(/^status +paused/m);

    writeFileSync(loginFile, '');
    const continued = await runCli(['continue', runDir]);
    expect(continued.code, continued.stderr).toBe(0);
    const end = await resumed.done;
    const events = readEvents(runDir);
    expect(eventsOf(events, 'session_ended')[0], end.stdout + end.stderr).toMatchObject({ status: 'completed' });

    // Every planned task done, each once (no checkpoint was restored: nothing was rolled back).
    const planned = new Set(eventsOf(events, 'session_started')[0]!.phases.flatMap((p) => p.tasks));
    const completed = eventsOf(events, 'task_completed').map((t) => t.task);
    expect(eventsOf(events, 'checkpoint_restored')).toEqual([]);
    expect(completed.length).toBe(planned.size);
    expect(new Set(completed)).toEqual(planned);
    // Figures counted here from the events, against the report's and status's.
    const tokens = eventsOf(events, 'tokens');
    const total = tokens.reduce((sum, t) => sum + t.input + t.output, 0);
    const cost = tokens.reduce((sum, t) => sum + (t.cost_usd ?? 0), 0);
    const report = readReport(runDir);
    expect(report.models[0]!.total_tokens).toBe(total);
    expect(report.models[0]!.cost_usd).toBeCloseTo(cost, 6);
    expect(report.reliability.resumes).toBe(1);
    const json = JSON.parse((await runCli(['status', runDir, '--json'])).stdout) as { metrics: { total_tokens: number; tasks_completed: number; tool_calls: number }; cost_usd: number };
    expect(json.metrics.total_tokens).toBe(total);
    expect(json.metrics.tasks_completed).toBe(planned.size);
    expect(json.metrics.tool_calls).toBe(eventsOf(events, 'tool_call').length);
    expect(json.cost_usd).toBeCloseTo(cost, 6);
  }, 480_000);
});
