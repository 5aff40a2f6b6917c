// Shared by the replay console's tests: a manual clock for the play and
// refresh timers, and controllers over the recorded fixtures (in-memory
// sources, so these tests do not depend on the seek index).

import type { MegatestEvent } from '../../../src/contract/events.js';
import { ReplayController, type ReplayOptions, type ReplayTimers } from '../../../src/ui/replay/controller.js';
import { frameText } from '../../../src/ui/replay/replayConsole.js';
import { loadFixtureEvents, loadFixtureLog, memorySource, type MemorySource } from '../../replay/memorySource.js';
import { look } from '../helpers.js';

export const RUN_DIR = 'test_runs/rec';

/** Timers that move only when told: `advance` fires what falls due, waiting for the controller between frames. */
export class ManualTimers implements ReplayTimers {
  private at = 1_000_000;
  private nextId = 1;
  private readonly intervals = new Map<number, { callback: () => void; every: number; due: number }>();
  fired = 0;

  now = (): number => this.at;

  setInterval = (callback: () => void, every: number): unknown => {
    const id = this.nextId++;
    this.intervals.set(id, { callback, every, due: this.at + every });
    return id;
  };

  clearInterval = (handle: unknown): void => {
    this.intervals.delete(handle as number);
  };

  async advance(ms: number, controller: ReplayController): Promise<void> {
    const end = this.at + ms;
    for (;;) {
      const due = [...this.intervals.entries()].filter(([, t]) => t.due <= end).sort((a, b) => a[1].due - b[1].due)[0];
      if (!due) break;
      const [, timer] = due;
      this.at = timer.due;
      timer.due += timer.every;
      this.fired += 1;
      timer.callback();
      await controller.idle();
    }
    this.at = end;
  }

  count(): number {
    return this.intervals.size;
  }
}

export function restoreEvents(): MegatestEvent[] {
  return loadFixtureEvents('restore_session.jsonl');
}

export function restoreSource(): MemorySource {
  return memorySource(restoreEvents(), { runDir: RUN_DIR });
}

/** sim_session has errors, recoveries, a restore and its session.log. */
export function simSource(): MemorySource {
  return memorySource(loadFixtureEvents('sim_session.jsonl'), { logLines: loadFixtureLog('sim_session.log'), runDir: RUN_DIR });
}

export function openController(source: MemorySource, options: ReplayOptions = {}): Promise<ReplayController> {
  return ReplayController.open(source, { follow: false, ...options });
}

export function frameOf(controller: ReplayController, columns = 100, rows = 40, ascii = false): string {
  return frameText(controller, { runDir: RUN_DIR, columns, rows, look: look('mono', ascii) });
}
