// A paused session stays paused for its agents too: an agent that fails
// during a person's pause, and that the recovery starts again (or a
// checkpoint's restore starts again), is paused before it is given its
// tasks; an error the recovery answers by "try again now" does not resume the
// agent before the session continues. Before, the new agent went to work at
// once while the session said paused, and a retry resumed its agent. The
// agent (test/fixtures/agents/pauseTrace.mjs) writes every command it gets,
// in order, to a trace file; the waits key on that trace and on the events,
// never on a guessed delay.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { BUILT, eventsOf, killRunsIn, readEvents, readStatusWord, removeDir, runCli, runHeadless, tempRunsDir, waitFor, waitForEventWhileRunning } from '../helpers/cli.js';

const AGENT = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'agents', 'pauseTrace.mjs');

describe.skipIf(!BUILT)(`an agent started again while the session is paused${BUILT ? '' : ' (skipped: dist/ is not built; run npm run build)'}`, () => {
  const runsDir = tempRunsDir('megatest-paused-restart-');
  afterAll(() => {
    killRunsIn(runsDir);
    removeDir(runsDir);
  });

  /** A one-agent session of the trace agent, running once its agent has made a tool call. */
  async function session(id: string, port: number, onPause: 'crash' | 'timeout', options: { maxRecoveryAttempts?: number; person?: boolean } = {}) {
    const config = path.join(runsDir, `${id}.toml`);
    // Checkpoints only when a test asks for one.
    const checkpoint = ['[checkpoint]', 'interval_minutes = 600', 'tool_call_threshold = 0', 'token_threshold = 0'];
    if (options.maxRecoveryAttempts !== undefined) checkpoint.push(`max_recovery_attempts = ${options.maxRecoveryAttempts}`);
    writeFileSync(config, ['[monitoring]', 'health_check_interval = 1', `control_port = ${port}`, '', ...checkpoint, ''].join('\n'));
    const traceFile = path.join(runsDir, `${id}.trace`);
    const runDir = path.join(runsDir, id);
    const args = ['run', 'task_queue', '--headless', '--agents', '1', '--duration', '10m', '--config', config, '--runs-dir', runsDir, '--session-id', id];
    args.push('--agent', 'command', '--agent-cmd', `${JSON.stringify(process.execPath)} ${JSON.stringify(AGENT)}`);
    // person: not in CI, where a recovery that gives up pauses for a person instead of stopping the session.
    const run = runHeadless(args, { timeoutMs: 180_000, env: { FIXTURE_TRACE: traceFile, FIXTURE_ON_PAUSE: onPause, ...(options.person ? { CI: '' } : {}) } });
    await waitForEventWhileRunning(run, runDir, 'tool_call', () => true, 120_000);
    const trace = () => (existsSync(traceFile) ? readFileSync(traceFile, 'utf8').split('\n').filter(Boolean) : []);
    const control = async (command: string, ...extra: string[]) => {
      const result = await runCli([command, runDir, ...extra]);
      expect(result.code, `megatest ${command}: ${result.stdout}${result.stderr}`).toBe(0);
    };
    const end = async () => {
      await control('stop');
      const result = await run.done;
      expect(result.code, result.stderr).toBe(130);
    };
    return { runDir, run, trace, control, end };
  }

  /** The new agent's commands, once it has been given its phase. */
  async function restartedDuringPause(s: Awaited<ReturnType<typeof session>>) {
    await s.control('pause');
    await waitFor(() => s.trace().some((line) => line.startsWith('2 phase ')), 'the new agent given its phase', 120_000);
    const second = s.trace().filter((line) => line.startsWith('2 '));
    expect(second.slice(0, 3), s.trace().join('\n')).toEqual(['2 started', '2 pause', '2 phase bootstrap while paused']);
    expect(readStatusWord(s.runDir)).toBe('paused');
    // The session's continue sets it to work.
    await s.control('continue');
    await waitFor(() => s.trace().includes('2 resume'), 'the new agent resumed', 60_000);
    const continued = await waitForEventWhileRunning(s.run, s.runDir, 'command', (e) => e.name === 'continue', 60_000);
    await waitForEventWhileRunning(s.run, s.runDir, 'tool_call', (e) => e.seq > continued.seq, 60_000);
  }

  it('an agent that crashes during the pause, with no checkpoint yet, is started again paused', async () => {
    const s = await session('nocheckpoint', 18492, 'crash');
    await restartedDuringPause(s);
    const events = readEvents(s.runDir);
    expect(eventsOf(events, 'recovery').find((e) => e.outcome === 'started')?.detail).toMatch(/^agent_crash: restoring the last checkpoint/);
    expect(eventsOf(events, 'checkpoint_restored')).toEqual([]);
    await s.end();
  }, 240_000);

  it('an agent that crashes during the pause is started paused by the restore of the last checkpoint', async () => {
    const s = await session('restored', 18493, 'crash');
    await s.control('checkpoint');
    await restartedDuringPause(s);
    expect(eventsOf(readEvents(s.runDir), 'checkpoint_restored')).toHaveLength(1);
    await s.end();
  }, 240_000);

  it('an error answered by "try again now" during the pause leaves the agent paused until the session continues', async () => {
    const s = await session('retry', 18494, 'timeout');
    await s.control('pause');
    await waitForEventWhileRunning(s.run, s.runDir, 'recovery', (e) => e.action === 'retry_immediate' && e.outcome === 'started', 60_000);
    await s.control('continue');
    await s.control('pause');
    // Commands reach the agent in the order they are sent: once it has the second pause, it has had everything before it.
    await waitFor(() => s.trace().filter((line) => line === '1 pause').length === 2, 'the second pause at the agent', 60_000);
    const lines = s.trace();
    expect(lines.slice(lines.indexOf('1 pause')), lines.join('\n')).toEqual(['1 pause', '1 reported a timeout', '1 resume', '1 pause']);
    await s.end();
  }, 240_000);

  it('an agent the recovery gave up on during the pause is started, working, when the session continues', async () => {
    const s = await session('gaveup', 18495, 'crash', { maxRecoveryAttempts: 0, person: true });
    await s.control('pause');
    await waitForEventWhileRunning(s.run, s.runDir, 'recovery', (e) => e.outcome === 'gave_up', 60_000);
    expect(s.trace().filter((line) => line.startsWith('2 '))).toEqual([]);
    await s.control('continue');
    await waitFor(() => s.trace().some((line) => line.startsWith('2 phase ')), 'the new agent given its phase', 120_000);
    expect(s.trace().filter((line) => line.startsWith('2 ')).slice(0, 2), s.trace().join('\n')).toEqual(['2 started', '2 phase bootstrap while working']);
    const continued = await waitForEventWhileRunning(s.run, s.runDir, 'command', (e) => e.name === 'continue', 60_000);
    await waitForEventWhileRunning(s.run, s.runDir, 'tool_call', (e) => e.seq > continued.seq, 60_000);
    await s.end();
  }, 240_000);
});
