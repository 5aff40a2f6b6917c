// Ctrl-Z's suspend, step by step with fakes: the console unmounts, gives the
// screen back, stops its job, and after the shell continues it takes the
// screen again and draws anew (the real stop is in
// test/e2e/consoleSuspend.tmux.test.ts).

import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CLEAR_SCREEN, drawUntilLeft, ENTER_ALTERNATE_SCREEN, LEAVE_ALTERNATE_SCREEN, type DrawnConsole, type ScreenKeys } from '../../src/ui/terminalScreen.js';

function harness(isTTY: boolean, stopped: boolean) {
  const steps: string[] = [];
  const stdout = Object.assign(new EventEmitter(), {
    isTTY,
    write(text: string) {
      steps.push(text === ENTER_ALTERNATE_SCREEN ? 'enter screen' : text === LEAVE_ALTERNATE_SCREEN ? 'leave screen' : text === CLEAR_SCREEN ? 'clear screen' : `write ${text}`);
      return true;
    },
  }) as unknown as NodeJS.WriteStream;
  let leave!: () => void;
  const left = new Promise<void>((resolve) => {
    leave = resolve;
  });
  const suspends: ((() => void) | undefined)[] = [];
  const redraws: ((() => void) | undefined)[] = [];
  let draws = 0;
  const draw = (keys: ScreenKeys | undefined): DrawnConsole => {
    const n = ++draws;
    suspends.push(keys?.suspend);
    redraws.push(keys?.redraw);
    steps.push(`draw ${n}`);
    let exit!: () => void;
    const exited = new Promise<void>((resolve) => {
      exit = resolve;
    });
    return {
      unmount() {
        steps.push(`unmount ${n}`);
        exit();
      },
      waitUntilExit: () => exited,
    };
  };
  const done = drawUntilLeft({
    stdout,
    draw,
    left,
    stopJob: async () => {
      steps.push('stop job');
      return stopped;
    },
    onNotStopped: () => steps.push('told: not stopped'),
  });
  return { steps, suspends, redraws, leave, done };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('drawUntilLeft', () => {
  it('on Ctrl-Z: unmounts, gives the screen back, stops the job, and after fg takes the screen again with a new drawing', async () => {
    const h = harness(true, true);
    expect(h.steps).toEqual(['enter screen', 'draw 1']);
    h.suspends[0]!();
    await settle();
    expect(h.steps).toEqual(['enter screen', 'draw 1', 'unmount 1', 'leave screen', 'stop job', 'enter screen', 'draw 2']);
    // Suspended again, then left.
    h.suspends[1]!();
    await settle();
    h.leave();
    await h.done;
    expect(h.steps.slice(7)).toEqual(['unmount 2', 'leave screen', 'stop job', 'enter screen', 'draw 3', 'unmount 3', 'leave screen']);
  });

  it('says so when the job could not be stopped (no shell with job control), and draws again', async () => {
    const h = harness(true, false);
    h.suspends[0]!();
    await settle();
    expect(h.steps).toEqual(['enter screen', 'draw 1', 'unmount 1', 'leave screen', 'stop job', 'enter screen', 'told: not stopped', 'draw 2']);
    h.leave();
    await h.done;
  });

  it('on Ctrl-L: unmounts, clears the screen and draws anew, staying on the alternate screen', async () => {
    const h = harness(true, true);
    h.redraws[0]!();
    await settle();
    expect(h.steps).toEqual(['enter screen', 'draw 1', 'unmount 1', 'clear screen', 'draw 2']);
    h.leave();
    await h.done;
    expect(h.steps.slice(5)).toEqual(['unmount 2', 'leave screen']);
  });

  it('in no terminal: no alternate screen, and nothing to suspend or redraw', async () => {
    const h = harness(false, true);
    expect(h.suspends).toEqual([undefined]);
    expect(h.redraws).toEqual([undefined]);
    h.leave();
    await h.done;
    expect(h.steps).toEqual(['draw 1', 'unmount 1']);
  });
});
