// One Recovery over one agent slot, with what it touches recorded (its
// events, stop requests, pauses for a person, restarts and the controls its
// agent was sent), for the recovery tests beside this file.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import type { AgentControl } from '../../../src/agents/types.js';
import type { EventInput } from '../../../src/contract/events.js';
import type { SessionStatus } from '../../../src/contract/statuses.js';
import type { AgentPool, AgentSlot } from '../../../src/engine/agentPool.js';
import type { CheckpointKeeper } from '../../../src/engine/checkpointKeeper.js';
import type { EngineContext } from '../../../src/engine/context.js';
import { Recovery, type ConflictHandling } from '../../../src/engine/recovery.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/**
 * A Recovery over one agent slot, with what it touches recorded: its events,
 * stop requests, pauses for a person, restarts and the tasks it sent again
 * (`tasksLeft`: the agent's tasks not done yet). `scratch` holds the
 * failed attempts' artifacts (removed after each test, once they are written).
 */
export function recoveryOver(
  slotState: { pendingRecovery: unknown; attempts: Map<string, number> },
  options: { unattended?: boolean; status?: SessionStatus; tasksLeft?: string[]; maxConsecutiveErrors?: number; maxRecoveryAttempts?: number; models?: string[]; conflicts?: ConflictHandling } = {},
) {
  const models = options.models ?? ['model-a', 'model-b'];
  const scratch = mkdtempSync(path.join(tmpdir(), 'megatest-recovery-'));
  const events: EventInput[] = [];
  const stops: unknown[] = [];
  const pauses: Array<[string, string | undefined]> = [];
  const restarts: string[] = [];
  const controls: AgentControl[] = [];
  const assigned: Array<{ objectives: string[]; note: string | undefined }> = [];
  const adapter = { control: (command: AgentControl) => void controls.push(command) };
  const slot = { name: 'agent-2', adapter, ...slotState } as unknown as AgentSlot;
  const ctx = {
    unattended: options.unattended ?? false,
    status: options.status ?? 'running',
    config: {
      error_handling: { max_recovery_attempts: options.maxRecoveryAttempts ?? 3, max_consecutive_errors: options.maxConsecutiveErrors ?? 10, rules: [], backoff_strategy: 'exponential', backoff_initial_seconds: 1, backoff_max_seconds: 60 },
    },
    paths: { agents: path.join(scratch, 'agents') },
    store: { ids: async () => [] },
    emit: (event: EventInput) => events.push(event),
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    state: { openRecoveries: [] },
    stopRequest: null,
    restoreGeneration: 1,
    requestStop: (request: unknown) => stops.push(request),
  } as unknown as EngineContext;
  const pool = {
    slots: [slot],
    find: (name: string) => (name === slot.name ? slot : undefined),
    restart: async (_slot: AgentSlot, why: string) => void restarts.push(why),
    // [agents].models (default: two), as AgentPool walks it: no further than the last.
    modelOf: (s: AgentSlot) => models[Math.min(s.modelIndex ?? 0, models.length - 1)],
    hasNextModel: (s: AgentSlot) => (s.modelIndex ?? 0) + 1 < models.length,
    workDirOf: () => scratch,
    remainingOf: () => [...(options.tasksLeft ?? [])],
    assignRemaining: (_slot: AgentSlot, note?: string) => void assigned.push({ objectives: [...(options.tasksLeft ?? [])], note }),
  } as unknown as AgentPool;
  const recovery = new Recovery(ctx, pool, {} as CheckpointKeeper, {
    pauseForPerson: async (why, until) => void pauses.push([why, until]),
    compress: async () => undefined,
    ...(options.conflicts === undefined ? {} : { conflicts: options.conflicts }),
  });
  const outcomes = () => events.flatMap((e) => (e.type === 'recovery' ? [`${e.action} ${e.outcome}`] : []));
  const recoveries = () => events.flatMap((e) => (e.type === 'recovery' ? [`${e.action} #${e.attempt} ${e.outcome}`] : []));
  const cleanup = async () => {
    await recovery.drain();
    rmSync(scratch, { recursive: true, force: true });
  };
  cleanups.push(cleanup);
  return { recovery, slot, outcomes, recoveries, events, stops, pauses, restarts, controls, assigned, cleanup };
}
