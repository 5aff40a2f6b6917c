// [agent] concurrent_agents below [session] agent_count: only that many
// agents are made, for the whole session, and the limit event says so in
// those words (it read "3 agents asked for, 2 run at once", as if the third
// waited for a turn; it never runs).

import { describe, expect, it } from 'vitest';
import type { EventInput } from '../../src/contract/events.js';
import { AgentPool } from '../../src/engine/agentPool.js';
import type { EngineContext } from '../../src/engine/context.js';

function poolFor(agents: number, cap: number) {
  const events: EventInput[] = [];
  const ctx = {
    config: {
      session: { agents },
      limits: { max_parallel_agents: cap },
      agent: { roles: ['developer'], max_context_size: 200_000, model: 'm' },
      agents: { models: ['m'] },
    },
    emit: (event: EventInput) => events.push(event),
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
  } as unknown as EngineContext;
  const pool = new AgentPool(ctx, { onProgress: () => undefined, onError: () => undefined } as never);
  pool.createSlots();
  return { pool, events };
}

describe('agents capped by [agent] concurrent_agents', () => {
  it('makes only the capped number, and says the others are not run', () => {
    const { pool, events } = poolFor(3, 2);
    expect(pool.slots.map((slot) => slot.name)).toEqual(['agent-1', 'agent-2']);
    expect(events).toEqual([
      { type: 'limit', kind: 'parallel_agents', action: 'capped', detail: 'only 2 of the 3 agents asked for are run ([agent] concurrent_agents = 2)' },
    ]);
  });

  it('says nothing when every agent asked for runs', () => {
    const { pool, events } = poolFor(3, 8);
    expect(pool.slots).toHaveLength(3);
    expect(events).toEqual([]);
  });
});
