// The hourly throttle's wait and what it says. The wait lasts until the
// agent's last hour is under every limit it is over (not just until the
// oldest second leaves the hour), and an agent held to its limit second by
// second (it spends faster than the limit allows) is said at most once per
// THROTTLE_REPORT_MS per limit, the throttles between counted in the next
// event. Fake timers and a fake clock; nothing waits.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventInput } from '../../src/contract/events.js';
import type { AgentPool, AgentSlot } from '../../src/engine/agentPool.js';
import type { CheckpointKeeper } from '../../src/engine/checkpointKeeper.js';
import type { EngineContext } from '../../src/engine/context.js';
import { HourWindow } from '../../src/engine/hourWindow.js';
import { Limits, THROTTLE_REPORT_MS } from '../../src/engine/limits.js';
import type { Measurer } from '../../src/engine/measurer.js';

const HOUR = 3_600_000;
const START = 1_800_000_000_000;

type LimitEvent = Extract<EventInput, { type: 'limit' }>;

function setup(tokensPerHour: number, toolCallsPerHour: number) {
  const events: LimitEvent[] = [];
  const eventTimes: number[] = [];
  const controls: string[] = [];
  const slot = {
    name: 'agent-1',
    idleSinceMs: null,
    throttledUntilMs: 0,
    usageLimitUntilMs: 0,
    windowTokens: new HourWindow(),
    windowToolCalls: new HourWindow(),
    adapter: { control: (command: string) => controls.push(command) },
  } as unknown as AgentSlot;
  const ctx = {
    config: { limits: { total_token_budget: 0, tokens_per_hour_per_agent: tokensPerHour, tool_calls_per_hour_per_agent: toolCallsPerHour, max_idle_minutes: 1_000, min_free_disk_gb: 0 } },
    state: { counters: { totalTokens: 0 } },
    status: 'running',
    scheduleMs: (now: number) => now,
    emit: (event: EventInput) => {
      events.push(event as LimitEvent);
      eventTimes.push(Date.now());
    },
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  } as unknown as EngineContext;
  const pool = { slots: [slot], remainingOf: () => [] } as unknown as AgentPool;
  const limits = new Limits(ctx, pool, {} as CheckpointKeeper, {} as Measurer, async () => undefined);
  return { limits, slot, controls, events, eventTimes };
}

/** When the second that `ms` falls in leaves the hour. */
const leavesHourAt = (ms: number) => (Math.floor(ms / 1000) + 1) * 1000 + HOUR;

describe('Limits: the throttle waits until the last hour is under the limit', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] });
    vi.setSystemTime(START);
  });
  afterEach(() => vi.useRealTimers());

  it('a small early spend leaving the hour does not end the wait while a large later one keeps the agent over', () => {
    const limit = 30_000;
    const { limits, slot, controls, events } = setup(limit, 0);
    const early = START - 50 * 60_000;
    const large = START - 10 * 60_000;
    slot.windowTokens.add(early, 1);
    slot.windowTokens.add(large, limit);
    limits.enforce(START);
    // Only once the large spend leaves is the hour under the limit (1 token < 30,000 left before it too).
    const until = leavesHourAt(large);
    expect(slot.throttledUntilMs).toBe(until);
    expect(events).toHaveLength(1);
    expect(events[0]!.detail).toBe(`${limit + 1} tokens in the last hour >= ${limit}; waiting ${Math.round((until - START) / 1000)} s`);
    // The early token has left the hour: the agent is still over, and still held, with nothing new said.
    vi.advanceTimersByTime(leavesHourAt(early) + 1_000 - START);
    limits.enforce(Date.now());
    expect(controls).toEqual(['pause']);
    expect(events).toHaveLength(1);
    vi.advanceTimersByTime(until - Date.now());
    expect(controls).toEqual(['pause', 'resume']);
    limits.enforce(Date.now());
    expect(events).toHaveLength(1);
  });

  it('an agent over both limits waits for the later of the two', () => {
    const { limits, slot } = setup(100, 3);
    const tokensAt = START - 50 * 60_000;
    slot.windowTokens.add(tokensAt, 100);
    const callTimes = [START - 40 * 60_000, START - 20 * 60_000, START - 5 * 60_000];
    for (const ms of callTimes) slot.windowToolCalls.add(ms);
    limits.enforce(START);
    // Under 3 calls once the first call leaves; under 100 tokens once the spend leaves: the later of the two.
    expect(slot.throttledUntilMs).toBe(Math.max(leavesHourAt(tokensAt), leavesHourAt(callTimes[0]!)));
  });
});

describe('Limits: an agent held to its hourly limit for hours', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] });
    vi.setSystemTime(START);
  });
  afterEach(() => vi.useRealTimers());

  it('is throttled as often as it takes, its spend held to the limit, and said at most once per report time with the rest counted', () => {
    const limit = 600_000;
    const chunk = 2_000;
    const chunkEveryMs = 2_000;
    const tickMs = 250;
    const hours = 3;
    const { limits, slot, controls, events, eventTimes } = setup(limit, 0);
    let paused = false;
    const pauseTimes: number[] = [];
    (slot as { adapter: unknown }).adapter = {
      control: (command: string) => {
        controls.push(command);
        if (command === 'pause') pauseTimes.push(Date.now());
        paused = command === 'pause';
      },
    };
    // The agent spends `chunk` tokens every chunkEveryMs while it is not paused; the orchestrator ticks every tickMs.
    const spends: number[] = [];
    let nextSpend = START;
    while (Date.now() < START + hours * HOUR) {
      const now = Date.now();
      if (!paused && now >= nextSpend) {
        slot.windowTokens.add(now, chunk);
        spends.push(now);
        nextSpend = now + chunkEveryMs;
      }
      limits.enforce(now);
      vi.advanceTimersByTime(tickMs);
    }
    // Held to the limit: no hour (counted from the spends themselves) saw more than the limit and the chunk that crossed it.
    for (const from of spends) {
      const inHour = spends.filter((ms) => ms >= from && ms < from + HOUR).length * chunk;
      expect(inHour).toBeLessThanOrEqual(limit + chunk);
    }
    // Throttled far more often than it is said: at most one event per report time.
    const bound = Math.ceil((hours * HOUR) / THROTTLE_REPORT_MS) + 1;
    expect(events.length).toBeLessThanOrEqual(bound);
    expect(pauseTimes.length).toBeGreaterThan(bound);
    // Every throttle up to the last event is that event or one counted in an event.
    const counted = events.reduce((sum, e) => sum + Number(/held to the limit: ([\d,]+) more throttle/.exec(e.detail ?? '')?.[1]?.replace(/,/g, '') ?? 0), 0);
    const lastEventAt = eventTimes.at(-1)!;
    expect(events.length + counted).toBe(pauseTimes.filter((ms) => ms <= lastEventAt).length);
  });
});
