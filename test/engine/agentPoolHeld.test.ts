// A restarted agent whose slot is held (an hourly throttle, a recovery's
// backoff) starts paused: the new process is the same agent, and the wait's
// own timer resumes it. A restore, a switch of model or a compression by
// restart once freed an agent throttled for the hour to spend another hour's
// tokens at once, with no new limit event. The adapter is a stand-in that
// records the controls it is sent; nothing is spawned and nothing waits.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { EventInput } from '../../src/contract/events.js';
import type { EngineContext } from '../../src/engine/context.js';

const controls: string[] = [];
vi.mock('../../src/engine/agentLaunch.js', () => ({
  adapterFor: () => ({
    pid: undefined,
    capabilities: {},
    start: async () => undefined,
    stop: async () => undefined,
    control: (command: string) => {
      controls.push(command);
      return { ok: true };
    },
    assign: () => undefined,
    resumeState: () => undefined,
  }),
}));
const { AgentPool } = await import('../../src/engine/agentPool.js');
const { loadConfig } = await import('../../src/config/load.js');

const runDir = mkdtempSync(path.join(tmpdir(), 'megatest-pool-held-'));
afterAll(() => rmSync(runDir, { recursive: true, force: true }));

function poolOf(status: string) {
  const config = loadConfig({ flags: { agentCmd: 'true', agents: 1 }, env: {} });
  const events: EventInput[] = [];
  const infos: string[] = [];
  const ctx = {
    config,
    status,
    paths: { root: runDir, agents: path.join(runDir, 'agents'), project: runDir },
    currentPhase: { name: 'development' },
    completedTasks: () => new Set<string>(),
    emit: (event: EventInput) => events.push(event),
    log: { info: (source: string, message: string) => infos.push(`${source}: ${message}`), warn: () => undefined, error: () => undefined },
    stopRequest: null,
  } as unknown as EngineContext;
  const pool = new AgentPool(ctx, { onProgress: () => undefined, onError: () => undefined, onCrash: () => undefined, onContext: () => undefined });
  pool.createSlots();
  return { pool, slot: pool.slots[0]!, infos };
}

describe('AgentPool.start of a held agent', () => {
  it('a throttled (or backing-off) agent starts paused, saying why', async () => {
    controls.length = 0;
    const { pool, slot, infos } = poolOf('running');
    slot.throttledUntilMs = Date.now() + 3_600_000;
    await pool.start(slot);
    expect(controls).toEqual(['pause']);
    expect(infos.some((line) => /agent-1: started paused: its wait .* s left/.test(line))).toBe(true);
  });

  it('an agent whose wait is over starts running', async () => {
    controls.length = 0;
    const { pool, slot } = poolOf('running');
    slot.throttledUntilMs = Date.now() - 1;
    await pool.start(slot);
    expect(controls).toEqual([]);
  });

  it('a paused session still starts its agents paused', async () => {
    controls.length = 0;
    const { pool, slot } = poolOf('paused');
    await pool.start(slot);
    expect(controls).toEqual(['pause']);
  });
});
