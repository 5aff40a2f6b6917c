// Each fault class of [sim.faults] recovers as the recovery table says
// (docs/recovery.md), end to end: short headless sim sessions, asserted on
// events.jsonl. The three sessions run side by side; each is stopped with
// SIGTERM once what it shows has happened. Every fault keys on an event (a
// tool call, a phase), never on the clock, so a loaded machine cannot
// reorder them.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MegatestEvent } from '../../../src/contract/events.js';
import {
  BUILT,
  eventsOf,
  readEvents,
  removeDir,
  runCli,
  runHeadless,
  sessionArgs,
  tempRunsDir,
  type CliResult,
  waitForEventWhileRunning,
} from '../../helpers/cli.js';

function recoveries(events: MegatestEvent[], agent: string) {
  return eventsOf(events, 'recovery').filter((r) => r.agent === agent);
}

describe.skipIf(!BUILT)('fault classes recover as the table says (needs npm run build)', () => {
  const runsDir = tempRunsDir();
  const transientDir = path.join(runsDir, 'transient');
  const crashDir = path.join(runsDir, 'crash');
  const hangDir = path.join(runsDir, 'hang');
  let transient: CliResult;
  let crash: CliResult;
  let hangResult: CliResult;
  let restoreRefused: CliResult;
  let forcedCheckpoint: CliResult;
  let resumeRefused: CliResult;

  beforeAll(async () => {
    // 120 s: the story ends 13-20 s in on a quiet machine; a loaded one must not reach the time limit (exit 124) before the SIGTERM below.
    const transientRun = runHeadless(sessionArgs(runsDir, 'transient', 'transient.toml', ['--duration', '120s']), { timeoutMs: 240_000 });
    // 240 s with quick sims (crash.toml): the crash story starts with refinement, after two phase-end gates, and ends long before the time limit on a loaded machine.
    const crashRun = runHeadless(sessionArgs(runsDir, 'crash', 'crash.toml', ['--duration', '240s']), { timeoutMs: 290_000 });
    // 120 s with quick sims (hang.toml): the hang and its recovery happen long before the end even on a loaded machine.
    const hangRun = runHeadless(sessionArgs(runsDir, 'hang', 'hang.toml', ['--duration', '120s']), { timeoutMs: 240_000 });

    const transientDone = (async () => {
      // The parse failure (in development) is the last fault; its recovery settles the story.
      await waitForEventWhileRunning(transientRun, transientDir, 'recovery', (r) => r.action === 'retry_with_modification' && r.outcome !== 'started', 200_000);
      transientRun.child.kill('SIGTERM');
      transient = await transientRun.done;
    })();

    const crashDone = (async () => {
      await waitForEventWhileRunning(crashRun, crashDir, 'alert', (a) => a.message.includes('[SIMULATED fault] corrupt_checkpoint'), 80_000);
      restoreRefused = await runCli(['restore', crashDir, '--checkpoint', 'checkpoint_002']);
      await waitForEventWhileRunning(crashRun, crashDir, 'checkpoint_restored', (r) => (r.reason ?? '').includes('agent_crash'), 40_000);
      // A checkpoint forced after the recovery is a valid one again.
      forcedCheckpoint = await runCli(['checkpoint', crashDir]);
      // The restore ends when agent-2 next makes progress (however slowly a loaded machine restarts it).
      await waitForEventWhileRunning(crashRun, crashDir, 'recovery', (r) => r.agent === 'agent-2' && r.action === 'restore_checkpoint' && r.outcome !== 'started', 60_000);
      crashRun.child.kill('SIGTERM');
      crash = await crashRun.done;
      resumeRefused = await runCli(['resume', crashDir, '--checkpoint', 'checkpoint_002', '--headless']);
    })();

    const hangDone = (async () => {
      await waitForEventWhileRunning(hangRun, hangDir, 'error', (e) => e.class === 'agent_hang', 180_000);
      await waitForEventWhileRunning(hangRun, hangDir, 'checkpoint_restored', (r) => (r.reason ?? '').includes('agent_hang'), 60_000);
      // The restarted agent-1 works again: it does not replay the hang.
      const restored = eventsOf(readEvents(hangDir), 'checkpoint_restored').find((r) => (r.reason ?? '').includes('agent_hang'))!;
      await waitForEventWhileRunning(hangRun, hangDir, 'tool_call', (t) => t.agent === 'agent-1' && t.seq > restored.seq, 60_000);
      hangRun.child.kill('SIGTERM');
      hangResult = await hangRun.done;
    })();

    try {
      await Promise.all([transientDone, crashDone, hangDone]);
    } finally {
      transientRun.child.kill('SIGKILL');
      crashRun.child.kill('SIGKILL');
      hangRun.child.kill('SIGKILL');
    }
  }, 300_000);

  afterAll(() => removeDir(runsDir));

  it('network timeout: retried immediately 3 times, then with backoff', () => {
    const events = readEvents(transientDir);
    const errors = eventsOf(events, 'error').filter((e) => e.agent === 'agent-1' && e.class === 'network_timeout');
    expect(errors.length).toBe(4);
    expect(errors.every((e) => e.severity === 'transient')).toBe(true);
    const started = recoveries(events, 'agent-1').filter((r) => r.outcome === 'started' && r.detail?.startsWith('network_timeout'));
    expect(started.map((r) => [r.action, r.attempt])).toEqual([
      ['retry_immediate', 1],
      ['retry_immediate', 2],
      ['retry_immediate', 3],
      ['retry_with_backoff', 4],
    ]);
    // The first wait is backoff_initial_seconds (0.2 s here), counted from the first backoff, not from the attempt (it was 8 x).
    expect(started[3]!.detail).toMatch(/waiting 0\.2 s \(exponential backoff\)/);
    // each attempt has its outcome: the first three failed (the error came back), the backoff succeeded
    const outcomes = recoveries(events, 'agent-1').filter((r) => r.outcome !== 'started' && r.attempt <= 4 && r.action.startsWith('retry_') && r.action !== 'retry_with_modification');
    expect(outcomes.map((r) => r.outcome)).toEqual(['failed', 'failed', 'failed', 'succeeded']);
    // artifacts of each failed attempt are kept
    const attempts = readdirSync(path.join(transientDir, 'agents', 'agent-1', 'attempts')).filter((d) => d.includes('network_timeout'));
    expect(attempts).toHaveLength(4);
    for (const dir of attempts) {
      const files = readdirSync(path.join(transientDir, 'agents', 'agent-1', 'attempts', dir));
      expect(files).toEqual(expect.arrayContaining(['error.txt', 'project.diff']));
    }
  });

  it('rate limit: waits (backoff), then switches to the next model in [agents].models', () => {
    const events = readEvents(transientDir);
    expect(eventsOf(events, 'error').filter((e) => e.agent === 'agent-2' && e.class === 'rate_limit')).toHaveLength(2);
    const started = recoveries(events, 'agent-2').filter((r) => r.outcome === 'started');
    expect(started.map((r) => r.action)).toEqual(['retry_with_backoff', 'switch_model']);
    expect(started[1]!.detail).toBe('rate_limit: switching model claude-sonnet-4-5 -> claude-haiku-4-5');
    const restarted = eventsOf(events, 'agent_started').filter((a) => a.agent === 'agent-2');
    expect(restarted.at(-1)!.model).toBe('claude-haiku-4-5');
    expect(recoveries(events, 'agent-2').some((r) => r.action === 'switch_model' && r.outcome === 'succeeded')).toBe(true);
    // the agent goes on with the new model
    const lastTokens = eventsOf(events, 'tokens').filter((t) => t.agent === 'agent-2').at(-1);
    expect(lastTokens?.model).toBe('claude-haiku-4-5');
  });

  it('parse failure: retried with a modified prompt', () => {
    const events = readEvents(transientDir);
    const error = eventsOf(events, 'error').find((e) => e.class === 'parse_failure');
    expect(error).toMatchObject({ agent: 'agent-1', severity: 'recoverable' });
    const recovery = recoveries(events, 'agent-1').filter((r) => r.action === 'retry_with_modification');
    expect(recovery.map((r) => r.outcome)).toEqual(['started', 'succeeded']);
    // The modified prompt reached the agent: the sim echoes the note it was given.
    const output = readFileSync(path.join(transientDir, 'agents', 'agent-1', 'output.log'), 'utf8');
    expect(output).toMatch(/step note from megatest: Your last step failed \(parse_failure/);
    // The failed attempt's artifacts are kept.
    const attempts = readdirSync(path.join(transientDir, 'agents', 'agent-1', 'attempts'));
    const parseAttempt = attempts.find((name) => name.includes('parse_failure'));
    expect(parseAttempt).toBeDefined();
    for (const file of ['error.txt', 'output.tail.log', 'project.diff']) {
      expect(existsSync(path.join(transientDir, 'agents', 'agent-1', 'attempts', parseAttempt!, file)), file).toBe(true);
    }
  });

  it('SIGTERM: final checkpoint, status interrupted, exit 130', () => {
    expect(transient.code, transient.stderr).toBe(130);
    const events = readEvents(transientDir);
    const stop = eventsOf(events, 'command').find((c) => c.name === 'stop' && c.source === 'signal');
    expect(stop?.detail).toBe('SIGTERM');
    const final = eventsOf(events, 'checkpoint_created').at(-1);
    expect(final?.trigger).toBe('final');
    expect(final!.seq).toBeGreaterThan(stop!.seq);
    expect(eventsOf(events, 'session_ended').at(-1)).toMatchObject({ status: 'interrupted', exit_code: 130 });
    expect(readFileSync(path.join(transientDir, 'status'), 'utf8').trim()).toBe('interrupted');
  });

  it('corrupted checkpoint: injected and labelled SIMULATED; a named restore is refused with a clear message', () => {
    const log = readFileSync(path.join(crashDir, 'session.log'), 'utf8');
    expect(log).toMatch(/SIMULATED fault corrupt_checkpoint \(sim\.faults, in refinement\): altered checkpoint_002\.json so its checksum fails/);
    const corrupted = eventsOf(readEvents(crashDir), 'alert').find((a) => a.message.includes('[SIMULATED fault] corrupt_checkpoint'));
    const developmentEnd = eventsOf(readEvents(crashDir), 'checkpoint_created').find((c) => c.id === 'checkpoint_002');
    expect(developmentEnd?.trigger).toBe('phase');
    expect(corrupted!.seq).toBeGreaterThan(developmentEnd!.seq);
    expect(restoreRefused.code).not.toBe(0);
    expect(restoreRefused.stdout + restoreRefused.stderr).toMatch(/checksum mismatch/);
    expect(log).toMatch(/restore of checkpoint_002 refused: .*checksum mismatch/);
  });

  it('agent crash: the last valid checkpoint is restored (the corrupted one skipped, saying so) and the agents restarted', () => {
    const events = readEvents(crashDir);
    const crashError = eventsOf(events, 'error').find((e) => e.class === 'agent_crash');
    expect(crashError).toMatchObject({ agent: 'agent-2', severity: 'recoverable' });
    // With what the agent said on stderr: the sim's panic line, not the backtrace note after it.
    expect(crashError!.message).toMatch(/^agent process exited with code 101; stderr: thread 'agent-2' panicked at 'injected agent_crash fault \(simulation\)', src\/agent\/loop\.rs:\d+:\d+$/);
    const exited = eventsOf(events, 'agent_exited').find((e) => e.agent === 'agent-2' && e.code === 101);
    expect(exited?.cause).toBe('exited with code 101');
    const skipped = eventsOf(events, 'alert').find((a) => a.message.startsWith('checkpoint checkpoint_002 is invalid'));
    expect(skipped?.message).toMatch(/checksum mismatch.*falling back to the one before/);
    const restored = eventsOf(events, 'checkpoint_restored').find((r) => (r.reason ?? '').includes('agent_crash'));
    expect(restored?.id).toBe('checkpoint_001');
    expect(restored!.seq).toBeGreaterThan(skipped!.seq);
    expect(readFileSync(path.join(crashDir, 'session.log'), 'utf8')).toMatch(/checkpoint_002 skipped: checksum mismatch.*falling back to the one before/);
    const after = eventsOf(events, 'agent_started').filter((a) => a.seq > restored!.seq).slice(0, 2).map((a) => a.agent);
    expect(after.sort()).toEqual(['agent-1', 'agent-2']);
    expect(recoveries(events, 'agent-2').some((r) => r.action === 'restore_checkpoint' && r.outcome === 'succeeded')).toBe(true);
    expect(existsSync(path.join(crashDir, 'agents', 'agent-2', 'attempts'))).toBe(true);
    // The restarted agent-2 did not replay the crash, and a checkpoint can be forced again.
    expect(eventsOf(events, 'agent_exited').filter((e) => e.agent === 'agent-2' && e.code === 101)).toHaveLength(1);
    expect(forcedCheckpoint.code, forcedCheckpoint.stderr).toBe(0);
  });

  it('hang: found by the watchdog (no output, no CPU), the agent stopped and the checkpoint restored', () => {
    const events = readEvents(hangDir);
    const hang = eventsOf(events, 'error').find((e) => e.class === 'agent_hang');
    expect(hang?.agent).toBe('agent-1');
    expect(hang!.message).toMatch(/^hung: no output and no CPU .* for \d+ s \(agent\.step_timeout_secs\)$/);
    // A hang is found even when it first looks busy: on a loaded machine the hung process's
    // last CPU (run late, after its last line) can make it "silent but working" once; it is
    // watched on, and hung once a whole step passes without CPU. (Before the development
    // phase, a loaded machine may rightly find agent-1 silent: a node process starting.)
    const hangsFrom = eventsOf(events, 'phase_started').find((p) => p.phase === 'development')!;
    const silentInHang = eventsOf(events, 'error').filter((e) => e.class === 'agent_silent' && e.agent === 'agent-1' && e.seq > hangsFrom.seq && e.seq < hang!.seq);
    expect(silentInHang.length).toBeLessThanOrEqual(1);
    const recovery = recoveries(events, 'agent-1').find((r) => r.action === 'restore_checkpoint' && r.seq > hang!.seq);
    expect(recovery?.outcome).toBe('started');
    const restored = eventsOf(events, 'checkpoint_restored').find((r) => r.seq > hang!.seq);
    expect(restored).toBeDefined();
    // Only one hang: the restarted agent-1 went back to work.
    expect(eventsOf(events, 'error').filter((e) => e.class === 'agent_hang')).toHaveLength(1);
    expect(readFileSync(path.join(hangDir, 'agents', 'agent-1', 'output.log'), 'utf8')).toMatch(/SIMULATED fault hang \(in development\)/);
    expect(hangResult.code).toBe(130);
    expect(crash.code).toBe(130);
  });

  it('resume --checkpoint of a corrupted checkpoint is refused before anything changes, exit 1 (damage, as restore says it)', () => {
    expect(resumeRefused.code).toBe(1);
    expect(resumeRefused.stderr).toMatch(/megatest resume --checkpoint checkpoint_002: refused: checkpoint checkpoint_002 cannot be used: checksum mismatch/);
    expect(readFileSync(path.join(crashDir, 'status'), 'utf8').trim()).toBe('interrupted');
    expect(eventsOf(readEvents(crashDir), 'command').filter((c) => c.name === 'resume')).toHaveLength(0);
  });

  it('keeps events.jsonl contiguous through the recoveries', () => {
    for (const dir of [transientDir, crashDir, hangDir]) {
      const events = readEvents(dir);
      events.forEach((event, index) => expect(event.seq).toBe(index + 1));
    }
  });
});
