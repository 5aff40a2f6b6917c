// A recovery's restart of an agent (a model switch, a compress by restart)
// first waits for the agent to stop: a hung one takes its grace of 3 s and
// more. A CLI agent's compress (its task's process stopped, the task run
// again on a summary) gives that process 5 s. A person's pause, continue and stop are answered meanwhile
// (SerialQueue.letCommandsIn), not after it. The slot keeps its adapter until
// the agent has stopped, so a continue then does not start it a second time:
// the restart starts it, paused when the session is.
//
// The real queue, pool and control surface; an agent whose stop waits for the
// test, and worktrees that cannot be made, so that every start of an agent is
// seen (as its crash) without a process.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { EventInput } from '../../src/contract/events.js';
import { AgentPool, type AgentSlot } from '../../src/engine/agentPool.js';
import type { CheckpointKeeper } from '../../src/engine/checkpointKeeper.js';
import { Compressor } from '../../src/engine/compressor.js';
import type { EngineContext } from '../../src/engine/context.js';
import { ControlSurface } from '../../src/engine/controlSurface.js';
import type { Measurer } from '../../src/engine/measurer.js';
import { SerialQueue } from '../../src/engine/serialQueue.js';
import { answeredNow, gate } from '../helpers/commandContext.js';

const runDir = mkdtempSync(path.join(tmpdir(), 'megatest-restart-'));
afterAll(() => rmSync(runDir, { recursive: true, force: true }));

const answered = <T>(promise: Promise<T>): Promise<T> => answeredNow(promise, 'the restart waits for its agent to stop');

/** A running session of two agents over the real pool; agent-1's stop waits until `held.open()`. */
function session() {
  const config = loadConfig({ flags: { agents: 2 }, env: {} });
  const events: EventInput[] = [];
  const ctx = {
    config,
    queue: new SerialQueue(),
    events: { flush: () => undefined },
    status: 'running',
    stopRequest: null,
    template: { type: 'task_queue' },
    paths: { root: runDir, agents: path.join(runDir, 'agents'), project: runDir },
    info: { session_id: 'restart' },
    state: { session: null },
    currentPhase: { name: 'development' },
    completedTasks: () => new Set<string>(),
    setStatus: (status: string) => void (ctx.status = status as EngineContext['status']),
    emit: (event: EventInput) => (events.push(event), event),
    requestStop: (request: { reason: string }) => void (ctx.stopRequest = request as unknown as EngineContext['stopRequest']),
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
  } as unknown as EngineContext;
  /** Each start of an agent: its worktree cannot be made, so it is that agent's crash, with the session's status then. */
  const starts: string[] = [];
  const pool = new AgentPool(ctx, {
    onProgress: () => undefined,
    onError: () => undefined,
    onCrash: (slot) => starts.push(`${slot.name} while ${ctx.status}`),
    onContext: () => undefined,
  });
  pool.createSlots();
  pool.useWorkDirs({
    workDir: async () => {
      throw new Error('git worktree add: No space left on device');
    },
    pathOf: () => runDir,
    taskDone: () => undefined,
    workTaken: async () => undefined,
  });
  const told: Record<string, string[]> = { 'agent-1': [], 'agent-2': [] };
  const held = gate();
  const stopping = gate();
  const [hung, other] = pool.slots as [AgentSlot, AgentSlot];
  hung.adapter = {
    control: (what: string) => void told['agent-1']!.push(what),
    resumeState: () => ({ name: 'agent-1' }),
    stop: async () => {
      stopping.open();
      await held.opened;
      return { code: null, signal: 'SIGTERM' };
    },
  } as unknown as AgentSlot['adapter'];
  other.adapter = { control: (what: string) => void told['agent-2']!.push(what) } as unknown as AgentSlot['adapter'];
  const surface = new ControlSurface(ctx, pool, {} as CheckpointKeeper, {} as Measurer, {} as Compressor);
  return { ctx, pool, surface, hung, held, stopping, told, starts };
}

describe('commands beside a restart that waits for its agent to stop', () => {
  it('a pause is answered at once; the restart then starts the agent paused', async () => {
    const { ctx, pool, surface, hung, held, stopping, told, starts } = session();
    const restart = ctx.queue.run(() => pool.restart(hung, 'agent_hang'));
    await stopping.opened;
    await answered(surface.pause('key'));
    expect(ctx.status).toBe('paused');
    expect(told).toEqual({ 'agent-1': ['pause'], 'agent-2': ['pause'] });
    held.open();
    await restart;
    expect(starts).toEqual(['agent-1 while paused']);
  });

  it('a pause and a continue are answered; the agent is started once, by the restart', async () => {
    const { ctx, pool, surface, hung, held, stopping, told, starts } = session();
    const restart = ctx.queue.run(() => pool.restart(hung, 'agent_hang'));
    await stopping.opened;
    await answered(surface.pause('key'));
    await answered(surface.resume('key'));
    expect(ctx.status).toBe('running');
    expect(told['agent-2']).toEqual(['pause', 'resume']);
    // The continue left the stopping agent to the restart.
    expect(starts).toEqual([]);
    held.open();
    await restart;
    expect(starts).toEqual(['agent-1 while running']);
  });

  it('a stop is answered at once', async () => {
    const { ctx, pool, surface, hung, held, stopping } = session();
    const restart = ctx.queue.run(() => pool.restart(hung, 'agent_hang'));
    await stopping.opened;
    await answered(surface.stop('cli'));
    expect(ctx.stopRequest).toMatchObject({ reason: 'stopped by cli' });
    held.open();
    await restart;
  });
});

describe('commands beside a CLI agent compressing itself', () => {
  it('a pause is answered while its task\'s process stops; the compress goes on after it', async () => {
    const { ctx, pool, hung, held, stopping, told } = session();
    hung.adapter = {
      ...(hung.adapter as object),
      compressContext: async () => {
        stopping.open();
        await held.opened;
        return { tokensBefore: 9000, tokensAfter: 300, detail: 'harness compression' };
      },
    } as unknown as AgentSlot['adapter'];
    const surface = new ControlSurface(ctx, pool, {} as CheckpointKeeper, {} as Measurer, new Compressor(ctx, pool));
    const compress = surface.compress('agent-1', 'api');
    await stopping.opened;
    await answered(surface.pause('key'));
    expect(ctx.status).toBe('paused');
    expect(told['agent-1']).toEqual(['pause']);
    held.open();
    expect(await compress).toEqual([expect.objectContaining({ type: 'compress', agent: 'agent-1', tokens_before: 9000, tokens_after: 300 })]);
  });
});
