// An error whose recovery holds the agent (a wait, the next model, a person)
// holds it as the agent reports it, not when the recovery queued behind the
// engine's other work gets to it: a CLI agent starts its next task the
// moment one fails, and under a rate limit that run met the same limit (or
// was frozen mid-request by the wait) and its failure counted as the wait's.
// The agent here is the real CLI adapter over the test agent; waits key on
// its messages.

import { afterAll, describe, expect, it } from 'vitest';
import type { AgentMessage } from '../../../src/agents/types.js';
import type { Classification } from '../../../src/engine/classify.js';
import { holdsTheAgent } from '../../../src/engine/recoveryChoice.js';
import { doneTasks, phase, runsOf, started } from '../../agents/cliTaskHarness.js';
import { removeTempDirs, waitFor } from '../../agents/helpers.js';
import { recoveryOver } from './recoveryHarness.js';

afterAll(removeTempDirs);

const of = (errorClass: string, action: Classification['action'], extra: Partial<Classification> = {}): Classification => ({
  class: errorClass,
  severity: 'transient',
  action,
  matched: 'built-in',
  ...extra,
});

describe('holdsTheAgent: the recoveries that hold the agent whatever happens first', () => {
  it('a wait, the next model and a pause for a person do; a retry, a note, a compression and a logged error do not', () => {
    expect([1, 2, 3].map((attempt) => holdsTheAgent(of('rate_limit', 'switch_model'), attempt))).toEqual([true, true, true]);
    expect(holdsTheAgent(of('rate_limit', 'switch_model', { limitLiftsAtMs: 1 }), 2)).toBe(true);
    expect(holdsTheAgent(of('llm_error', 'switch_model'), 1)).toBe(true);
    // A network timeout is retried at once 3 times, then waited for.
    expect([1, 2, 3, 4].map((attempt) => holdsTheAgent(of('network_timeout', 'retry_with_backoff'), attempt))).toEqual([false, false, false, true]);
    expect(holdsTheAgent(of('authentication', 'pause_and_alert'), 1)).toBe(true);
    expect(holdsTheAgent(of('consensus_deadlock', 'escalate'), 1)).toBe(true);
    for (const action of ['retry_immediate', 'retry_with_modification', 'compress_and_retry', 'log_and_continue', 'restore_checkpoint', 'stop'] as const) {
      expect(holdsTheAgent(of('custom', action), 1), action).toBe(false);
    }
  });
});

describe('Recovery.holdAtError', () => {
  it('pauses the agent in the same call for a rate limit or a refused login, not for a failed test or a first timeout', () => {
    const { recovery, slot, controls } = recoveryOver({ pendingRecovery: null, attempts: new Map() });
    recovery.holdAtError(slot, { message: 'task "a" failed (exit code 1): tests failed' });
    recovery.holdAtError(slot, { message: 'task "a" failed (exit code 1): ETIMEDOUT' });
    expect(controls).toEqual([]);
    recovery.holdAtError(slot, { message: 'task "a" failed (exit code 1): API Error: 429 rate limit exceeded' });
    expect(controls).toEqual(['pause']);
    recovery.holdAtError(slot, { message: 'task "a" failed (exit code 1): Invalid API key · Please run /login' });
    expect(controls).toEqual(['pause', 'pause']);
  });

  it('classifies the cause the adapter gave, and leaves a paused session’s agent to the continue', () => {
    const running = recoveryOver({ pendingRecovery: null, attempts: new Map() });
    running.recovery.holdAtError(running.slot, { message: 'task "Handle a 429 rate limit reply" failed (exit code 1)', cause: 'tests failed' });
    expect(running.controls).toEqual([]);
    const paused = recoveryOver({ pendingRecovery: null, attempts: new Map() }, { status: 'paused' });
    paused.recovery.holdAtError(paused.slot, { message: 'task "a" failed (exit code 1): API Error: 429 rate limit exceeded' });
    expect(paused.controls).toEqual([]);
  });
});

describe('a CLI agent whose task fails on a rate limit', () => {
  it('starts no other task until the recovery resumes it; then runs the failed one again', async () => {
    const { recovery, slot } = recoveryOver({ pendingRecovery: null, attempts: new Map() });
    const { adapter, recorder, launch } = await started({
      onMessage: (message: AgentMessage) => {
        if (message.type === 'error') recovery.holdAtError(slot, message);
      },
    });
    (slot as { adapter: unknown }).adapter = adapter;
    adapter.assign(phase(['limit-x', 'ok-y']));
    await waitFor(() => recorder.of('error').length === 1, 'the rate limit');
    // What the adapter said in the same call as its error: it waits, and no run of ok-y began.
    const after = recorder.messages.slice(recorder.messages.findIndex((m) => m.type === 'error') + 1);
    expect(after).toEqual([{ type: 'state', status: 'waiting' }]);
    expect(adapter.pid).toBeUndefined();
    expect(runsOf(launch).map((r) => r.task)).toEqual(['limit-x']);
    // The wait over, the failed task runs again (and meets the limit again: held again).
    adapter.control('resume');
    await waitFor(() => recorder.of('error').length === 2, 'the retry to meet the limit again');
    expect(runsOf(launch).map((r) => r.task)).toEqual(['limit-x', 'limit-x']);
    expect(recorder.messages.at(-1)).toEqual({ type: 'state', status: 'waiting' });
    expect(doneTasks(recorder)).toEqual([]);
  });

  it('a failure the recovery only logs leaves it to go on with its next task at once, as before', async () => {
    const { recovery, slot } = recoveryOver({ pendingRecovery: null, attempts: new Map() });
    const { adapter, recorder } = await started({
      onMessage: (message: AgentMessage) => {
        if (message.type === 'error') recovery.holdAtError(slot, message);
      },
    });
    (slot as { adapter: unknown }).adapter = adapter;
    adapter.assign(phase(['fail-x', 'ok-y']));
    await waitFor(() => doneTasks(recorder).includes('ok-y'), 'the next task done');
    const after = recorder.messages.slice(recorder.messages.findIndex((m) => m.type === 'error') + 1);
    expect(after[0]).toEqual({ type: 'state', status: 'working', task: 'ok-y' });
  });
});
