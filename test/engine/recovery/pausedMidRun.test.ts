// A task run frozen by a pause that fails after the continue may have failed
// on what the person fixed before continuing (claude checked its login, then
// was stopped). Such a failure of a class that asks a person runs the task
// again first; a run begun since then that fails the same way asks again.

import { describe, expect, it } from 'vitest';
import { recoveryOver } from './recoveryHarness.js';

const fresh = () => ({ pendingRecovery: null, attempts: new Map<string, number>() });
const notLoggedIn = 'task "Define the Job types" failed (exit code 1): Invalid API key · Please run /login';

describe('Recovery: a failure of a run that was under way at the pause', () => {
  it('runs the task again instead of pausing the session the person has just continued', async () => {
    const { recovery, slot, recoveries, events, pauses, controls } = recoveryOver(fresh());
    await recovery.onAgentError(slot, { message: notLoggedIn, pausedMidRun: true });
    expect(pauses).toEqual([]);
    expect(controls).toEqual(['resume']);
    expect(recoveries()).toEqual(['retry_immediate #1 started']);
    const started = events.find((e) => e.type === 'recovery');
    expect(started).toMatchObject({ agent: 'agent-2', detail: expect.stringMatching(/^authentication: its run was under way at the pause and failed after the continue/) });
    // The error itself is recorded as any other.
    expect(events.find((e) => e.type === 'error')).toMatchObject({ class: 'authentication', severity: 'critical', agent: 'agent-2' });
    expect(slot.pendingRecovery).toMatchObject({ class: 'authentication', action: 'retry_immediate', attempt: 1 });

    // The run again fails the same way: it began after the continue, so a person is asked.
    await recovery.onAgentError(slot, { message: notLoggedIn });
    expect(pauses).toHaveLength(1);
    expect(pauses[0]![0]).toMatch(/^authentication on agent-2: /);
    expect(recoveries()).toEqual(['retry_immediate #1 started', 'retry_immediate #1 failed', 'pause_and_alert #2 started']);
  });

  it('a run begun after the continue that fails asks a person at once', async () => {
    const { recovery, slot, recoveries, pauses, controls } = recoveryOver(fresh());
    await recovery.onAgentError(slot, { message: notLoggedIn });
    expect(pauses).toHaveLength(1);
    expect(controls).toEqual([]);
    expect(recoveries()).toEqual(['pause_and_alert #1 started']);
  });

  it('while the session is paused again (another agent asked meanwhile) it joins that pause, and the continue runs it again', async () => {
    const { recovery, slot, recoveries, pauses, controls } = recoveryOver(fresh(), { status: 'paused' });
    await recovery.onAgentError(slot, { message: notLoggedIn, pausedMidRun: true });
    expect(pauses).toHaveLength(1);
    expect(controls).toEqual([]);
    expect(recoveries()).toEqual(['pause_and_alert #1 started']);
  });

  it('changes nothing for a class that does not ask a person', async () => {
    const said = 'task "x" failed (exit code 1): connection reset by peer';
    const paused = recoveryOver(fresh());
    const plain = recoveryOver(fresh());
    await paused.recovery.onAgentError(paused.slot, { message: said, pausedMidRun: true });
    await plain.recovery.onAgentError(plain.slot, { message: said });
    expect(paused.pauses).toEqual([]);
    const recoveryEvents = (events: typeof paused.events) => events.filter((e) => e.type === 'recovery');
    expect(recoveryEvents(paused.events)).toHaveLength(1);
    expect(recoveryEvents(paused.events)).toEqual(recoveryEvents(plain.events));
  });
});
