// An orchestrator stopped for a while (Ctrl-Z on a headless run, SIGSTOP, a
// machine asleep) did not watch its agents meanwhile: when it runs again, an
// agent's silence through the stop says nothing about it. Before, the first
// tick after a stop longer than agent.step_timeout_secs found an agent in
// the middle of a long model call quiet for longer than that and called it
// hung: the last checkpoint restored over the work since, and the agent
// restarted. Now its quiet time counts from when the orchestrator runs
// again. The agent here goes quiet (no output, no CPU) before the stop and
// stays so: it is hung only a whole step timeout after the orchestrator runs
// again.
//
// No race with the clock: the step timeout (20 s) is a deadline for the test
// to stop the orchestrator after the agent went quiet; the stop lasts a few
// seconds more than the gap the watchdog calls not looking (NOT_LOOKING_MS),
// a lower bound a loaded machine only lengthens; and the assertion is a lower
// bound too, on the time of the hang event after the continue, which a loaded
// machine can only delay. Before the fix the hang came at the first tick
// after the continue (or a step timeout after the quiet tool call, sooner
// than one after the continue), for any stop. The watchdog's rule itself,
// gap by gap, is in test/engine/messages.test.ts on a clock the test gives.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readControlFile } from '../../src/io/sessions.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { NOT_LOOKING_MS } from '../../src/engine/watchdog.js';
import { BUILT, eventsOf, killRunsIn, readEvents, removeDir, runCli, runHeadless, tempRunsDir, waitFor, waitForEventWhileRunning } from '../helpers/cli.js';

const AGENT = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'agents', 'quietAgent.mjs');
const STEP_TIMEOUT_SECONDS = 20;
/** How long the orchestrator is stopped: longer than a gap the watchdog takes for not looking. */
const STOP_MS = NOT_LOOKING_MS + 3000;

describe.skipIf(!BUILT)(`an orchestrator stopped for a while (longer than a gap the watchdog takes for not looking)${BUILT ? '' : ' (skipped: dist/ is not built; run npm run build)'}`, () => {
  const runsDir = tempRunsDir('megatest-orchestrator-stopped-');
  afterAll(() => {
    killRunsIn(runsDir);
    removeDir(runsDir);
  });

  it('counts a quiet agent’s silence from when it runs again, and says so', async () => {
    const config = path.join(runsDir, 'stopped.toml');
    writeFileSync(config, ['[monitoring]', 'health_check_interval = 1', 'control_port = 18496', '', '[agent]', `step_timeout_secs = ${STEP_TIMEOUT_SECONDS}`, '', '[checkpoint]', 'interval_minutes = 600', 'tool_call_threshold = 0', 'token_threshold = 0', ''].join('\n'));
    const runDir = path.join(runsDir, 'stopped');
    const quietFile = path.join(runsDir, 'be-quiet');
    const args = ['run', 'task_queue', '--headless', '--agents', '1', '--duration', '10m', '--config', config, '--runs-dir', runsDir, '--session-id', 'stopped'];
    args.push('--agent', 'command', '--agent-cmd', `${JSON.stringify(process.execPath)} ${JSON.stringify(AGENT)}`);
    const run = runHeadless(args, { timeoutMs: 420_000, env: { FIXTURE_QUIET_FILE: quietFile } });
    // The first metrics snapshot comes once the orchestrator's ticks are set up.
    await waitForEventWhileRunning(run, runDir, 'metrics', () => true, 120_000);
    writeFileSync(quietFile, '');
    await waitForEventWhileRunning(run, runDir, 'tool_call', (e) => e.tool === 'quiet', 60_000);
    const pid = readControlFile(runDir)!.pid;
    process.kill(pid, 'SIGSTOP');
    // The stop's length is the scenario, not a wait for something: a loaded machine only makes it longer.
    await new Promise((resolve) => setTimeout(resolve, STOP_MS));
    // Read before the continue: the orchestrator's first tick after it cannot come sooner.
    const continuedMs = Date.now();
    process.kill(pid, 'SIGCONT');
    const hang = await waitForEventWhileRunning(run, runDir, 'error', (e) => e.class === 'agent_hang', 180_000);
    console.log(`the hang came ${Date.parse(hang.ts) - continuedMs} ms after the continue (step timeout ${STEP_TIMEOUT_SECONDS} s, stopped ${STOP_MS} ms)`);
    // A whole step timeout after it ran again (a tick is 250 ms; the times are whole milliseconds).
    expect(Date.parse(hang.ts) - continuedMs, hang.message).toBeGreaterThanOrEqual(STEP_TIMEOUT_SECONDS * 1000 - 300);
    // Whole seconds, rounded: a late tick on a loaded machine may say one more.
    const idleSeconds = Number(/^hung: no output and no CPU for the last (\d+) s/.exec(hang.message)?.[1]);
    expect(idleSeconds, hang.message).toBeGreaterThanOrEqual(STEP_TIMEOUT_SECONDS);
    expect(eventsOf(readEvents(runDir), 'error').filter((e) => e.seq < hang.seq)).toEqual([]);
    // session.log is written in batches.
    const said = /this orchestrator did not run for \d+ s \(stopped with Ctrl-Z or SIGSTOP, the machine asleep, or its event loop held up\): every agent's quiet time \(agent\.step_timeout_secs\) counts from now/;
    await waitFor(() => said.test(readFileSync(path.join(runDir, 'session.log'), 'utf8')), 'the watchdog’s line in session.log', 120_000);
    expect((await runCli(['stop', runDir])).code).toBe(0);
    expect((await run.done).code).toBe(130);
  }, 600_000);
});
