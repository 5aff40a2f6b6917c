// A recovery in wait (a restore, a restart) ends when its agent makes
// progress, or fails when an error the agent fails on comes first. An error
// that is only logged (silent but working, a failed test run) leaves it
// waiting: a restarted agent starting slowly on a loaded machine is not the
// crash coming back.

import { describe, expect, it } from 'vitest';
import { WATCHDOG_CLASSES, type Classification } from '../../../src/engine/classify.js';
import { recoveryOver } from './recoveryHarness.js';

const recoveryWaitingOnACrash = () =>
  recoveryOver({ pendingRecovery: { class: 'agent_crash', action: 'restore_checkpoint', attempt: 1 }, attempts: new Map([['agent_crash', 1]]) });

const silent: Classification = { ...WATCHDOG_CLASSES.agent_silent, matched: 'watchdog' };
const testsFailed: Classification = { class: 'test_failure', severity: 'degraded', action: 'log_and_continue', matched: 'built-in' };
const corruption: Classification = { class: 'data_corruption', severity: 'fatal', action: 'stop', matched: 'built-in' };

describe('Recovery: a recovery in wait', () => {
  it('is not failed by a silent-but-working report or a failed test run; it succeeds at the next progress', async () => {
    const { recovery, slot, outcomes } = recoveryWaitingOnACrash();
    await recovery.handle(slot, silent, 'silent for 6 s but using CPU');
    await recovery.handle(slot, testsFailed, '2 tests failed');
    expect(slot.pendingRecovery).toMatchObject({ class: 'agent_crash', action: 'restore_checkpoint' });
    recovery.onProgress(slot);
    // The logged errors are no recoveries of their own (no event): only the restore's outcome.
    expect(outcomes()).toEqual(['restore_checkpoint succeeded']);
    expect(slot.pendingRecovery).toBeNull();
  });

  it('is failed by an error the agent fails on, before that error is handled', async () => {
    const { recovery, slot, outcomes, stops } = recoveryWaitingOnACrash();
    await recovery.handle(slot, corruption, 'checksum mismatch');
    expect(outcomes()).toEqual(['restore_checkpoint failed', 'stop started', 'stop succeeded']);
    expect(stops).toHaveLength(1);
  });
});

describe('Recovery: an error that is only logged', () => {
  it('is no recovery, and does not count towards max_consecutive_errors', async () => {
    // Seen: max_consecutive_errors = 2 and three "3 tests failed" paused the session ("3 errors in a row"), and each
    // failed test run counted as a recovery that succeeded (metrics recoveries 2, the report "2 succeeded").
    const { recovery, slot, outcomes, pauses, events } = recoveryOver({ pendingRecovery: null, attempts: new Map() }, { maxConsecutiveErrors: 2 });
    for (let i = 0; i < 5; i++) await recovery.handle(slot, testsFailed, '3 tests failed');
    expect(outcomes()).toEqual([]);
    expect(pauses).toEqual([]);
    expect(events.filter((e) => e.type === 'error')).toHaveLength(5);
    // Nor do they keep a run of real errors going: two network errors then a third pass the limit only as three.
    const timeout: Classification = { class: 'network_timeout', severity: 'transient', action: 'retry_with_backoff', matched: 'built-in' };
    await recovery.handle(slot, timeout, 'ETIMEDOUT');
    await recovery.handle(slot, testsFailed, '3 tests failed');
    await recovery.handle(slot, timeout, 'ETIMEDOUT');
    expect(pauses).toEqual([]);
    await recovery.handle(slot, timeout, 'ETIMEDOUT');
    expect(pauses.map(([why]) => why)).toEqual(['recovery gave up: 3 errors in a row (error_handling.max_consecutive_errors)']);
  });
});

describe('Recovery: how long a restore is counted', () => {
  // A command agent that crashed after the first step of each task restored
  // the checkpoint ten times in 21 s, attempt 1 each time: a step reset the
  // count, so max_recovery_attempts was never reached, and every restore
  // rolled back the other agents' work too.
  const crash: Classification = { ...WATCHDOG_CLASSES.agent_crash, matched: 'watchdog' };

  const crashingAgent = () => recoveryOver({ pendingRecovery: null, attempts: new Map<string, number>() });

  it('a crash after each first step: attempts 1, 2, 3, then it gives up and pauses for a person', async () => {
    const { recovery, slot, recoveries, pauses, restarts } = crashingAgent();
    for (let crashes = 0; crashes < 4; crashes++) {
      await recovery.handle(slot, crash, 'agent process exited with code 3');
      recovery.onProgress(slot, 'step');
    }
    expect(recoveries()).toEqual([
      'restore_checkpoint #1 started',
      'restore_checkpoint #1 succeeded',
      'restore_checkpoint #2 started',
      'restore_checkpoint #2 succeeded',
      'restore_checkpoint #3 started',
      'restore_checkpoint #3 succeeded',
      'pause_and_alert #4 gave_up',
    ]);
    expect(restarts).toHaveLength(3);
    expect(pauses).toEqual([['recovery gave up: agent-2: agent_crash persisted through 3 recovery attempts (checkpoint.max_recovery_attempts)', undefined]]);
  });

  it('a finished task between two crashes starts the count again', async () => {
    const { recovery, slot, recoveries, pauses } = crashingAgent();
    for (let crashes = 0; crashes < 5; crashes++) {
      await recovery.handle(slot, crash, 'agent process exited with code 3');
      recovery.onProgress(slot, 'step');
      recovery.onProgress(slot, 'task done');
    }
    expect(recoveries().filter((r) => r.endsWith('started'))).toEqual(Array.from({ length: 5 }, () => 'restore_checkpoint #1 started'));
    expect(pauses).toEqual([]);
  });

  it('other actions start again at the next step, as before', async () => {
    const { recovery, slot, recoveries } = crashingAgent();
    const timeout: Classification = { class: 'network_timeout', severity: 'transient', action: 'retry_immediate', matched: 'built-in' };
    for (let timeouts = 0; timeouts < 4; timeouts++) {
      await recovery.handle(slot, timeout, 'ETIMEDOUT');
      recovery.onProgress(slot, 'step');
    }
    expect(recoveries().filter((r) => r.endsWith('started'))).toEqual(Array.from({ length: 4 }, () => 'retry_immediate #1 started'));
    expect(slot.attempts.has('network_timeout')).toBe(false);
  });
});

describe('Recovery: a pause for a person in CI', () => {
  const unattended = () => recoveryOver({ pendingRecovery: null, attempts: new Map<string, number>() }, { unattended: true });

  it('a deadlock waits for a person: nobody will come, so the recovery gives up (the surface stops the session)', async () => {
    const { recovery, slot, pauses, outcomes } = unattended();
    await recovery.handle(slot, { class: 'consensus_deadlock', severity: 'critical', action: 'escalate', matched: 'built-in' }, 'no quorum');
    expect(pauses).toEqual([['consensus_deadlock on agent-2: no quorum', 'a person continues']]);
    expect(outcomes()).toEqual(['escalate started', 'escalate gave_up']);
  });

  it('a write the disk refused still pauses: the disk guard lifts it once the disk takes writes', async () => {
    const { recovery, slot, pauses, outcomes } = unattended();
    await recovery.handle(slot, { class: 'disk_full', severity: 'critical', action: 'pause_and_alert', matched: 'built-in' }, 'ENOSPC: no space left on device, write');
    expect(pauses).toEqual([['disk_full on agent-2: ENOSPC: no space left on device, write', 'the disk takes writes']]);
    expect(outcomes()).toEqual(['pause_and_alert started']);
  });
});
