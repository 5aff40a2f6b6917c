// A recovery in wait (a restore, a restart) ends when its agent makes
// progress, or fails when an error the agent fails on comes first. An error
// that is only logged (silent but working, a failed test run) leaves it
// waiting: a restarted agent starting slowly on a loaded machine is not the
// crash coming back.

import { describe, expect, it } from 'vitest';
import type { EventInput } from '../../../src/contract/events.js';
import type { AgentPool, AgentSlot } from '../../../src/engine/agentPool.js';
import type { CheckpointKeeper } from '../../../src/engine/checkpointKeeper.js';
import { WATCHDOG_CLASSES, type Classification } from '../../../src/engine/classify.js';
import type { EngineContext } from '../../../src/engine/context.js';
import { Recovery } from '../../../src/engine/recovery.js';

function recoveryWaitingOnACrash() {
  const events: EventInput[] = [];
  const stops: unknown[] = [];
  const slot = {
    name: 'agent-2',
    pendingRecovery: { class: 'agent_crash', action: 'restore_checkpoint', attempt: 1 },
    attempts: new Map([['agent_crash', 1]]),
  } as unknown as AgentSlot;
  const ctx = {
    config: { error_handling: { max_recovery_attempts: 3, max_consecutive_errors: 10, rules: [] } },
    emit: (event: EventInput) => events.push(event),
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    state: { openRecoveries: [] },
    stopRequest: null,
    restoreGeneration: 1,
    requestStop: (request: unknown) => stops.push(request),
  } as unknown as EngineContext;
  const pool = { slots: [slot], find: (name: string) => (name === slot.name ? slot : undefined) } as unknown as AgentPool;
  const recovery = new Recovery(ctx, pool, {} as CheckpointKeeper, { pauseForPerson: async () => undefined, compress: async () => undefined });
  const outcomes = () => events.flatMap((e) => (e.type === 'recovery' ? [`${e.action} ${e.outcome}`] : []));
  return { recovery, slot, outcomes, stops };
}

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
    expect(outcomes()).toEqual(['log_and_continue succeeded', 'log_and_continue succeeded', 'restore_checkpoint succeeded']);
    expect(slot.pendingRecovery).toBeNull();
  });

  it('is failed by an error the agent fails on, before that error is handled', async () => {
    const { recovery, slot, outcomes, stops } = recoveryWaitingOnACrash();
    await recovery.handle(slot, corruption, 'checksum mismatch');
    expect(outcomes()).toEqual(['restore_checkpoint failed', 'stop started', 'stop succeeded']);
    expect(stops).toHaveLength(1);
  });
});
