// A person's pause, continue and stop are answered while a restore mid-session
// checks its checkpoint, stops the agents and puts project/ back (seconds in a
// big project), not after it. The restore holds the engine's serial queue and lets these commands in
// (SerialQueue.letCommandsIn); a pause or continue then only says whether the
// agents it starts again start paused (EngineContext.restoreUnderWay). A
// continue never starts an agent itself there: the restore starts them all.
// A resume's restore (no agent started yet) lets nothing in.
//
// The real queue, keeper, control surface and checkpoint store; a store whose
// restore, or a pool whose stopping of the agents, waits for the test.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ControlError } from '../../src/contract/control.js';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import type { AgentPool } from '../../src/engine/agentPool.js';
import { CheckpointKeeper } from '../../src/engine/checkpointKeeper.js';
import type { Compressor } from '../../src/engine/compressor.js';
import { ControlSurface } from '../../src/engine/controlSurface.js';
import type { Measurer } from '../../src/engine/measurer.js';
import { answeredNow, commandContext, gate } from '../helpers/commandContext.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'megatest-beside-restore-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const answered = <T>(promise: Promise<T>): Promise<T> => answeredNow(promise, 'the restore checks its checkpoint or puts project/ back');

type Hold = 'files' | 'agents stopping' | 'checking';

/** A session of one agent with one checkpoint taken; its next restore waits, once at `hold`, until `held.open()`. */
async function session(name: string, hold: Hold, status: 'running' | 'paused' = 'running') {
  const root = path.join(scratch, name);
  const project = path.join(root, 'project');
  mkdirSync(project, { recursive: true });
  const main = path.join(project, 'main.js');
  writeFileSync(main, 'export const answer = 42;\n');
  const real = new CheckpointStore(path.join(root, 'checkpoints'));
  const held = gate();
  const reached = gate();
  const store = Object.create(real) as CheckpointStore;
  store.read = (async (...args: Parameters<CheckpointStore['read']>) => {
    if (hold === 'checking') {
      reached.open();
      await held.opened;
    }
    return real.read(...args);
  }) as CheckpointStore['read'];
  store.restore = (async (...args: Parameters<CheckpointStore['restore']>) => {
    if (hold === 'files') {
      reached.open();
      await held.opened;
    }
    return real.restore(...args);
  }) as CheckpointStore['restore'];
  const { ctx, order, events } = commandContext({ name, project, store, status });
  const told: string[] = [];
  /** The session's status each time the restore started the agents again. */
  const startedWhile: string[] = [];
  const slots = [{ name: 'agent-1', throttledUntilMs: 0, adapter: { control: (what: string) => told.push(what) } as unknown, objectives: [], modelIndex: 0 }];
  const pool = {
    slots,
    resumeState: (slot: { name: string }) => ({ name: slot.name }),
    control: (what: string) => told.push(what),
    modelOf: () => 'model-a',
    find: (agent: string) => slots.find((slot) => slot.name === agent),
    stopAll: async () => {
      if (hold === 'agents stopping') {
        reached.open();
        await held.opened;
      }
      for (const slot of slots) slot.adapter = null;
      order.push('agents stopped');
    },
    startAllOrReport: async () => {
      startedWhile.push(ctx.status);
      for (const slot of slots) slot.adapter = { control: (what: string) => told.push(what) };
      order.push('agents started');
    },
    startAll: async () => {
      startedWhile.push(ctx.status);
      order.push('agents started');
    },
    assignAll: () => undefined,
  };
  const measurer = { linesOfCode: 1, lastTestRun: null, snapshot: () => ({ lines_of_code: 1 }), onRestored: () => undefined } as unknown as Measurer;
  const keeper = new CheckpointKeeper(ctx, pool as unknown as AgentPool, measurer);
  const surface = new ControlSurface(ctx, pool as unknown as AgentPool, keeper, measurer, {} as Compressor);
  const taken = (await ctx.queue.run(() => keeper.create('time'))) as { id: string };
  // What the restore puts back.
  writeFileSync(main, 'export const answer = 41;\n');
  order.length = 0;
  events.length = 0;
  told.length = 0;
  const restoreFile = () => readFileSync(main, 'utf8');
  return { ctx, keeper, surface, held, reached, order, told, startedWhile, checkpoint: taken.id, restoreFile };
}

describe.each<Hold>(['files', 'agents stopping'])('commands beside a restore (held while %s)', (hold) => {
  it('a pause is answered at once; the restore starts the agents again paused and leaves the session paused', async () => {
    const { ctx, surface, held, reached, order, told, startedWhile, checkpoint, restoreFile } = await session(`pause-${hold}`, hold);
    const restore = surface.restore(checkpoint, 'api');
    await reached.opened;
    expect(ctx.status).toBe('recovering');

    await answered(surface.pause('key'));
    // The agents are stopping, or stopped: nobody is signalled (but of the checkpoint kept before the restore); the
    // restore says paused once it is done.
    expect(told).toEqual(['checkpoint']);
    await expect(answered(surface.pause('api'))).rejects.toThrowError(/already paused/);

    held.open();
    await restore;
    expect(restoreFile()).toBe('export const answer = 42;\n');
    expect(startedWhile).toEqual(['paused']);
    expect(ctx.status).toBe('paused');
    const stoppedThen = hold === 'files' ? ['agents stopped', 'command pause'] : ['command pause', 'agents stopped'];
    // The checkpoint kept before the restore comes first (the restore can be undone by restoring it).
    expect(order).toEqual(['command restore', 'checkpoint_created', ...stoppedThen, 'checkpoint_restored', 'agents started']);
  });

  it('a pause then a continue: both answered; the agents start again running, started once, by the restore', async () => {
    const { ctx, surface, held, reached, order, startedWhile, checkpoint } = await session(`pause-continue-${hold}`, hold);
    const restore = surface.restore(checkpoint, 'api');
    await reached.opened;
    await answered(surface.pause('key'));
    await answered(surface.resume('key'));
    expect(ctx.status).toBe('recovering');
    held.open();
    await restore;
    expect(startedWhile).toEqual(['recovering']);
    expect(ctx.status).toBe('running');
    expect(order.filter((step) => step.startsWith('command') || step === 'agents started')).toEqual([
      'command restore',
      'command pause',
      'command continue',
      'agents started',
    ]);
  });

  it('a continue of a session paused before the restore is answered; it goes on running after it', async () => {
    const { ctx, surface, held, reached, startedWhile, checkpoint } = await session(`continue-${hold}`, hold, 'paused');
    const restore = surface.restore(checkpoint, 'api');
    await reached.opened;
    await answered(surface.resume('api'));
    held.open();
    await restore;
    expect(startedWhile).toEqual(['recovering']);
    expect(ctx.status).toBe('running');
  });

  it('a continue of a running session is refused at once; a stop is answered at once', async () => {
    const { ctx, surface, held, reached, order, checkpoint } = await session(`stop-${hold}`, hold);
    const restore = surface.restore(checkpoint, 'api');
    await reached.opened;
    const refused = await answered(surface.resume('api')).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ControlError);
    expect((refused as ControlError).message).toBe('the session is recovering, not paused');
    await answered(surface.stop('cli'));
    expect(ctx.stopRequest).toMatchObject({ reason: 'stopped by cli' });
    held.open();
    await restore;
    expect(order.filter((step) => step.startsWith('command'))).toEqual(['command restore', 'command stop']);
  });
});

describe('commands while a restore checks its checkpoint (every blob looked at), before it touches anything', () => {
  it('a pause acts as at any other time: the agents are told, and the restore starts them again paused', async () => {
    const { ctx, surface, held, reached, order, told, startedWhile, checkpoint } = await session('check-pause', 'checking');
    const restore = surface.restore(checkpoint, 'api');
    await reached.opened;
    expect(ctx.status).toBe('running');
    await answered(surface.pause('key'));
    expect(ctx.status).toBe('paused');
    // The checkpoint kept before the restore comes once the check has passed: after this pause.
    expect(told).toEqual(['pause']);
    held.open();
    await restore;
    expect(startedWhile).toEqual(['paused']);
    expect(ctx.status).toBe('paused');
    expect(order).toEqual(['command restore', 'command pause', 'checkpoint_created', 'agents stopped', 'checkpoint_restored', 'agents started']);
  });

  it('a continue of a paused session acts as at any other time; the restore then leaves it running', async () => {
    const { ctx, surface, held, reached, told, startedWhile, checkpoint } = await session('check-continue', 'checking', 'paused');
    const restore = surface.restore(checkpoint, 'api');
    await reached.opened;
    await answered(surface.resume('key'));
    expect(ctx.status).toBe('running');
    expect(told).toEqual(['resume']);
    held.open();
    await restore;
    expect(startedWhile).toEqual(['recovering']);
    expect(ctx.status).toBe('running');
  });
});

describe('outside a mid-session restore', () => {
  it('a paused session restored with nothing said goes on paused, its agents started paused', async () => {
    const { ctx, surface, held, startedWhile, checkpoint } = await session('paused-plain', 'files', 'paused');
    held.open();
    await surface.restore(checkpoint, 'api');
    expect(startedWhile).toEqual(['paused']);
    expect(ctx.status).toBe('paused');
    expect(ctx.restoreUnderWay).toBeNull();
  });

  it("a resume's restore (no agent started yet) lets no command in: a pause waits its turn", async () => {
    const { ctx, keeper, surface, held, reached, checkpoint } = await session('resume', 'files');
    ctx.status = 'recovering';
    const resume = ctx.queue.run(() => keeper.resumeFrom(checkpoint, () => undefined));
    await reached.opened;
    let paused = false;
    const pause = surface.pause('api').then(() => (paused = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(paused).toBe(false);
    held.open();
    expect(await resume).toBe(true);
    await pause;
    expect(ctx.status).toBe('paused');
  });

  it('a restore of a checkpoint that does not exist is refused (404) and not recorded; one that exists is', async () => {
    const { surface, held, order, checkpoint } = await session('unknown', 'files');
    held.open();
    await expect(surface.restore('checkpoint_999', 'api')).rejects.toMatchObject({ status: 404 });
    expect(order).toEqual([]);
    await surface.restore(checkpoint, 'api');
    expect(order[0]).toBe('command restore');
    expect(order).toContain('checkpoint_restored');
  });

  it("a command's events are flushed to events.jsonl before its answer comes (a kill -9 right after it loses none)", async () => {
    const { ctx, surface, held, order } = await session('flushed', 'files');
    held.open();
    (ctx.events as unknown as { flush: () => void }).flush = () => void order.push('flush');
    const answered = surface.pause('api').then(() => order.push('answered'));
    await answered;
    expect(order).toEqual(['command pause', 'flush', 'answered']);
    order.length = 0;
    // A refused one too: what it did record before the refusal is written.
    await expect(surface.pause('api')).rejects.toThrow(/already paused/);
    expect(order.at(-1)).toBe('flush');
  });
});
