// A rate limit whose message says when it lifts (a plan's usage limit) is
// waited out until then, every time it comes, instead of a backoff of
// seconds and then the next model: the limit covers every model of the
// account. A swarm of one account meets it all at once, which is no run of
// errors. A limit that lifts more than a whole run from now pauses the
// session for a person. Fake timers and clock; nothing waits.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventInput } from '../../../src/contract/events.js';
import type { AgentPool, AgentSlot } from '../../../src/engine/agentPool.js';
import type { CheckpointKeeper } from '../../../src/engine/checkpointKeeper.js';
import type { EngineContext } from '../../../src/engine/context.js';
import { LIFT_MARGIN_SECONDS, Recovery } from '../../../src/engine/recovery.js';
import { initialRunState, type RunState } from '../../../src/state/runState.js';

const runDir = mkdtempSync(path.join(tmpdir(), 'megatest-usage-limit-'));
const recoveries: Recovery[] = [];
afterAll(async () => {
  await Promise.all(recoveries.map((recovery) => recovery.drain()));
  rmSync(runDir, { recursive: true, force: true });
});

const CODEX_LIMIT = "You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) or try again in 2 hours 5 minutes.";
const TASK_FAILED = (cause: string) => `task "Add the RESP parser" failed (exit code 1): ${cause}`;

/** A session of `agents` agents with `runSeconds` of its duration left, its recovery, and what it did. */
function swarm(agents: number, runSeconds: number) {
  const events: EventInput[] = [];
  const controls: string[][] = [];
  const pauses: string[] = [];
  const slots = Array.from({ length: agents }, (_, index) => {
    const sent: string[] = [];
    controls.push(sent);
    return {
      name: `agent-${index + 1}`,
      pendingRecovery: null,
      attempts: new Map<string, number>(),
      throttledUntilMs: 0,
      modelIndex: 0,
      adapter: { control: (command: string) => sent.push(command) },
    } as unknown as AgentSlot;
  });
  const state: RunState = { ...initialRunState(), session: { durationSeconds: runSeconds } as RunState['session'], clock: { activeMs: 0, sinceMs: Date.now(), rolledBackSeconds: 0 } };
  const ctx = {
    config: {
      session: { duration_seconds: runSeconds },
      error_handling: { max_recovery_attempts: 3, max_consecutive_errors: 10, rules: [], backoff_strategy: 'fixed', backoff_initial_seconds: 2, backoff_max_seconds: 30 },
    },
    paths: { agents: path.join(runDir, 'agents') },
    status: 'running',
    emit: (event: EventInput) => events.push(event),
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    state,
    stopRequest: null,
    restoreGeneration: 0,
    unattended: false,
  } as unknown as EngineContext;
  const pool = { slots, workDirOf: () => runDir, modelOf: () => 'model', hasNextModel: () => true, restart: async () => undefined } as unknown as AgentPool;
  const recovery = new Recovery(ctx, pool, {} as CheckpointKeeper, { pauseForPerson: async (why) => void pauses.push(why), compress: async () => undefined });
  recoveries.push(recovery);
  const started = () => events.filter((e): e is Extract<EventInput, { type: 'recovery' }> => e.type === 'recovery' && e.outcome === 'started');
  return { recovery, slots, controls, pauses, started, events };
}

describe('Recovery: a usage limit that says when it lifts', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'Date'], now: Date.UTC(2026, 11, 5, 11, 48) }));
  afterEach(() => vi.useRealTimers());

  it('pauses the agent until it lifts (and a little more), then resumes it', async () => {
    const { recovery, slots, controls, started } = swarm(2, 6 * 3600);
    await recovery.onAgentError(slots[0]!, { message: TASK_FAILED(CODEX_LIMIT), cause: CODEX_LIMIT });
    const wait = (2 * 60 + 5) * 60 + LIFT_MARGIN_SECONDS;
    expect(started()).toMatchObject([{ action: 'retry_with_backoff', attempt: 1, agent: 'agent-1', detail: 'rate_limit: waiting 2h 5m 10s for the usage limit to lift (2026-12-05 13:53 UTC) before retry 1' }]);
    expect(controls[0]).toEqual(['pause']);
    vi.advanceTimersByTime((wait - 1) * 1000);
    expect(controls[0]).toEqual(['pause']);
    vi.advanceTimersByTime(1000);
    expect(controls[0]).toEqual(['pause', 'resume']);
  });

  it('waits again when it comes again, never moving to another model', async () => {
    const { recovery, slots, started } = swarm(2, 6 * 3600);
    for (let time = 0; time < 3; time += 1) await recovery.onAgentError(slots[0]!, { message: TASK_FAILED(CODEX_LIMIT), cause: CODEX_LIMIT });
    expect(started().map((e) => e.action)).toEqual(['retry_with_backoff', 'retry_with_backoff', 'retry_with_backoff']);
    // A rate limit that names no time moves on to the next model at its second attempt.
    const plain = 'API Error: 429 rate limit exceeded';
    await recovery.onAgentError(slots[1]!, { message: TASK_FAILED(plain), cause: plain });
    await recovery.onAgentError(slots[1]!, { message: TASK_FAILED(plain), cause: plain });
    expect(started().slice(3).map((e) => e.action)).toEqual(['retry_with_backoff', 'switch_model']);
  });

  it('a swarm of 16 agents meeting it at once is no run of errors: every agent waits, the session goes on', async () => {
    const { recovery, slots, pauses, started, events } = swarm(16, 6 * 3600);
    for (const slot of slots) await recovery.onAgentError(slot, { message: TASK_FAILED(CODEX_LIMIT), cause: CODEX_LIMIT });
    expect(pauses).toEqual([]);
    expect(started()).toHaveLength(16);
    expect(events.filter((e) => e.type === 'recovery' && e.outcome === 'gave_up')).toEqual([]);
  });

  it('lifting later than a whole run from now: the session pauses for a person, saying when it lifts', async () => {
    const { recovery, slots, controls, pauses, started } = swarm(2, 3600);
    await recovery.onAgentError(slots[0]!, { message: TASK_FAILED(CODEX_LIMIT), cause: CODEX_LIMIT });
    expect(started()).toMatchObject([{ action: 'pause_and_alert', detail: 'rate_limit: pausing the session for a person' }]);
    expect(pauses).toEqual([`rate_limit on agent-1: ${TASK_FAILED(CODEX_LIMIT)} (the usage limit lifts at 2026-12-05 13:53 UTC, more than this run's whole duration (1h) from now)`]);
    expect(controls[0]).toEqual([]);
  });
});
