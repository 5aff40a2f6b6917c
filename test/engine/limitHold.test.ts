// The usage-limit hold: once every agent with tasks left waits for its
// account's usage limit to lift, the session pauses on its own (the fold
// stops the run's clock at the pause) and goes on when the first wait ends; a
// person's continue ends it at once with the agents trying again, a person's
// pause keeps it paused past the lift. The real recovery, hold and control
// surface; a fake pool whose agents record what they are told. Fake timers
// and clock; nothing waits.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventInput } from '../../src/contract/events.js';
import type { AgentPool, AgentSlot } from '../../src/engine/agentPool.js';
import type { CheckpointKeeper } from '../../src/engine/checkpointKeeper.js';
import type { Compressor } from '../../src/engine/compressor.js';
import type { EngineContext } from '../../src/engine/context.js';
import { ControlSurface } from '../../src/engine/controlSurface.js';
import { LimitHold } from '../../src/engine/limitHold.js';
import type { Measurer } from '../../src/engine/measurer.js';
import { LIFT_MARGIN_SECONDS, Recovery } from '../../src/engine/recovery.js';
import { SerialQueue } from '../../src/engine/serialQueue.js';
import { initialRunState, type RunState } from '../../src/state/runState.js';

const runDir = mkdtempSync(path.join(tmpdir(), 'megatest-limit-hold-'));
const recoveries: Recovery[] = [];
afterAll(async () => {
  await Promise.all(recoveries.map((recovery) => recovery.drain()));
  rmSync(runDir, { recursive: true, force: true });
});

const NOW = Date.UTC(2026, 11, 5, 11, 48);
/** Codex's words for a plan's limit: it lifts 2 h 5 min from NOW. */
const CODEX_LIMIT = "You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) or try again in 2 hours 5 minutes.";
const WAIT_MS = ((2 * 60 + 5) * 60 + LIFT_MARGIN_SECONDS) * 1000;
const failed = (task: string) => `task "${task}" failed (exit code 1): ${CODEX_LIMIT}`;

/** A running session of agents, each with its tasks left (none: it has finished its share), and its recovery, hold and control surface. */
function session(tasksLeft: string[][]) {
  const events: EventInput[] = [];
  const controls: string[][] = [];
  const slots = tasksLeft.map((_tasks, index) => {
    const sent: string[] = [];
    controls.push(sent);
    return {
      name: `agent-${index + 1}`,
      pendingRecovery: null,
      attempts: new Map<string, number>(),
      throttledUntilMs: 0,
      usageLimitUntilMs: 0,
      modelIndex: 0,
      adapter: { control: (command: string) => sent.push(command) },
    } as unknown as AgentSlot;
  });
  const state: RunState = { ...initialRunState(), clock: { activeMs: 0, sinceMs: NOW, rolledBackSeconds: 0 } };
  const ctx = {
    config: {
      session: { duration_seconds: 6 * 3600 },
      error_handling: { max_recovery_attempts: 3, max_consecutive_errors: 10, rules: [], backoff_strategy: 'fixed', backoff_initial_seconds: 2, backoff_max_seconds: 30 },
    },
    paths: { agents: path.join(runDir, 'agents') },
    status: 'running',
    setStatus(this: { status: string }, status: string) {
      this.status = status;
    },
    emit: (event: EventInput) => events.push(event),
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    internalError: (error: unknown) => {
      throw error;
    },
    queue: new SerialQueue(),
    events: { flush: () => undefined },
    state,
    stopRequest: null,
    restoreGeneration: 0,
    unattended: false,
  } as unknown as EngineContext;
  const pool = {
    slots,
    workDirOf: () => runDir,
    modelOf: () => 'model',
    remainingOf: (slot: AgentSlot) => tasksLeft[slots.indexOf(slot)]!,
    control: (command: string) => controls.forEach((sent) => sent.push(command)),
  } as unknown as AgentPool;
  const surface = new ControlSurface(ctx, pool, {} as CheckpointKeeper, {} as Measurer, {} as Compressor);
  const recovery = new Recovery(ctx, pool, {} as CheckpointKeeper, { pauseForPerson: async () => undefined, compress: async () => undefined });
  recoveries.push(recovery);
  surface.attachRecovery(recovery);
  const hold = new LimitHold(ctx, pool, { pause: (alert) => surface.pauseAutomatically(alert, 'warning'), resume: () => surface.continueAfterHold() });
  surface.attachLimitHold(hold);
  const commands = () => events.filter((e): e is Extract<EventInput, { type: 'command' }> => e.type === 'command').map((e) => `${e.name} ${e.source}`);
  const meetLimit = (i: number) => recovery.onAgentError(slots[i]!, { message: failed(tasksLeft[i]![0] ?? 'a task'), cause: CODEX_LIMIT });
  return { ctx, slots, controls, events, surface, recovery, hold, commands, meetLimit };
}

describe('the usage-limit hold', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: NOW }));
  afterEach(() => vi.useRealTimers());

  it('pauses the session once every agent with tasks left waits, and goes on when the first wait ends, its counts kept', async () => {
    const { ctx, slots, controls, events, hold, commands, meetLimit } = session([['Add the RESP parser'], ['Add LPUSH']]);
    await meetLimit(0);
    // agent-2 can still work: no hold.
    expect(await hold.check()).toBe(false);
    expect(ctx.status).toBe('running');
    await meetLimit(1);
    expect(await hold.check()).toBe(true);
    expect(ctx.status).toBe('paused');
    expect(commands()).toEqual(['pause engine']);
    const alert = events.find((e) => e.type === 'alert');
    expect(alert).toMatchObject({ level: 'warning', message: expect.stringContaining('every agent with tasks left waits for the usage limit to lift (the first at 2026-12-05 13:53 UTC)') });
    // Held, it is not held twice.
    expect(await hold.check()).toBe(false);
    await vi.advanceTimersByTimeAsync(WAIT_MS - 1000);
    expect(ctx.status).toBe('paused');
    expect(controls[0]!.at(-1)).toBe('pause');
    await vi.advanceTimersByTimeAsync(1000);
    expect(ctx.status).toBe('running');
    expect(commands()).toEqual(['pause engine', 'continue engine']);
    expect(controls.map((sent) => sent.at(-1))).toEqual(['resume', 'resume']);
    // Every return of the limit is another attempt: the hold's end does not start the counts again.
    expect(slots.map((slot) => slot.attempts.get('rate_limit'))).toEqual([1, 1]);
    expect(hold.holding).toBe(false);
  });

  it('names the minute the limit lifts, not the minute its wait ends (the margin past it)', async () => {
    // 55 s past the minute: the limit lifts at 13:53:55 UTC, the wait ends at 13:54:05.
    vi.setSystemTime(NOW + 55_000);
    const { events, hold, meetLimit } = session([['Add the RESP parser']]);
    await meetLimit(0);
    expect(await hold.check()).toBe(true);
    const wait = events.find((e): e is Extract<EventInput, { type: 'recovery' }> => e.type === 'recovery');
    expect(wait?.detail).toContain('(2026-12-05 13:53 UTC)');
    const alert = events.find((e): e is Extract<EventInput, { type: 'alert' }> => e.type === 'alert');
    expect(alert?.message).toContain('(the first at 2026-12-05 13:53 UTC)');
  });

  it('an agent with no tasks left does not keep the session going; one that can work does', async () => {
    const finished = session([['Add the RESP parser'], []]);
    await finished.meetLimit(0);
    expect(await finished.hold.check()).toBe(true);

    const working = session([['Add the RESP parser'], ['Add LPUSH'], ['Add LPOP']]);
    await working.meetLimit(0);
    await working.meetLimit(1);
    expect(await working.hold.check()).toBe(false);
    expect(working.ctx.status).toBe('running');
  });

  it("a person's continue ends it at once: the waiting agents try again now, and the lift continues nothing twice", async () => {
    const { ctx, slots, controls, surface, commands, meetLimit, hold } = session([['Add the RESP parser'], ['Add LPUSH']]);
    await meetLimit(0);
    await meetLimit(1);
    await hold.check();
    await vi.advanceTimersByTimeAsync(60_000);
    await surface.resume('api');
    expect(ctx.status).toBe('running');
    expect(controls.map((sent) => sent.at(-1))).toEqual(['resume', 'resume']);
    expect(slots.map((slot) => [slot.throttledUntilMs, slot.usageLimitUntilMs])).toEqual([
      [0, 0],
      [0, 0],
    ]);
    await vi.advanceTimersByTimeAsync(WAIT_MS);
    expect(commands()).toEqual(['pause engine', 'continue api']);
    expect(controls.map((sent) => sent.filter((c) => c === 'resume').length)).toEqual([1, 1]);
  });

  it("a person's pause during it makes it theirs: the session stays paused when the limit lifts", async () => {
    const { ctx, surface, commands, meetLimit, hold } = session([['Add the RESP parser'], ['Add LPUSH']]);
    await meetLimit(0);
    await meetLimit(1);
    await hold.check();
    await surface.pause('key');
    expect(hold.holding).toBe(false);
    await vi.advanceTimersByTimeAsync(WAIT_MS + 60_000);
    expect(commands()).toEqual(['pause engine', 'pause key']);
    expect(ctx.status).toBe('paused');
    // Not held, a second pause is refused as before.
    await expect(surface.pause('api')).rejects.toThrow('the session is already paused');
  });

  it('a limit that lifts later than the time left, but within a whole run, is waited out (the hold stops the clock); a longer one is for a person', async () => {
    const { recovery, slots, events, ctx } = session([['Add the RESP parser'], ['Add LPUSH']]);
    // 5 h 30 min of the 6 h run gone: 30 min left, the limit lifts in 2 h 5 min.
    ctx.state.clock = { activeMs: 5.5 * 3600_000, sinceMs: NOW, rolledBackSeconds: 0 };
    await recovery.onAgentError(slots[0]!, { message: failed('Add the RESP parser'), cause: CODEX_LIMIT });
    const started = () => events.filter((e): e is Extract<EventInput, { type: 'recovery' }> => e.type === 'recovery' && e.outcome === 'started');
    expect(started()).toMatchObject([{ action: 'retry_with_backoff' }]);
    const weekly = 'You have hit your usage limit. Try again in 5 days 22 hours 11 minutes.';
    await recovery.onAgentError(slots[1]!, { message: `task "Add LPUSH" failed (exit code 1): ${weekly}`, cause: weekly });
    expect(started()[1]).toMatchObject({ action: 'pause_and_alert' });
  });
});
