// What a compression records: the limit's detail says the mark it passed
// (90% of the limit: "950 > 1000 tokens" was said of a context under the
// limit), and the compress event's tokens_after is the agent's first context
// report after the command, or null (not measured) when it made none: the
// stale 950 it had reported before was recorded as the "after". Fake timers.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventInput } from '../../src/contract/events.js';
import type { AgentPool, AgentSlot } from '../../src/engine/agentPool.js';
import { Compressor } from '../../src/engine/compressor.js';
import type { EngineContext } from '../../src/engine/context.js';

function setup() {
  const events: EventInput[] = [];
  const ctx = { config: { agent: { max_context_size: 1000 } }, emit: (event: EventInput) => (events.push(event), event) } as unknown as EngineContext;
  const slot = {
    name: 'agent-1',
    contextTokens: 950,
    contextReports: 3,
    adapter: { control: () => ({ ok: true }) },
  } as unknown as AgentSlot;
  return { compressor: new Compressor(ctx, {} as AgentPool), slot, events };
}

describe('a compression at the context limit', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] }));
  afterEach(() => vi.useRealTimers());

  it('says the context passed 90% of the limit, not the limit', async () => {
    const { compressor, slot, events } = setup();
    const done = compressor.compress(slot, 'limit');
    await vi.advanceTimersByTimeAsync(1000);
    await done;
    expect(events[0]).toMatchObject({ type: 'limit', kind: 'context_size', detail: '950 ≥ 90% of 1000 tokens (limits.max_context_size)' });
  });

  it('an agent that never answers the command: tokens_after null, not its stale report', async () => {
    const { compressor, slot, events } = setup();
    const done = compressor.compress(slot, 'limit');
    await vi.advanceTimersByTimeAsync(1000);
    await done;
    expect(events[1]).toMatchObject({ type: 'compress', agent: 'agent-1', tokens_before: 950, tokens_after: null, detail: expect.stringMatching(/tokens after not measured/) });
  });

  it("an agent that reports after the command: its report is the after", async () => {
    const { compressor, slot, events } = setup();
    const done = compressor.compress(slot, 'limit');
    await vi.advanceTimersByTimeAsync(100);
    slot.contextTokens = 120;
    slot.contextReports += 1;
    await vi.advanceTimersByTimeAsync(100);
    await done;
    expect(events[1]).toEqual({ type: 'compress', agent: 'agent-1', tokens_before: 950, tokens_after: 120 });
  });
});
