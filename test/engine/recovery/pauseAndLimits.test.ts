// Faults and limits that stop or pause the session for a person: consensus
// deadlock (escalate), disk limit (pause and alert, no checkpoint while over
// it), total token budget (stop with a final checkpoint and the reason in the
// report), per-agent tokens/hour (throttle) and context size (compress).
// The five sessions run side by side, each given 30 minutes: each ends on
// its own event (a limit, a stop in CI) or is stopped by the test once it has
// seen what it waits for, never by its duration; the waits are deadlines for
// a stuck session (120 s), not expectations, so a loaded machine slows the
// file and never fails it.

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUILT,
  eventsOf,
  readEvents,
  readReport,
  readStatusWord,
  removeDir,
  runCli,
  runHeadless,
  sessionArgs,
  tempRunsDir,
  waitFor,
  type CliResult,
  waitForEventWhileRunning,
} from '../../helpers/cli.js';

/** The environment of a session run from a terminal (CI not set): a person may continue a pause. */
const PERSON_AT_TERMINAL = { CI: '' };
/** Longer than any session here lasts: none ends by its duration. */
const LONG = ['--duration', '30m'];
/** A deadline for a stuck session, not an expectation. */
const DEADLINE_MS = 120_000;
/** The CLI's own deadline: killed then (the test fails on its result). */
const RUN_DEADLINE = { timeoutMs: 540_000 };

describe.skipIf(!BUILT)('pauses, stops and limits (needs npm run build)', () => {
  const runsDir = tempRunsDir();
  const dirs = {
    deadlock: path.join(runsDir, 'deadlock'),
    deadlockCi: path.join(runsDir, 'deadlock-ci'),
    disk: path.join(runsDir, 'disk'),
    budget: path.join(runsDir, 'budget'),
    throttle: path.join(runsDir, 'throttle'),
  };
  const results: Record<string, CliResult> = {};
  let continued: CliResult;
  let statusWhilePaused = '';
  let checkpointRefused: CliResult;

  beforeAll(async () => {
    const runs = {
      // A person at a terminal (CI not set) continues these pauses; in CI nobody would, and the session stops.
      deadlock: runHeadless(sessionArgs(runsDir, 'deadlock', 'deadlock.toml', LONG), { ...RUN_DEADLINE, env: PERSON_AT_TERMINAL }),
      deadlockCi: runHeadless(sessionArgs(runsDir, 'deadlock-ci', 'deadlock.toml', LONG), RUN_DEADLINE),
      disk: runHeadless(sessionArgs(runsDir, 'disk', 'disk.toml', LONG), { ...RUN_DEADLINE, env: PERSON_AT_TERMINAL }),
      budget: runHeadless(sessionArgs(runsDir, 'budget', 'budget.toml', LONG), RUN_DEADLINE),
      // Stopped once both agents reached the hourly limit.
      throttle: runHeadless(sessionArgs(runsDir, 'throttle', 'throttle.toml', LONG), RUN_DEADLINE),
    };
    try {
      await Promise.all([
        (async () => {
          await waitForEventWhileRunning(runs.deadlock, dirs.deadlock, 'alert', (a) => a.level === 'critical', DEADLINE_MS);
          statusWhilePaused = await waitFor(() => readStatusWord(dirs.deadlock) === 'paused' && 'paused', 'status paused', DEADLINE_MS);
          continued = await runCli(['continue', dirs.deadlock]);
          await waitFor(() => readStatusWord(dirs.deadlock) === 'running', 'status running after continue', DEADLINE_MS);
          runs.deadlock.child.kill('SIGTERM');
          results.deadlock = await runs.deadlock.done;
        })(),
        (async () => {
          await waitForEventWhileRunning(runs.disk, dirs.disk, 'limit', (l) => l.kind === 'disk', DEADLINE_MS);
          await waitFor(() => readStatusWord(dirs.disk) === 'paused', 'status paused', DEADLINE_MS);
          checkpointRefused = await runCli(['checkpoint', dirs.disk]);
          runs.disk.child.kill('SIGTERM');
          results.disk = await runs.disk.done;
        })(),
        (async () => {
          results.budget = await runs.budget.done;
        })(),
        (async () => {
          results.deadlockCi = await runs.deadlockCi.done;
        })(),
        (async () => {
          await waitForEventWhileRunning(runs.throttle, dirs.throttle, 'limit', (l) => l.kind === 'tokens_per_hour', DEADLINE_MS);
          await waitFor(
            () => eventsOf(readEvents(dirs.throttle), 'limit').filter((l) => l.kind === 'tokens_per_hour').length >= 2,
            'both agents throttled',
            DEADLINE_MS,
          );
          runs.throttle.child.kill('SIGTERM');
          results.throttle = await runs.throttle.done;
        })(),
      ]);
    } finally {
      for (const run of Object.values(runs)) run.child.kill('SIGKILL');
    }
  }, 600_000);

  afterAll(() => removeDir(runsDir));

  it('consensus deadlock: escalated, the session paused for a person; megatest continue resumes it', () => {
    const events = readEvents(dirs.deadlock);
    const error = eventsOf(events, 'error').find((e) => e.class === 'consensus_deadlock');
    expect(error).toMatchObject({ severity: 'critical', agent: 'agent-1' });
    expect(eventsOf(events, 'vote').length).toBeGreaterThanOrEqual(2);
    const recovery = eventsOf(events, 'recovery').find((r) => r.seq > error!.seq);
    expect(recovery).toMatchObject({ action: 'escalate', outcome: 'started' });
    const alert = eventsOf(events, 'alert').find((a) => a.seq > error!.seq);
    expect(alert?.level).toBe('critical');
    expect(alert!.message).toMatch(/consensus_deadlock on agent-1: .*paused; continue with `megatest continue`/);
    expect(statusWhilePaused).toBe('paused');
    expect(continued.code, continued.stderr).toBe(0);
    const names = eventsOf(events, 'command').map((c) => `${c.name}:${c.source}`);
    // megatest paused on its own account: source engine, never api.
    expect(names).toEqual(expect.arrayContaining(['pause:engine', 'continue:cli']));
    expect(names).not.toContain('pause:api');
    // The pause for a person ends when the session is continued.
    const ended = eventsOf(events, 'recovery').find((r) => r.action === 'escalate' && r.outcome !== 'started');
    expect(ended).toMatchObject({ outcome: 'succeeded', detail: 'the session was continued (cli)' });
    expect(results.deadlock!.code).toBe(130);
  });

  it('consensus deadlock in CI: nobody can continue a pause, so the session stops, failed, saying why', () => {
    const result = results.deadlockCi!;
    expect(result.code, result.stderr.slice(-2000)).toBe(1);
    const events = readEvents(dirs.deadlockCi);
    const error = eventsOf(events, 'error').find((e) => e.class === 'consensus_deadlock');
    expect(error).toBeDefined();
    const escalations = eventsOf(events, 'recovery').filter((r) => r.action === 'escalate').map((r) => r.outcome);
    expect(escalations).toEqual(['started', 'gave_up']);
    expect(eventsOf(events, 'command').filter((c) => c.name === 'pause')).toEqual([]);
    const alert = eventsOf(events, 'alert').find((a) => a.seq > error!.seq && a.level === 'critical');
    expect(alert!.message).toMatch(/consensus_deadlock on agent-1: .* — no person can continue a run in CI \(CI is set\): the session stops$/);
    expect(eventsOf(events, 'session_ended')).toEqual([expect.objectContaining({ status: 'failed', exit_code: 1 })]);
    expect(readReport(dirs.deadlockCi).reason).toMatch(/^consensus_deadlock on agent-1: .*; no person to continue it \(CI is set\)$/);
  });

  it('disk limit: pause and alert; no checkpoint is taken while over the limit', () => {
    const events = readEvents(dirs.disk);
    const limit = eventsOf(events, 'limit').find((l) => l.kind === 'disk');
    expect(limit?.action).toBe('pause');
    // 0.01 GB is 10.24 MB: below a GB the sizes read in MB, never "0.01 GB > 0.01 GB".
    const sizes = /run folder uses ([\d.]+) MB > 10\.2 MB \(limits\.disk_space_limit_gb = 0\.01\)/.exec(limit!.detail ?? '');
    expect(sizes, limit!.detail).not.toBeNull();
    expect(Number(sizes![1])).toBeGreaterThan(10.2);
    expect(eventsOf(events, 'error').some((e) => e.class === 'disk_full' && e.severity === 'critical')).toBe(true);
    expect(eventsOf(events, 'alert').some((a) => a.level === 'critical' && a.message.includes('disk'))).toBe(true);
    expect(checkpointRefused.code).toBe(1);
    expect(checkpointRefused.stderr).toMatch(/checkpoints are suspended while the disk limit is exceeded/);
    const firstDiskEvent = eventsOf(events, 'error').find((e) => e.class === 'disk_full')!.seq;
    const later = eventsOf(events, 'checkpoint_created').filter((c) => c.seq > Math.min(firstDiskEvent, limit!.seq));
    expect(later.map((c) => c.trigger).filter((t) => t !== 'final')).toEqual([]);
    expect(results.disk!.code).toBe(130);
  });

  it('total token budget: stop, final checkpoint, the reason in the report', () => {
    const result = results.budget!;
    expect(result.code, result.stderr).toBe(1);
    const events = readEvents(dirs.budget);
    const limit = eventsOf(events, 'limit').find((l) => l.kind === 'total_token_budget');
    expect(limit?.action).toBe('stop');
    expect(limit!.detail).toMatch(/^\d+ tokens >= 3000 \(limits\.total_token_budget\)$/);
    const final = eventsOf(events, 'checkpoint_created').at(-1);
    expect(final?.trigger).toBe('final');
    expect(final!.seq).toBeGreaterThan(limit!.seq);
    expect(eventsOf(events, 'session_ended').at(-1)).toMatchObject({ status: 'failed', exit_code: 1 });
    expect(readStatusWord(dirs.budget)).toBe('failed');
    const report = readReport(dirs.budget);
    expect(report.reason).toMatch(/^token budget exhausted: \d+ of 3000 tokens$/);
    expect(report.status).toBe('failed');
  });

  it('per-agent tokens per hour: the agent is throttled (paused until its window allows)', () => {
    const events = readEvents(dirs.throttle);
    const throttles = eventsOf(events, 'limit').filter((l) => l.kind === 'tokens_per_hour');
    expect(throttles.map((t) => t.agent).sort()).toEqual(['agent-1', 'agent-2']);
    for (const t of throttles) {
      expect(t.action).toBe('throttle');
      expect(t.detail).toMatch(/^\d+ tokens in the last hour >= 20000; waiting \d+ s$/);
      // after its throttle the agent spends nothing more
      const spentAfter = eventsOf(events, 'tokens').filter((e) => e.agent === t.agent && e.seq > t.seq + 20);
      expect(spentAfter).toEqual([]);
    }
  });

  it('context size near agent.max_context_size: compressed', () => {
    const events = readEvents(dirs.throttle);
    const limits = eventsOf(events, 'limit').filter((l) => l.kind === 'context_size');
    expect(limits.length).toBeGreaterThanOrEqual(1);
    expect(limits[0]!.action).toBe('compress');
    const compressions = eventsOf(events, 'compress');
    expect(compressions.length).toBeGreaterThanOrEqual(1);
    for (const c of compressions) expect(c.tokens_after).toBeLessThan(c.tokens_before);
  });
});
