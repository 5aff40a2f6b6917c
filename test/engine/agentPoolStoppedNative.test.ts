// The session's final checkpoint is taken after every agent has stopped
// (sessionEnd.ts). What it keeps of each agent must still name the agent's
// native sessions (a claude session id per task left), or a branch or resume
// from it starts every unfinished task on a fresh context. A fake adapter
// stands in for the CLI one: only its stop and resumeState matter here.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { AgentAdapter, AgentResumeState } from '../../src/agents/types.js';
import type { EventInput } from '../../src/contract/events.js';
import { AgentPool } from '../../src/engine/agentPool.js';
import type { EngineContext } from '../../src/engine/context.js';
import { PACKAGE_ROOT } from '../../src/paths.js';

const FIXTURE = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'agents', 'protocolAgent.mjs');
const runDir = mkdtempSync(path.join(tmpdir(), 'megatest-pool-native-'));
const pools: AgentPool[] = [];
afterAll(async () => {
  for (const pool of pools) await pool.stopAll();
  rmSync(runDir, { recursive: true, force: true });
});

function poolOf(): AgentPool {
  const config = loadConfig({ flags: { agentCmd: `FIXTURE_MODE=normal exec node '${FIXTURE}'`, agents: 2 }, env: {} });
  const ctx = {
    config,
    template: { type: 'task_queue' },
    paths: { root: runDir, agents: path.join(runDir, 'agents'), project: runDir },
    info: { session_id: 'pool-native' },
    state: { session: null },
    currentPhase: { name: 'development' },
    phases: [{ name: 'development', roles: [] }],
    completedTasks: () => new Set<string>(),
    emit: (_event: EventInput) => undefined,
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    stopRequest: null,
  } as unknown as EngineContext;
  const pool = new AgentPool(ctx, { onProgress: () => undefined, onError: () => undefined, onCrash: () => undefined, onContext: () => undefined });
  pools.push(pool);
  pool.createSlots();
  return pool;
}

/** An adapter whose sessions are known until it is stopped, as the CLI adapter's are. */
function fakeAdapter(native: Record<string, unknown>): AgentAdapter {
  const state = (): AgentResumeState => ({ kind: 'claude-code', name: 'agent-1', role: 'developer', model: 'm', phase: 'development', objectives: [], completed: [], context_tokens: 0, native });
  return { stop: async () => ({ code: 0, signal: null }), resumeState: state } as unknown as AgentAdapter;
}

describe('AgentPool.resumeState of a stopped agent', () => {
  it('keeps the native sessions its adapter had when megatest stopped it, until another process starts', async () => {
    const pool = poolOf();
    const [first, second] = pool.slots as [typeof pool.slots[0], typeof pool.slots[0]];
    const sessions = { sessions: { 'task one': 'session-1', 'task two': 'session-2' } };
    first.adapter = fakeAdapter(sessions);
    second.adapter = fakeAdapter({ sessions: { 'task three': 'session-3' } });

    await pool.stopAll();

    expect(first.adapter).toBeNull();
    expect(pool.resumeState(first).native).toEqual(sessions);
    expect(pool.resumeState(second).native).toEqual({ sessions: { 'task three': 'session-3' } });

    // A new process is a new set of sessions: the stopped one's are not carried into its checkpoints.
    await pool.start(first);
    expect(pool.resumeState(first).native).toBe(first.adapter!.resumeState().native);
    await pool.stopAll();
    expect(pool.resumeState(first).native).toEqual(first.stoppedNative);
    expect(pool.resumeState(first).native).not.toEqual(sessions);
  });
});
