// The store makes its small file-system calls synchronously and lets the
// event loop run every slice (Breather, tree.ts), so the orchestrator goes on
// answering (a person's pause, the API, its agents' output) while it walks,
// restores or checks thousands of files. Lanes of a forEachLimit share one
// pause: each waiting on a turn of its own, they came back one after another
// in a single turn, each for a slice of its own (32 lanes checking the blobs
// of a checkpoint of 30,000 files held the loop 0.3-0.5 s).
//
// Time here is a fake clock (performance.now), so what is counted is turns
// of the event loop against work done, never the machine's speed.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import { Breather, forEachLimit } from '../../src/checkpoint/tree.js';
import { testBody } from '../helpers/checkpointTree.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'megatest-breather-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** Counts turns of the event loop (one setImmediate a turn) until stopped. */
function turnCounter() {
  let turns = 0;
  let stopped = false;
  const tick = () => {
    turns += 1;
    if (!stopped) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    get turns() {
      return turns;
    },
    stop: () => void (stopped = true),
  };
}

describe('Breather', () => {
  it('callers while a pause is under way get that same pause', () => {
    const clock = vi.spyOn(performance, 'now').mockReturnValue(0);
    const breather = new Breather(10);
    clock.mockReturnValue(11);
    const first = breather.breathe();
    expect(breather.breathe()).toBe(first);
  });

  it('the lanes of a forEachLimit share one pause: a turn of the event loop holds one slice of work, not one a lane', async () => {
    let now = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const breather = new Breather(10);
    const counter = turnCounter();
    const itemsAtTurn = new Map<number, number>();
    const lanes = 8;
    await forEachLimit(Array.from({ length: 160 }, (_, index) => index), lanes, async () => {
      await breather.breathe();
      // One item: 4 ms of synchronous calls.
      now += 4;
      itemsAtTurn.set(counter.turns, (itemsAtTurn.get(counter.turns) ?? 0) + 1);
    });
    counter.stop();
    const most = Math.max(...itemsAtTurn.values());
    // A slice is 10 ms (3 items); the lanes then in flight finish theirs. One slice a lane would be 8 x 3.
    expect(most).toBeLessThanOrEqual(3 + lanes - 1);
    expect(itemsAtTurn.size).toBeGreaterThanOrEqual(160 / (3 + lanes - 1));
  });
});

describe('reading a checkpoint with its blobs looked at', () => {
  it('lets the event loop run while it reads the folder listings and looks at every blob', async () => {
    const project = path.join(scratch, 'project');
    for (let folder = 0; folder < 200; folder += 1) {
      mkdirSync(path.join(project, `dir${folder}`), { recursive: true });
      for (let file = 0; file < 6; file += 1) writeFileSync(path.join(project, `dir${folder}`, `file${file}.txt`), `content ${folder}/${file}\n`);
    }
    const store = new CheckpointStore(path.join(scratch, 'checkpoints'));
    const { written } = await store.checkpoint(project, async (taken) => testBody(taken.entries));

    // A new store (as after a restart), its listing reads and blob looks counted per turn of the event loop.
    const fresh = new CheckpointStore(path.join(scratch, 'checkpoints'));
    const inside = fresh as unknown as {
      listings: { read: (...args: unknown[]) => Promise<unknown> };
      blobs: { blobProblem: (...args: unknown[]) => Promise<unknown> };
    };
    const most = { listings: 0, blobs: 0 };
    const thisTurn = { listings: 0, blobs: 0 };
    const counting = <A extends unknown[], R>(what: 'listings' | 'blobs', call: (...args: A) => R) => (...args: A): R => {
      thisTurn[what] += 1;
      most[what] = Math.max(most[what], thisTurn[what]);
      return call(...args);
    };
    inside.listings.read = counting('listings', inside.listings.read.bind(inside.listings));
    inside.blobs.blobProblem = counting('blobs', inside.blobs.blobProblem.bind(inside.blobs));
    let turns = 0;
    let stopped = false;
    const tick = () => {
      turns += 1;
      thisTurn.listings = 0;
      thisTurn.blobs = 0;
      if (!stopped) setImmediate(tick);
    };
    setImmediate(tick);
    // Every call of the clock is 1 ms later: a slice of 10 ms is a few calls, whatever the machine's speed or load.
    let now = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => (now += 1));
    const loaded = await fresh.read(written.id, { blobs: 'looked at' });
    stopped = true;
    expect(loaded.body.file_system_state.entries.filter((entry) => entry.type === 'file')).toHaveLength(1200);
    expect(turns).toBeGreaterThan(1);
    // 201 listings and 1,200 blobs, a few to a turn (a slice, and the other lanes' one each): without the pauses, all in one.
    expect(most.listings).toBeLessThanOrEqual(12);
    expect(most.blobs).toBeLessThanOrEqual(10 + 32);
  });
});
