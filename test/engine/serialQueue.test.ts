// The serial queue, and its coalesced periodic job: a tick asked for many
// times behind long work runs once, not once per asking.

import { describe, expect, it } from 'vitest';
import { SerialQueue } from '../../src/engine/serialQueue.js';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe('SerialQueue', () => {
  it('runs jobs one at a time, in order, past a failed one', async () => {
    const queue = new SerialQueue();
    const order: string[] = [];
    const held = gate();
    const first = queue.run(async () => {
      await held.opened;
      order.push('first');
    });
    const failing = queue.run(async () => {
      order.push('failing');
      throw new Error('no');
    });
    const third = queue.run(async () => {
      order.push('third');
    });
    held.open();
    await first;
    await expect(failing).rejects.toThrow('no');
    await third;
    expect(order).toEqual(['first', 'failing', 'third']);
  });

  it('a coalesced job asked for again and again behind a long job runs once, in its turn; asked for while it runs, once more after', async () => {
    const queue = new SerialQueue();
    const order: string[] = [];
    let ticks = 0;
    let tickGate: ReturnType<typeof gate> | null = null;
    const tick = queue.coalesced(async () => {
      ticks += 1;
      order.push(`tick ${ticks}`);
      if (tickGate) await tickGate.opened;
    });
    const long = gate();
    const restore = queue.run(async () => {
      await long.opened;
      order.push('restore');
    });
    // 120 ticks of a 30 s restore, then a person's command.
    const asked = Array.from({ length: 120 }, () => tick());
    const command = queue.run(async () => {
      order.push('command');
    });
    long.open();
    await restore;
    await Promise.all(asked);
    await command;
    expect(order).toEqual(['restore', 'tick 1', 'command']);

    // Asked for while it runs: it runs once more, after.
    tickGate = gate();
    const running = tick();
    await new Promise((resolve) => setImmediate(resolve));
    expect(ticks).toBe(2);
    const again = [tick(), tick(), tick()];
    tickGate.open();
    await running;
    tickGate = null;
    await Promise.all(again);
    expect(ticks).toBe(3);
  });

  it('a coalesced job that fails is asked for again next time', async () => {
    const queue = new SerialQueue();
    let runs = 0;
    const tick = queue.coalesced(async () => {
      runs += 1;
      if (runs === 1) throw new Error('first tick failed');
    });
    await expect(tick()).rejects.toThrow('first tick failed');
    await tick();
    expect(runs).toBe(2);
  });

  it('lets a person command in while the running job does long work, and the job goes on only after the command ends', async () => {
    const queue = new SerialQueue();
    const order: string[] = [];
    const work = gate();
    const workStarted = gate();
    const commandHeld = gate();
    const job = queue.run(async () => {
      await queue.letCommandsIn(async () => {
        workStarted.open();
        await work.opened;
        order.push('work done');
      });
      order.push('job goes on');
    });
    const queued = queue.run(async () => void order.push('queued job'));
    await workStarted.opened;
    const first = queue.runCommand(async () => {
      order.push('command 1 starts');
      await commandHeld.opened;
      order.push('command 1 ends');
    });
    const second = queue.runCommand(async () => void order.push('command 2'));
    await new Promise((resolve) => setImmediate(resolve));
    // At once, one at a time: the second waits for the first, not for the job.
    expect(order).toEqual(['command 1 starts']);
    work.open();
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['command 1 starts', 'work done']);
    commandHeld.open();
    await Promise.all([job, first, second, queued]);
    expect(order).toEqual(['command 1 starts', 'work done', 'command 1 ends', 'command 2', 'job goes on', 'queued job']);
  });

  it('a command let in that fails is the caller\'s failure; the job goes on', async () => {
    const queue = new SerialQueue();
    const work = gate();
    const workStarted = gate();
    const job = queue.run(() =>
      queue.letCommandsIn(async () => {
        workStarted.open();
        await work.opened;
        return 'checkpoint';
      }),
    );
    await workStarted.opened;
    await expect(queue.runCommand(async () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    await expect(queue.runCommand(async () => 'paused')).resolves.toBe('paused');
    work.open();
    await expect(job).resolves.toBe('checkpoint');
  });

  it('outside such work a command waits its turn', async () => {
    const queue = new SerialQueue();
    const order: string[] = [];
    const held = gate();
    const job = queue.run(async () => {
      await held.opened;
      order.push('job');
    });
    const command = queue.runCommand(async () => void order.push('command'));
    held.open();
    await Promise.all([job, command]);
    expect(order).toEqual(['job', 'command']);
  });

  it('a command waiting its turn is let in when the running job begins long work, and runs once', async () => {
    const queue = new SerialQueue();
    const order: string[] = [];
    const commit = gate();
    const walk = gate();
    const walkStarted = gate();
    // A phase end: a commit (no commands let in), then a checkpoint's walk (commands let in).
    const phaseEnd = queue.run(async () => {
      await commit.opened;
      order.push('commit');
      await queue.letCommandsIn(async () => {
        walkStarted.open();
        await walk.opened;
        order.push('walk');
      });
      order.push('phase end goes on');
    });
    const tick = queue.run(async () => void order.push('tick'));
    let runs = 0;
    // Asked for during the commit: it waits its turn, behind the phase end and the tick.
    const pause = queue.runCommand(async () => {
      runs += 1;
      order.push('pause');
      return 'paused';
    });
    commit.open();
    await walkStarted.opened;
    await new Promise((resolve) => setImmediate(resolve));
    // The walk lets it in: answered now, not after the walk and the tick.
    expect(order).toEqual(['commit', 'pause']);
    await expect(pause).resolves.toBe('paused');
    walk.open();
    await Promise.all([phaseEnd, tick]);
    expect(order).toEqual(['commit', 'pause', 'walk', 'phase end goes on', 'tick']);
    expect(runs).toBe(1);
  });

  it("a person's command asked for after one that waits its turn (a checkpoint) is not let in ahead of it", async () => {
    const queue = new SerialQueue();
    const order: string[] = [];
    const busy = gate();
    const walk = gate();
    const walkStarted = gate();
    const job = queue.run(async () => {
      await busy.opened;
      await queue.letCommandsIn(async () => {
        walkStarted.open();
        await walk.opened;
        order.push('walk');
      });
    });
    const paused = queue.runCommand(async () => void order.push('pause'));
    const checkpoint = queue.runInTurn(async () => void order.push('checkpoint'));
    const stopped = queue.runCommand(async () => void order.push('stop'));
    busy.open();
    await walkStarted.opened;
    await new Promise((resolve) => setImmediate(resolve));
    // The pause, asked first, is let in; the stop waits behind the checkpoint it came after.
    expect(order).toEqual(['pause']);
    walk.open();
    await Promise.all([job, paused, checkpoint, stopped]);
    expect(order).toEqual(['pause', 'walk', 'checkpoint', 'stop']);
  });
});
