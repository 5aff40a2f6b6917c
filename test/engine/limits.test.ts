// The hourly limits throttle an agent (pause, then resume once the oldest
// entry leaves the hour). Only the latest wait resumes it, and a wait that is
// over is marked so, for a `continue` of a session paused meanwhile, as a
// recovery's backoff (recovery/backoffResume.test.ts). Fake timers; nothing waits.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventInput } from '../../src/contract/events.js';
import type { AgentPool, AgentSlot } from '../../src/engine/agentPool.js';
import type { CheckpointKeeper } from '../../src/engine/checkpointKeeper.js';
import type { EngineContext } from '../../src/engine/context.js';
import { HourWindow } from '../../src/engine/hourWindow.js';
import { Limits } from '../../src/engine/limits.js';
import type { Measurer } from '../../src/engine/measurer.js';

function throttledSetup() {
  const events: EventInput[] = [];
  const controls: string[] = [];
  const now = Date.now();
  const windowToolCalls = new HourWindow();
  for (const ago of [60_000, 30_000, 10_000]) windowToolCalls.add(now - ago);
  const slot = {
    name: 'agent-1',
    idleSinceMs: null,
    throttledUntilMs: 0,
    windowTokens: new HourWindow(),
    windowToolCalls,
    adapter: { control: (command: string) => controls.push(command) },
  } as unknown as AgentSlot;
  const ctx = {
    config: { limits: { total_token_budget: 0, tokens_per_hour_per_agent: 0, tool_calls_per_hour_per_agent: 3, max_idle_minutes: 1_000, min_free_disk_gb: 0 } },
    state: { counters: { totalTokens: 0 } },
    status: 'running',
    emit: (event: EventInput) => events.push(event),
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
  } as unknown as EngineContext;
  const pool = { slots: [slot], remainingOf: () => [] } as unknown as AgentPool;
  const limits = new Limits(ctx, pool, {} as CheckpointKeeper, {} as Measurer, async () => undefined);
  return { limits, slot, controls, ctx, events, now };
}

describe('Limits: the hourly throttle', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] }));
  afterEach(() => vi.useRealTimers());

  it('pauses an agent over its tool calls per hour and resumes it when the oldest call leaves the hour', () => {
    const { limits, slot, controls, events, now } = throttledSetup();
    limits.enforce(now);
    expect(controls).toEqual(['pause']);
    expect(events.map((e) => (e as { action?: string }).action)).toEqual(['throttle']);
    // The oldest call was 60 s ago: the wait is the rest of its hour (to the end of the second it was in).
    const leaves = (Math.floor((now - 60_000) / 1000) + 1) * 1000 + 3_600_000;
    expect(slot.throttledUntilMs).toBe(leaves);
    vi.advanceTimersByTime(leaves - now);
    expect(controls).toEqual(['pause', 'resume']);
    expect(slot.throttledUntilMs).toBe(0);
  });

  it('a later wait (a recovery backoff) keeps the throttle timer from resuming the agent early', () => {
    const { limits, slot, controls, now } = throttledSetup();
    limits.enforce(now);
    slot.throttledUntilMs = now + 4_000_000;
    vi.advanceTimersByTime(3_541_000);
    expect(controls).toEqual(['pause']);
  });

  it('a session paused by then is not resumed, but the wait is over for its continue', () => {
    const { limits, slot, controls, ctx, now } = throttledSetup();
    limits.enforce(now);
    (ctx as { status: string }).status = 'paused';
    vi.advanceTimersByTime(3_541_000);
    expect(controls).toEqual(['pause']);
    expect(slot.throttledUntilMs).toBeLessThanOrEqual(Date.now());
  });
});
