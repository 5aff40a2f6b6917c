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
    scheduleMs: (now: number) => now,
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

  it('throttles an agent with no process yet (a resume, before its agents start), so that it starts paused', () => {
    const { limits, slot, events, now } = throttledSetup();
    (slot as { adapter: unknown }).adapter = null;
    limits.throttleBeforeStart(now);
    expect(events.map((e) => (e as { action?: string }).action)).toEqual(['throttle']);
    expect(slot.throttledUntilMs).toBeGreaterThan(now);
    // The timer lets it go later, with no process to resume yet or with the one started meanwhile.
    vi.advanceTimersByTime(slot.throttledUntilMs - now);
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

describe('Limits: idle time', () => {
  /** The wall time the session starts at; until a pause the schedule clock reads the same. */
  const START = 1_800_000_000_000;

  /** Agent-1 idle since 0.3 s before START with two tasks left, agent-2 working; the schedule clock is `schedule.ms`, which a pause stops. */
  function idleSetup() {
    const events: EventInput[] = [];
    const schedule = { ms: START };
    const assigned: string[] = [];
    const slot = (name: string, objectives: string[], role = 'developer') =>
      ({ name, role, objectives, assignedTasks: new Set(objectives), idleSinceMs: null, throttledUntilMs: 0, usageLimitUntilMs: 0, windowTokens: new HourWindow(), windowToolCalls: new HourWindow(), adapter: { control: () => undefined } }) as unknown as AgentSlot;
    const idle = slot('agent-1', ['a', 'b']);
    const busy = slot('agent-2', ['c', 'd']);
    // Less busy than agent-2, but each unable to take the tasks now.
    const throttled = slot('agent-3', []);
    const limited = slot('agent-4', []);
    const documenter = slot('agent-5', [], 'documenter');
    const ctx = {
      config: { limits: { total_token_budget: 0, tokens_per_hour_per_agent: 0, tool_calls_per_hour_per_agent: 0, max_idle_minutes: 0.5, min_free_disk_gb: 0 } },
      state: { counters: { totalTokens: 0 } },
      status: 'running',
      scheduleMs: () => schedule.ms,
      currentPhase: { name: 'development', roles: ['developer'] },
      completedTasks: () => new Set<string>(),
      emit: (event: EventInput) => events.push(event),
      log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    } as unknown as EngineContext;
    const pool = {
      slots: [idle, busy, throttled, limited, documenter],
      remainingOf: (s: AgentSlot) => s.objectives,
      assignRemaining: (s: AgentSlot) => void assigned.push(s.name),
    } as unknown as AgentPool;
    const limits = new Limits(ctx, pool, {} as CheckpointKeeper, {} as Measurer, async () => undefined);
    idle.idleSinceMs = schedule.ms - 300;
    return { limits, schedule, events, assigned, idle, throttled, limited };
  }

  it('a pause is no idle time: the schedule clock, which stops at a pause, measures it', () => {
    // Seen: idle 0.3 s, a pause at 4 s, continued 28 s later: reassigned at the continue "after 0.5 min idle".
    const { limits, schedule, events } = idleSetup();
    schedule.ms += 3_700; // running until the pause at 4 s; the wall clock goes on, 28 s of pause
    limits.enforce(START + 3_700 + 28_000);
    expect(events).toEqual([]);
  });

  it('reassigns once the agent has been idle long enough while the session runs, with the idle time measured, to an agent that can work now in this phase', () => {
    // Seen: tasks handed to a throttled agent, or to one whose role does not work in the phase.
    const { limits, schedule, events, assigned, idle, throttled, limited } = idleSetup();
    throttled.throttledUntilMs = START + 3_600_000;
    limited.usageLimitUntilMs = limited.throttledUntilMs = START + 7_200_000;
    schedule.ms += 31_700;
    limits.enforce(START + 31_700);
    expect(events).toEqual([{ type: 'limit', kind: 'idle_time', agent: 'agent-1', action: 'reassign', detail: '2 tasks moved to agent-2 after 0.5 min idle (limits.max_idle_minutes = 0.5)' }]);
    // The idle agent is told too, with its tasks gone: a CLI agent's book kept them, and it retried them at the next
    // resume while agent-2 worked them. A late task_done of them from it is not its own any more.
    expect(assigned).toEqual(['agent-2', 'agent-1']);
    expect(idle.objectives).toEqual([]);
    expect([...idle.assignedTasks].filter((task) => ['a', 'b'].includes(task))).toEqual([]);
    expect(idle.idleSinceMs).toBeNull();
  });
});

describe('Limits: idle time with nobody else to take the tasks', () => {
  function setup(idleCanWork: boolean) {
    const events: EventInput[] = [];
    const assigned: string[] = [];
    const slot = (name: string, objectives: string[]) =>
      ({ name, role: 'developer', objectives, assignedTasks: new Set(objectives), idleSinceMs: null, throttledUntilMs: 0, usageLimitUntilMs: 0, windowTokens: new HourWindow(), windowToolCalls: new HourWindow(), adapter: { control: () => undefined } }) as unknown as AgentSlot;
    const idle = slot('agent-1', ['a']);
    const other = slot('agent-2', []);
    other.throttledUntilMs = 2_000_000;
    if (!idleCanWork) idle.throttledUntilMs = 1_500_000;
    const ctx = {
      config: { limits: { total_token_budget: 0, tokens_per_hour_per_agent: 0, tool_calls_per_hour_per_agent: 0, max_idle_minutes: 0.5, min_free_disk_gb: 0 } },
      state: { counters: { totalTokens: 0 } },
      scheduleMs: (now: number) => now,
      currentPhase: { name: 'development', roles: [] },
      completedTasks: () => new Set<string>(),
      emit: (event: EventInput) => events.push(event),
      log: { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined },
    } as unknown as EngineContext;
    const pool = { slots: [idle, other], remainingOf: (s: AgentSlot) => s.objectives, assignRemaining: (s: AgentSlot) => void assigned.push(s.name) } as unknown as AgentPool;
    const limits = new Limits(ctx, pool, {} as CheckpointKeeper, {} as Measurer, async () => undefined);
    idle.idleSinceMs = 1_000_000;
    return { limits, events, assigned, idle };
  }

  it('gives the idle agent its own tasks again when it can work and no other can now (a CLI agent set a failed task aside)', () => {
    // Seen: one claude agent whose task failed with an unknown error sat idle with it for the rest of the phase.
    const { limits, events, assigned, idle } = setup(true);
    limits.enforce(1_040_000);
    expect(events).toEqual([{ type: 'limit', kind: 'idle_time', agent: 'agent-1', action: 'retry', detail: '1 task given to agent-1 again, no other agent able to take it now, after 0.7 min idle (limits.max_idle_minutes = 0.5)' }]);
    expect(assigned).toEqual(['agent-1']);
    expect(idle.objectives).toEqual(['a']);
    expect(idle.idleSinceMs).toBeNull();
    // Idle again with it later, another agent able to work by then: it moves there.
    idle.idleSinceMs = 1_950_000;
    limits.enforce(2_000_000);
    expect(events.map((e) => (e as { detail?: string }).detail).at(-1)).toBe('1 task moved to agent-2 after 0.8 min idle (limits.max_idle_minutes = 0.5)');
  });

  it('keeps the tasks while neither it nor another can work, and moves them once one can', () => {
    const { limits, events, assigned, idle } = setup(false);
    limits.enforce(1_040_000);
    expect(events).toEqual([]);
    expect(assigned).toEqual([]);
    expect(idle.objectives).toEqual(['a']);
    limits.enforce(2_000_000);
    expect(events.map((e) => (e as { detail?: string }).detail)).toEqual(['1 task moved to agent-2 after 16.7 min idle (limits.max_idle_minutes = 0.5)']);
  });
});
