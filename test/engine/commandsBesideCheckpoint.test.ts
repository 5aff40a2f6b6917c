// A person's pause, continue and stop are answered while a checkpoint walks
// project/ (seconds in a project of 50,000 files), not after it: the
// checkpoint holds the engine's serial queue, and lets these commands in
// (SerialQueue.letCommandsIn). They only signal the agents and set the
// status, which the walk does not read. A second checkpoint, a restore or a
// compress still waits its turn, and the job that took the checkpoint goes on
// only once the commands let in have ended.
//
// The real queue, keeper and control surface; a store whose checkpoint waits
// for the test to let it finish (the walk held), agents that record what
// they are told.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import type { AgentPool } from '../../src/engine/agentPool.js';
import { CheckpointKeeper } from '../../src/engine/checkpointKeeper.js';
import type { Compressor } from '../../src/engine/compressor.js';
import { ControlSurface } from '../../src/engine/controlSurface.js';
import { ControlError } from '../../src/contract/control.js';
import type { Measurer } from '../../src/engine/measurer.js';
import { answeredNow, commandContext, gate } from '../helpers/commandContext.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'megatest-beside-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const answered = <T>(promise: Promise<T>): Promise<T> => answeredNow(promise, 'the checkpoint walks project/');

/** A session with one checkpoint store whose next checkpoint waits, once started, until `walk.open()`. */
function session(name: string) {
  const root = path.join(scratch, name);
  const project = path.join(root, 'project');
  mkdirSync(project, { recursive: true });
  writeFileSync(path.join(project, 'main.js'), 'export const answer = 42;\n');
  const real = new CheckpointStore(path.join(root, 'checkpoints'));
  const walk = gate();
  const walking = gate();
  const store = Object.create(real) as CheckpointStore;
  store.checkpoint = (async (...args: Parameters<CheckpointStore['checkpoint']>) => {
    walking.open();
    await walk.opened;
    return real.checkpoint(...args);
  }) as CheckpointStore['checkpoint'];
  const { ctx, order, events } = commandContext({ name, project, store });
  const told: string[] = [];
  const adapter = { control: (what: string) => told.push(what) };
  const slots = [{ name: 'agent-1', throttledUntilMs: 0, adapter }];
  const pool = {
    slots,
    resumeState: (slot: { name: string }) => ({ name: slot.name }),
    control: (what: string) => told.push(what),
    modelOf: () => 'model-a',
  };
  const measurer = { linesOfCode: 1, lastTestRun: null, snapshot: () => ({ lines_of_code: 1 }), onRestored: () => undefined } as unknown as Measurer;
  const keeper = new CheckpointKeeper(ctx, pool as unknown as AgentPool, measurer);
  const surface = new ControlSurface(ctx, pool as unknown as AgentPool, keeper, measurer, {} as Compressor);
  return { ctx, keeper, surface, walk, walking, order, told, events };
}

describe('a checkpoint the disk refuses', () => {
  it('is answered as what it is (503, the disk refused it, the last checkpoint stands), not as an internal error', async () => {
    const { ctx, surface, walk, events } = session('refused');
    const store = ctx.store;
    store.checkpoint = (async () => {
      throw Object.assign(new Error('snapshot: cannot store project/coverage/lcov.info: ENOSPC: no space left on device, write'), {});
    }) as CheckpointStore['checkpoint'];
    walk.open();
    const error = (await surface.checkpoint('cli').catch((e: unknown) => e)) as ControlError;
    expect(error).toBeInstanceOf(ControlError);
    expect(error.status).toBe(503);
    expect(error.message).toBe('checkpoint not written: the disk refused it (snapshot: cannot store project/coverage/lcov.info: ENOSPC: no space left on device, write); the last checkpoint stands');
    expect(events.map((e) => e.type)).toEqual(['command']);
  });
});

describe('a scheduled checkpoint that fails', () => {
  it('is not tried again at every tick: the next try comes a minute later', async () => {
    const { ctx, keeper, walk } = session('retry');
    walk.open();
    let tries = 0;
    ctx.store.checkpoint = (async () => {
      tries += 1;
      throw new Error('snapshot: ENOSPC: no space left on device, write');
    }) as CheckpointStore['checkpoint'];
    (ctx as unknown as { config: unknown }).config = { checkpoint: { enabled: true, interval_minutes: 0.5, tool_call_threshold: 0, token_threshold: 0 } };
    const now = Date.now();
    const clock = vi.spyOn(Date, 'now');
    try {
      clock.mockReturnValue(now);
      await expect(keeper.checkTriggers()).rejects.toThrow(/ENOSPC/);
      await keeper.checkTriggers();
      clock.mockReturnValue(now + 59_000);
      await keeper.checkTriggers();
      expect(tries).toBe(1);
      clock.mockReturnValue(now + 61_000);
      await expect(keeper.checkTriggers()).rejects.toThrow(/ENOSPC/);
      expect(tries).toBe(2);
    } finally {
      clock.mockRestore();
    }
  });
});

describe('commands beside a checkpoint', () => {
  it('a pause and a continue are answered while the checkpoint walks project/; the job that took it goes on after them', async () => {
    const { ctx, keeper, surface, walk, walking, order, told } = session('pause-continue');
    // A timed checkpoint as the engine's tick takes it: a job on the serial queue, with more to do after the checkpoint.
    const tick = ctx.queue.run(async () => {
      await keeper.create('time');
      order.push('tick goes on');
    });
    await walking.opened;

    await answered(surface.pause('api'));
    expect(ctx.status).toBe('paused');
    expect(told).toContain('pause');
    await answered(surface.resume('cli'));
    expect(ctx.status).toBe('running');
    expect(order).toEqual(['command pause', 'command continue']);

    walk.open();
    await tick;
    expect(order).toEqual(['command pause', 'command continue', 'checkpoint_created', 'tick goes on']);
  });

  it('a stop is answered at once too', async () => {
    const { ctx, keeper, surface, walk, walking, order } = session('stop');
    const tick = ctx.queue.run(() => keeper.create('tool_calls'));
    await walking.opened;
    await answered(surface.stop('cli'));
    expect(ctx.stopRequest).toMatchObject({ reason: 'stopped by cli' });
    walk.open();
    await tick;
    expect(order).toEqual(['command stop', 'checkpoint_created']);
  });

  it('a second checkpoint waits its turn, as every job but a person pause, continue or stop does', async () => {
    const { ctx, keeper, surface, walk, walking, order } = session('second');
    const first = ctx.queue.run(() => keeper.create('time'));
    await walking.opened;
    let forcedDone = false;
    const forced = surface.checkpoint('api').then((event) => {
      forcedDone = true;
      return event;
    });
    let jobDone = false;
    const job = ctx.queue.run(async () => void (jobDone = true));
    await answered(surface.pause('api'));
    expect(forcedDone).toBe(false);
    expect(jobDone).toBe(false);
    walk.open();
    await first;
    await job;
    expect(await forced).toMatchObject({ type: 'checkpoint_created', trigger: 'forced' });
    expect(order).toEqual(['command pause', 'checkpoint_created', 'command checkpoint', 'checkpoint_created']);
  });

  it('outside a checkpoint a pause waits its turn behind the running job', async () => {
    const { ctx, surface } = session('outside');
    const held = gate();
    const job = ctx.queue.run(() => held.opened);
    let paused = false;
    const pause = surface.pause('api').then(() => (paused = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(paused).toBe(false);
    held.open();
    await job;
    await pause;
    expect(ctx.status).toBe('paused');
  });
});
