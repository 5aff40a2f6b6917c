// A merge conflict's reassignment of several tasks is one recovery: one
// `started`, and one `succeeded` once every one of its tasks is on main (the
// report said "reassign: 1 started, 2 succeeded" for two tasks).

import { describe, expect, it } from 'vitest';
import type { EventInput } from '../../../src/contract/events.js';
import type { AgentPool, AgentSlot } from '../../../src/engine/agentPool.js';
import type { CheckpointKeeper } from '../../../src/engine/checkpointKeeper.js';
import { MERGE_CONFLICT } from '../../../src/engine/classify.js';
import type { EngineContext } from '../../../src/engine/context.js';
import { Recovery } from '../../../src/engine/recovery.js';

function setUp() {
  const events: EventInput[] = [];
  const slot = (name: string) => ({ name, adapter: { control: () => undefined }, attempts: new Map<string, number>(), pendingRecovery: null }) as unknown as AgentSlot;
  const [one, two] = [slot('agent-1'), slot('agent-2')];
  const ctx = {
    status: 'running',
    // One resolve attempt allowed: the first conflict is reassigned at once.
    config: { error_handling: { max_recovery_attempts: 1, max_consecutive_errors: 10, rules: [] } },
    emit: (event: EventInput) => events.push(event),
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    state: { openRecoveries: [] },
    stopRequest: null,
    restoreGeneration: 1,
  } as unknown as EngineContext;
  const pool = { slots: [one, two], find: () => undefined } as unknown as AgentPool;
  const recovery = new Recovery(ctx, pool, {} as CheckpointKeeper, {
    pauseForPerson: async () => undefined,
    compress: async () => undefined,
    conflicts: {
      handOver: async () => null,
      reassign: async () => ({ target: 'agent-2', tasks: ['t4', 't5'], detail: 'merge_conflict: "t4", "t5" reassigned from agent-1 to agent-2' }),
      retryFailedMerges: () => undefined,
    },
  });
  const outcomes = () => events.flatMap((e) => (e.type === 'recovery' ? [`${e.action} #${e.attempt} ${e.outcome}${e.detail ? `: ${e.detail}` : ''}`] : []));
  return { recovery, one, two, outcomes };
}

describe('a reassignment after a merge conflict', () => {
  it('of two tasks succeeds once, when the second of them lands on main', async () => {
    const { recovery, one, two, outcomes } = setUp();
    await recovery.handle(one, { ...MERGE_CONFLICT, matched: 'merger' }, 'merging megatest/agent-1 into main conflicts in shared.txt');
    expect(outcomes()).toEqual(['reassign #1 started: merge_conflict: "t4", "t5" reassigned from agent-1 to agent-2']);
    recovery.mergeLanded(two, ['t4']);
    expect(outcomes()).toHaveLength(1);
    recovery.mergeLanded(two, ['t5']);
    expect(outcomes()).toEqual([
      'reassign #1 started: merge_conflict: "t4", "t5" reassigned from agent-1 to agent-2',
      'reassign #1 succeeded: "t4", "t5" merged into main by agent-2',
    ]);
  });

  it('of two tasks landing in one merge succeeds once', async () => {
    const { recovery, one, two, outcomes } = setUp();
    await recovery.handle(one, { ...MERGE_CONFLICT, matched: 'merger' }, 'merging megatest/agent-1 into main conflicts in shared.txt');
    recovery.mergeLanded(two, ['t4', 't5']);
    expect(outcomes().filter((o) => o.includes('succeeded'))).toEqual(['reassign #1 succeeded: "t4", "t5" merged into main by agent-2']);
  });
});
