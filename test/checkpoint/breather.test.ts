// The store makes its small file-system calls synchronously and lets the
// event loop run every slice (Breather, tree.ts), so the orchestrator goes on
// answering (a person's pause, the API, its agents' output) while it walks,
// restores or checks thousands of files. Lanes of a forEachLimit share one
// pause: each waiting on a turn of its own, they came back one after another
// in a single turn, each for a slice of its own (32 lanes checking the blobs
// of a checkpoint of 30,000 files held the loop 0.3-0.5 s). Reading a
// checkpoint's listings and looking at its blobs, building the listings of a
// new one and renaming its new blobs into place each breathe.
//
// Time here is a fake clock (performance.now), so what is counted is turns
// of the event loop against work done, never the machine's speed.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import { withManifestTree } from '../../src/checkpoint/listingBlobs.js';
import { renamedBlobs, renameAll } from '../../src/checkpoint/blobPacker.js';
import type { BlobStore } from '../../src/checkpoint/blobStore.js';
import { buildTrees, buildTreesInTurns } from '../../src/checkpoint/manifestTrees.js';
import { Breather, forEachLimit } from '../../src/checkpoint/tree.js';
import type { FileEntry } from '../../src/checkpoint/types.js';
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

describe('building the folder listings of a checkpoint', () => {
  /** A manifest of `folders` folders of 5 files each. */
  function manifest(folders: number): FileEntry[] {
    const entries: FileEntry[] = [];
    for (let folder = 0; folder < folders; folder += 1) {
      entries.push({ path: `dir${String(folder).padStart(4, '0')}`, type: 'dir', size: 0, mode: 0o755 });
      for (let file = 0; file < 5; file += 1) {
        entries.push({ path: `dir${String(folder).padStart(4, '0')}/file${file}.txt`, type: 'file', size: 10, mode: 0o644, sha256: `${folder}${file}`.padEnd(64, 'a') });
      }
    }
    return entries;
  }

  it('in turns: the same listings as in one stretch, with a breath before each folder', async () => {
    const entries = manifest(50);
    let breaths = 0;
    const inTurns = await buildTreesInTurns(entries, undefined, async () => void (breaths += 1));
    expect(inTurns).toEqual(buildTrees(entries));
    expect(breaths).toBe(51);
  });

  it('a checkpoint lets the event loop run while it builds them (a first one of 30,000 files held it ~140 ms)', async () => {
    const entries = manifest(200);
    let turnsBeforeStoring: number | null = null;
    let turns = 0;
    let stopped = false;
    const tick = () => {
      turns += 1;
      if (!stopped) setImmediate(tick);
    };
    setImmediate(tick);
    const blobs = {
      isKnown: () => false,
      storeContent: async () => {
        turnsBeforeStoring ??= turns;
        return { sha256: '', contentSize: 0, storedBytes: 0, rewritten: false };
      },
      flushNewBlobs: async () => undefined,
      abandonNewBlobs: async () => undefined,
    } as unknown as BlobStore;
    // Every call of the clock is 1 ms later: a slice of 10 ms is a few folders, whatever the machine.
    let now = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => (now += 1));
    const body = await withManifestTree({ file_system_state: { root: 'project', excluded: [], entries } }, blobs);
    stopped = true;
    expect(body.file_system_state).toMatchObject({ tree: buildTrees(entries).root });
    // 201 listings built, about ten to a slice; in one stretch the first listing was stored before the loop had a turn.
    expect(turnsBeforeStoring).toBeGreaterThanOrEqual(15);
  });
});

describe('renaming a flush\'s new blobs into place', () => {
  it('lets the event loop run between renames on this thread (15,000 held it 0.27 s)', async () => {
    const folder = path.join(scratch, 'renames');
    mkdirSync(folder, { recursive: true });
    const pairs = Array.from({ length: 600 }, (_, index) => ({ temp: path.join(folder, `.blob.${index}`), target: path.join(folder, `blob${index}`) }));
    for (const { temp } of pairs) writeFileSync(temp, 'x');
    const before = renamedBlobs.here;
    const seen = new Set<number>();
    let stopped = false;
    const tick = () => {
      seen.add(renamedBlobs.here - before);
      if (!stopped) setImmediate(tick);
    };
    setImmediate(tick);
    // Every call of the clock is a slice later: each breath is a pause.
    let now = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => (now += 10));
    await renameAll(pairs);
    stopped = true;
    const here = renamedBlobs.here - before;
    expect(here).toBeGreaterThan(0);
    // Turns came while this thread's share was under way, not only before and after it.
    expect([...seen].filter((count) => count > 0 && count < here).length).toBeGreaterThanOrEqual(2);
  });
});
