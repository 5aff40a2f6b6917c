// An agent is never two processes: a start of a slot whose process is still
// running stops that process first. The one replaced would otherwise go on
// working in project/ (and, for a real agent, spending) with its output
// ignored, as a resume that found no checkpoint it could restore once did
// (test/engine/checkpointKeeper.test.ts). A real process speaking the
// protocol (the command agent's fixture) stands in for the agent.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { EventInput } from '../../src/contract/events.js';
import { AgentPool } from '../../src/engine/agentPool.js';
import type { EngineContext } from '../../src/engine/context.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { isPidAlive } from '../../src/io/processAlive.js';

const FIXTURE = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'agents', 'protocolAgent.mjs');
const runDir = mkdtempSync(path.join(tmpdir(), 'megatest-pool-start-'));
const pools: AgentPool[] = [];
afterAll(async () => {
  for (const pool of pools) await pool.stopAll();
  rmSync(runDir, { recursive: true, force: true });
});

describe('AgentPool.start', () => {
  it('stops the process a slot still has before it starts another', async () => {
    const config = loadConfig({ flags: { agentCmd: `FIXTURE_MODE=normal exec node '${FIXTURE}'`, agents: 2 }, env: {} });
    const events: EventInput[] = [];
    const warnings: string[] = [];
    const ctx = {
      config,
      template: { type: 'task_queue' },
      paths: { root: runDir, agents: path.join(runDir, 'agents'), project: runDir },
      info: { session_id: 'pool-start' },
      state: { session: null },
      currentPhase: { name: 'development' },
      completedTasks: () => new Set<string>(),
      emit: (event: EventInput) => events.push(event),
      log: { info: () => undefined, warn: (source: string, message: string) => warnings.push(`${source}: ${message}`), error: () => undefined },
      stopRequest: null,
    } as unknown as EngineContext;
    const pool = new AgentPool(ctx, { onProgress: () => undefined, onError: () => undefined, onCrash: () => undefined, onContext: () => undefined });
    pools.push(pool);
    pool.createSlots();
    const slot = pool.slots[0]!;

    await pool.start(slot);
    const first = slot.adapter!.pid!;
    expect(isPidAlive(first)).toBe(true);
    await pool.start(slot);
    const second = slot.adapter!.pid!;

    expect(second).not.toBe(first);
    expect(isPidAlive(first)).toBe(false);
    expect(isPidAlive(second)).toBe(true);
    expect(warnings).toEqual(['agent-1: started again while its process was still running: that process is stopped first']);
    // (What the fixture says meanwhile, its tool calls and a malformed line, is left out.)
    const lifecycle = events.filter((event) => event.type === 'agent_started' || event.type === 'agent_exited');
    expect(lifecycle.map((event) => [event.type, (event as { cause?: string }).cause])).toEqual([
      ['agent_started', undefined],
      ['agent_exited', 'stopped by megatest'],
      ['agent_started', undefined],
    ]);
  });
});
