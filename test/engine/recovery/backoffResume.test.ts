// A backed-off agent is resumed when its wait is over, even when the timer
// fires a little before the wall clock reaches the end of the wait: Node
// counts a timer from the event loop's cached time, so on a loaded machine it
// fires early by as much as the loop was busy before the timer was set (the
// claude-code fallback session once left an agent paused for its whole run).
// Fake timers and a wall clock set back stand in for that; nothing waits.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventInput } from '../../../src/contract/events.js';
import type { AgentPool, AgentSlot } from '../../../src/engine/agentPool.js';
import type { CheckpointKeeper } from '../../../src/engine/checkpointKeeper.js';
import type { Classification } from '../../../src/engine/classify.js';
import type { EngineContext } from '../../../src/engine/context.js';
import { Recovery } from '../../../src/engine/recovery.js';

const runDir = mkdtempSync(path.join(tmpdir(), 'megatest-backoff-'));
const recoveries: Recovery[] = [];
afterAll(async () => {
  // Each failed attempt's artifacts are written beside the recovery: wait for them, or they land in a folder already removed.
  await Promise.all(recoveries.map((recovery) => recovery.drain()));
  rmSync(runDir, { recursive: true, force: true });
});

const rateLimit: Classification = { class: 'rate_limit', severity: 'recoverable', action: 'retry_with_backoff', matched: 'built-in' };

function backedOffAgent() {
  const events: EventInput[] = [];
  const controls: string[] = [];
  const slot = {
    name: 'agent-2',
    pendingRecovery: null,
    attempts: new Map<string, number>(),
    throttledUntilMs: 0,
    adapter: { control: (command: string) => controls.push(command) },
  } as unknown as AgentSlot;
  const ctx = {
    config: {
      error_handling: { max_recovery_attempts: 5, max_consecutive_errors: 10, rules: [], backoff_strategy: 'fixed', backoff_initial_seconds: 2, backoff_max_seconds: 30 },
    },
    paths: { agents: path.join(runDir, 'agents') },
    status: 'running',
    emit: (event: EventInput) => events.push(event),
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    state: { openRecoveries: [] },
    stopRequest: null,
    restoreGeneration: 0,
  } as unknown as EngineContext;
  const pool = { slots: [slot], workDirOf: () => runDir } as unknown as AgentPool;
  const recovery = new Recovery(ctx, pool, {} as CheckpointKeeper, { pauseForPerson: async () => undefined, compress: async () => undefined });
  recoveries.push(recovery);
  return { recovery, slot, controls, ctx };
}

describe('Recovery: what a failed attempt leaves', () => {
  it('is written by the time drain resolves, as the session waits for it before it ends', async () => {
    const { recovery, slot } = backedOffAgent();
    await recovery.handle(slot, rateLimit, 'API Error: 429 rate limit exceeded');
    await recovery.drain();
    const attempts = path.join(runDir, 'agents', slot.name, 'attempts');
    const kept = readdirSync(attempts).filter((name) => name.endsWith('-rate_limit-1'));
    expect(kept.length).toBeGreaterThan(0);
    expect(readFileSync(path.join(attempts, kept[0]!, 'error.txt'), 'utf8')).toBe('API Error: 429 rate limit exceeded\n');
    expect(readFileSync(path.join(attempts, kept[0]!, 'project.diff'), 'utf8')).not.toBe('');
  });
});

describe('Recovery: retry with backoff', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] }));
  afterEach(() => vi.useRealTimers());

  it('pauses the agent, then resumes it when the timer fires, though the wall clock is a little behind', async () => {
    const { recovery, slot, controls } = backedOffAgent();
    await recovery.handle(slot, rateLimit, 'API Error: 429 rate limit exceeded');
    expect(controls).toEqual(['pause']);
    const until = slot.throttledUntilMs;
    // The wall clock lags the loop's clock by 30 ms: the timer is due before Date.now() reaches the wait's end.
    vi.setSystemTime(Date.now() - 30);
    vi.advanceTimersByTime(2_000);
    expect(Date.now()).toBeLessThan(until);
    expect(controls).toEqual(['pause', 'resume']);
    expect(slot.throttledUntilMs).toBe(0);
  });

  it('a later, longer wait keeps the first timer from resuming: the later one does', async () => {
    const { recovery, slot, controls } = backedOffAgent();
    await recovery.handle(slot, rateLimit, 'API Error: 429 rate limit exceeded');
    slot.throttledUntilMs = Date.now() + 60_000; // e.g. the hourly token limit's wait
    vi.advanceTimersByTime(2_000);
    expect(controls).toEqual(['pause']);
  });

  it('a session paused by then is not resumed by the timer, but the wait is over for its continue', async () => {
    const { recovery, slot, controls, ctx } = backedOffAgent();
    await recovery.handle(slot, rateLimit, 'API Error: 429 rate limit exceeded');
    (ctx as { status: string }).status = 'paused';
    const until = slot.throttledUntilMs;
    vi.setSystemTime(Date.now() - 30);
    vi.advanceTimersByTime(2_000);
    expect(controls).toEqual(['pause']);
    // controlSurface's continue resumes every agent whose wait is over: this one's is, though Date.now() < until.
    expect(Date.now()).toBeLessThan(until);
    expect(slot.throttledUntilMs).toBeLessThanOrEqual(Date.now());
  });
});
