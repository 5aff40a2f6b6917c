// A person's continue of a paused session starts again the agents that went
// away while it was paused. When one of them cannot be started (its worktree
// cannot be made: a full disk, a git lock), the continue used to throw half
// way through its loop: the agents after that one stayed paused, the session
// said `running`, and nothing in the event log said why it stood still.
// Now every running agent goes on, and the one that cannot start is that
// agent's crash, which recovery takes (retry, back off, pause for a person).
//
// The real pool and control surface; agents that record what they are told,
// and worktrees that cannot be made for agent-2.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { EventInput } from '../../src/contract/events.js';
import { AgentPool, type AgentSlot } from '../../src/engine/agentPool.js';
import type { CheckpointKeeper } from '../../src/engine/checkpointKeeper.js';
import type { Compressor } from '../../src/engine/compressor.js';
import type { EngineContext } from '../../src/engine/context.js';
import { ControlSurface } from '../../src/engine/controlSurface.js';
import type { Measurer } from '../../src/engine/measurer.js';
import { SerialQueue } from '../../src/engine/serialQueue.js';

const runDir = mkdtempSync(path.join(tmpdir(), 'megatest-continue-'));
afterAll(() => rmSync(runDir, { recursive: true, force: true }));

/** A paused session of three agents whose worktrees cannot be made, over the real pool; what its log and recovery are told. */
function pausedSession() {
  const config = loadConfig({ flags: { agents: 3 }, env: {} });
  const events: EventInput[] = [];
  const errors: string[] = [];
  const ctx = {
    config,
    queue: new SerialQueue(),
    events: { flush: () => undefined },
    status: 'paused',
    stopRequest: null,
    template: { type: 'task_queue' },
    paths: { root: runDir, agents: path.join(runDir, 'agents'), project: runDir },
    info: { session_id: 'continue' },
    state: { session: null },
    currentPhase: { name: 'development' },
    completedTasks: () => new Set<string>(),
    setStatus: (status: string) => void (ctx.status = status as EngineContext['status']),
    emit: (event: EventInput) => (events.push(event), event),
    log: { info: () => undefined, warn: () => undefined, error: (source: string, message: string) => errors.push(`${source}: ${message}`) },
  } as unknown as EngineContext;
  const crashes: string[] = [];
  const pool = new AgentPool(ctx, {
    onProgress: () => undefined,
    onError: () => undefined,
    onCrash: (slot, cause) => crashes.push(`${slot.name}: ${cause}`),
    onContext: () => undefined,
  });
  pool.createSlots();
  pool.useWorkDirs({
    workDir: async (slot: AgentSlot) => {
      throw new Error(`git worktree add agents/${slot.name}/work: No space left on device`);
    },
    pathOf: () => runDir,
    taskDone: () => undefined,
    workTaken: async () => undefined,
  });
  const told: Record<string, string[]> = { 'agent-1': [], 'agent-3': [] };
  const [first, gone, third] = pool.slots as [AgentSlot, AgentSlot, AgentSlot];
  for (const slot of [first, third]) slot.adapter = { control: (what: string) => void told[slot.name]!.push(what) } as unknown as AgentSlot['adapter'];
  gone.adapter = null;
  return { ctx, pool, told, crashes, errors, gone };
}

describe('an agent that cannot be started again mid-session', () => {
  it('at a continue: the other agents go on, and that agent is reported crashed, for recovery', async () => {
    const { ctx, pool, told, crashes, errors, gone } = pausedSession();
    const surface = new ControlSurface(ctx, pool, {} as CheckpointKeeper, {} as Measurer, {} as Compressor);

    await expect(surface.resume('key')).resolves.toMatchObject({ type: 'command', name: 'continue', source: 'key' });

    expect(ctx.status).toBe('running');
    expect(told).toEqual({ 'agent-1': ['resume'], 'agent-3': ['resume'] });
    expect(gone.adapter).toBeNull();
    expect(crashes).toEqual(['agent-2: the agent could not be started: git worktree add agents/agent-2/work: No space left on device']);
    expect(errors).toEqual(['agent-2: cannot start the agent: git worktree add agents/agent-2/work: No space left on device']);
  });
});

describe('a restart (recovery, a model switch, compression) that cannot start the agent', () => {
  it('is that agent\'s crash, for recovery to take again (its attempts are counted there), not a failure of the recovery job', async () => {
    const { ctx, pool, crashes, gone } = pausedSession();
    ctx.status = 'running';
    await expect(pool.restart(gone, 'model a -> b')).resolves.toBeUndefined();
    expect(gone.adapter).toBeNull();
    expect(crashes).toEqual(['agent-2: the agent could not be started: git worktree add agents/agent-2/work: No space left on device']);
  });
});

describe('a restore mid-session whose agents cannot start', () => {
  it('starts the others and reports each that cannot start as its crash, without throwing', async () => {
    const { pool, crashes } = pausedSession();
    for (const slot of pool.slots) slot.adapter = null;
    await expect(pool.startAllOrReport()).resolves.toBeUndefined();
    expect(crashes.sort()).toEqual(['agent-1', 'agent-2', 'agent-3'].map((name) => `${name}: the agent could not be started: git worktree add agents/${name}/work: No space left on device`));
    expect(pool.slots.map((slot) => slot.adapter)).toEqual([null, null, null]);
  });
});
