// events.idx carried on in place (the orchestrator's upkeep, every 15 s):
// a refresh appends what the log gained and a small commit, in the same
// file, instead of writing the whole index again; a kill at any byte of
// that write leaves the index before it (or one rejected and rebuilt); and
// what readers get from an index grown that way is what a fresh build gives.

import { appendFileSync, copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { LogIndexUpkeep } from '../../src/io/logIndexUpkeep.js';
import { openIndexFile, type IndexHeader } from '../../src/replay/indexFile.js';
import { IndexKeeper, type KeeperOptions } from '../../src/replay/indexKeeper.js';
import { openReplaySource } from '../../src/replay/source.js';
import { foldAll } from '../../src/state/fold.js';
import { longLog, removeTempDirs, runDirWith, tempRunDir } from './runDirs.js';

afterAll(removeTempDirs);

const LOG = longLog(6000);
const lineOf = (i: number) => `${JSON.stringify(LOG[i])}\n`;
const text = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => lineOf(from + k)).join('');
const SMALL: KeeperOptions = { snapshotEvery: 25, entryEvery: 10, appendInPlace: true };

async function keeperOf(dir: string, options: KeeperOptions = SMALL): Promise<{ keeper: IndexKeeper; events: FileHandle }> {
  const events = await open(path.join(dir, 'events.jsonl'), 'r');
  return { keeper: await IndexKeeper.open(dir, events, null, options), events };
}

/** What the orchestrator's upkeep does every 15 s: take in what the log gained, then commit. */
async function takeIn(keeper: IndexKeeper): Promise<void> {
  await keeper.refresh();
  await keeper.persist();
}

async function headerOf(file: string): Promise<IndexHeader | null> {
  try {
    const opened = await openIndexFile(file);
    await opened?.handle.close();
    return opened?.header ?? null;
  } catch {
    return null;
  }
}

describe('a refresh of events.idx carried on in place', () => {
  it('writes what the log gained, in the same file: the bytes per refresh do not grow with the index', async () => {
    const dir = runDirWith(text(0, 1000));
    const idx = path.join(dir, 'events.idx');
    const { keeper, events } = await keeperOf(dir);
    const inode = statSync(idx).ino;
    const growth: number[] = [];
    for (let at = 1000; at < 6000; at += 250) {
      appendFileSync(path.join(dir, 'events.jsonl'), text(at, at + 250));
      const size = statSync(idx).size;
      const written = keeper.bytesWritten;
      await takeIn(keeper);
      expect(statSync(idx).ino).toBe(inode);
      growth.push(statSync(idx).size - size);
      // Nothing but the appended bytes and one 32-byte commit slot.
      expect(keeper.bytesWritten - written).toBe(growth.at(-1)! + 32);
    }
    const size = statSync(idx).size;
    // The index grew about sixfold; a refresh costs what 250 events add (10 snapshots), as at the start.
    expect(size).toBeGreaterThan(4 * (size - growth.reduce((a, b) => a + b, 0)));
    expect(Math.max(...growth.slice(-5))).toBeLessThan(2 * Math.max(...growth.slice(0, 5)));
    expect(Math.max(...growth)).toBeLessThan(size / 5);
    await keeper.close();
    await events.close();
  });

  it('the orchestrator upkeep keeps the same file from refresh to refresh', async () => {
    const dir = runDirWith(text(0, 3000));
    const eventsFile = path.join(dir, 'events.jsonl');
    const upkeep = await LogIndexUpkeep.open({ root: dir, events: eventsFile, sessionLog: path.join(dir, 'session.log') }, (m) => expect.fail(m));
    const inode = statSync(path.join(dir, 'events.idx')).ino;
    for (let at = 3000; at < 6000; at += 1000) {
      appendFileSync(eventsFile, text(at, at + 1000));
      await upkeep.refresh();
      expect(statSync(path.join(dir, 'events.idx')).ino).toBe(inode);
      expect((await headerOf(path.join(dir, 'events.idx')))?.carry.count).toBe(at + 1000);
    }
    await upkeep.close();
  });
});

describe('a kill in the middle of a refresh', () => {
  it('at any byte leaves the index before it, and the next keeper carries it on', async () => {
    const dir = runDirWith(text(0, 300));
    const idx = path.join(dir, 'events.idx');
    const { keeper, events } = await keeperOf(dir);
    appendFileSync(path.join(dir, 'events.jsonl'), text(300, 350));
    await takeIn(keeper);
    const before = readFileSync(idx);
    const previous = await headerOf(idx);
    expect(previous?.carry.count).toBe(350);
    appendFileSync(path.join(dir, 'events.jsonl'), text(350, 375));
    await takeIn(keeper);
    const after = readFileSync(idx);
    const next = await headerOf(idx);
    expect(next?.carry.count).toBe(375);
    await keeper.close();
    await events.close();
    // The refresh appended after[before.length…] and then rewrote one commit slot in place.
    expect(after.subarray(0, before.length).equals(before)).toBe(false);
    const slotAt = [16, 48].find((at) => !after.subarray(at, at + 32).equals(before.subarray(at, at + 32)))!;
    expect(after.subarray(0, slotAt).equals(before.subarray(0, slotAt))).toBe(true);
    expect(after.subarray(slotAt + 32, before.length).equals(before.subarray(slotAt + 32))).toBe(true);
    const cut = path.join(tempRunDir(), 'events.idx');
    const cuts: Buffer[] = [];
    for (let k = 0; k <= after.length - before.length; k++) cuts.push(Buffer.concat([before, after.subarray(before.length, before.length + k)]));
    for (let j = 1; j < 32; j++) {
      const torn = Buffer.from(after);
      before.copy(torn, slotAt + j, slotAt + j, slotAt + 32);
      cuts.push(torn);
    }
    const wanted = JSON.stringify(previous);
    for (const bytes of cuts) {
      writeFileSync(cut, bytes);
      // The index before the refresh: the bytes past its commit are ignored, and a torn slot fails its checksum, so the other one names it.
      expect(JSON.stringify(await headerOf(cut))).toBe(wanted);
    }
    // A kill halfway through the appended bytes: the next keeper (a resume) drops them and carries the index on.
    const half = cuts[Math.floor((after.length - before.length) / 2)]!;
    writeFileSync(idx, half);
    const resumed = await keeperOf(dir);
    expect(resumed.keeper.info.opened).toBe('extended');
    expect(resumed.keeper.indexDamage).toEqual([]);
    await resumed.keeper.close();
    await resumed.events.close();
    const source = await openReplaySource(dir, SMALL);
    expect(source.index?.opened).toBe('loaded');
    expect(source.damage()).toEqual([]);
    for (const cursor of [0, 26, 301, 349, 351, 375]) expect(await source.stateAt(cursor)).toStrictEqual(foldAll(LOG.slice(0, cursor)));
    await source.close();
  });
});

describe('an index grown by many refreshes', () => {
  /** The folder, and how many times the index was written whole again (a new file) on the way. */
  const grown = async (options: KeeperOptions, step: number) => {
    const dir = runDirWith(text(0, 500));
    const { keeper, events } = await keeperOf(dir, options);
    let inode = statSync(path.join(dir, 'events.idx')).ino;
    let whole = 0;
    for (let at = 500; at < 6000; at += step) {
      appendFileSync(path.join(dir, 'events.jsonl'), text(at, Math.min(6000, at + step)));
      await takeIn(keeper);
      const now = statSync(path.join(dir, 'events.idx')).ino;
      if (now !== inode) whole += 1;
      inode = now;
    }
    await keeper.close();
    await events.close();
    return { dir, whole };
  };

  // Many small refreshes leave mostly dead bytes (end states and records written over): with no floor, the file is written whole again.
  for (const [what, options, step, compacted] of [
    ['appended to throughout', SMALL, 110, false],
    ['written whole again when mostly dead bytes', { ...SMALL, compactFloor: 0 }, 20, true],
  ] as const) {
    it(`${what}: readers get what a fresh build gives`, async () => {
      const { dir, whole } = await grown(options, step);
      expect(whole > 0).toBe(compacted);
      const fresh = tempRunDir();
      copyFileSync(path.join(dir, 'events.jsonl'), path.join(fresh, 'events.jsonl'));
      const kept = await openReplaySource(dir, SMALL);
      const built = await openReplaySource(fresh, SMALL);
      expect(kept.index?.opened).toBe('loaded');
      expect(built.index?.opened).toBe('built');
      expect(kept.count()).toBe(6000);
      expect(kept.damage()).toEqual(built.damage());
      expect(kept.marks()).toStrictEqual(built.marks());
      const { snapshots: a, tail: _a, blobArea: _b, ...restKept } = (await headerOf(path.join(dir, 'events.idx')))!;
      const { snapshots: b, tail: _c, blobArea: _d, ...restBuilt } = (await headerOf(path.join(fresh, 'events.idx')))!;
      // Built from the same bytes at another time: only the log's mtime differs.
      expect({ ...restKept, events: { ...restKept.events, mtimeMs: 0 } }).toStrictEqual({ ...restBuilt, events: { ...restBuilt.events, mtimeMs: 0 } });
      expect(a.map((row) => row.slice(0, 4))).toStrictEqual(b.map((row) => row.slice(0, 4)));
      for (const cursor of [0, 1, 24, 25, 26, 499, 500, 611, 2222, 4999, 5998, 6000]) {
        expect(await kept.stateAt(cursor)).toStrictEqual(await built.stateAt(cursor));
        expect(await kept.stateAt(cursor)).toStrictEqual(foldAll(LOG.slice(0, cursor)));
        expect(await kept.eventAt(cursor)).toStrictEqual(await built.eventAt(cursor));
        expect(await kept.cursorOfSeq(cursor)).toBe(await built.cursorOfSeq(cursor));
        expect(await kept.cursorAtMs(Date.parse(LOG[Math.min(cursor, 5999)]!.ts))).toBe(await built.cursorAtMs(Date.parse(LOG[Math.min(cursor, 5999)]!.ts)));
      }
      await kept.close();
      await built.close();
    });
  }

  it('is written whole again, not appended to a file no longer in place, when another reader renamed its own over it', async () => {
    const dir = runDirWith(text(0, 500));
    const idx = path.join(dir, 'events.idx');
    const { keeper, events } = await keeperOf(dir);
    appendFileSync(path.join(dir, 'events.jsonl'), text(500, 700));
    // A replay opened meanwhile writes the index whole, over the keeper's.
    await (await openReplaySource(dir, SMALL)).close();
    expect((await headerOf(idx))?.carry.count).toBe(700);
    appendFileSync(path.join(dir, 'events.jsonl'), text(700, 900));
    await takeIn(keeper);
    // Had it appended to its own file (no longer the one named events.idx), the index there would still end at 700.
    expect((await headerOf(idx))?.carry.count).toBe(900);
    await keeper.close();
    await events.close();
  });
});

describe('a reader opening the index while the orchestrator commits', () => {
  it('takes the size after the commit slots: a commit made between the two reads is no index cut short', async () => {
    const dir = runDirWith(text(0, 1000));
    const idx = path.join(dir, 'events.idx');
    const { keeper, events } = await keeperOf(dir);
    const before = statSync(idx).size;
    appendFileSync(path.join(dir, 'events.jsonl'), text(1000, 1250));
    await takeIn(keeper);
    // The reader's first look at the size came before that commit; its slots are read after it.
    const probe = await open(idx, 'r');
    const stat = vi.spyOn(Object.getPrototypeOf(probe) as FileHandle, 'stat');
    await probe.close();
    stat.mockImplementationOnce(async () => ({ size: before }) as never);
    try {
      const opened = await openIndexFile(idx);
      await opened?.handle.close();
      expect(opened).not.toBeNull();
    } finally {
      stat.mockRestore();
      await events.close();
    }
  });
});

describe('an open that fails after it carried the index on', () => {
  it('lets go of the file it opened to append to', async () => {
    const dir = runDirWith(text(0, 1000), 'a session.log line\n');
    const first = await keeperOf(dir);
    await first.keeper.close();
    await first.events.close();
    const events = await open(path.join(dir, 'events.jsonl'), 'r');
    // session.log's handle gone bad after the index was read: the open fails in its last step.
    const log = await open(path.join(dir, 'session.log'), 'r');
    await log.close();
    const { readdirSync } = await import('node:fs');
    const descriptors = () => readdirSync('/proc/self/fd').length;
    const before = descriptors();
    await expect(IndexKeeper.open(dir, events, log, SMALL)).rejects.toThrow();
    expect(descriptors()).toBe(before);
    await events.close();
  });
});

describe('a replay beside a running orchestrator (readOnly)', () => {
  it('reads the index and never writes it: the orchestrator keeps appending to the same file', async () => {
    const dir = runDirWith(text(0, 1000));
    const idx = path.join(dir, 'events.idx');
    const { keeper, events } = await keeperOf(dir);
    const before = statSync(idx);
    const bytes = readFileSync(idx);
    appendFileSync(path.join(dir, 'events.jsonl'), text(1000, 1300));
    const source = await openReplaySource(dir, { snapshotEvery: 25, entryEvery: 10, readOnly: true });
    try {
      expect(source.count()).toBe(1300);
      expect(source.index?.path).toBeNull();
      expect(statSync(idx).ino).toBe(before.ino);
      expect(readFileSync(idx).equals(bytes)).toBe(true);
      // The orchestrator's next refresh appends in place, as before.
      await takeIn(keeper);
      expect(statSync(idx).ino).toBe(before.ino);
    } finally {
      await source.close();
      await keeper.close();
      await events.close();
    }
  });
});

describe('what an interrupted build of the index left beside it', () => {
  it("a dead process's temp file is removed by the next open; a live one's is left", async () => {
    const dir = runDirWith(text(0, 200));
    // A pid no process has (past the kernel's pid_max), and this process's parent, alive.
    const dead = path.join(dir, '.events.idx.99999999.3.tmp');
    const alive = path.join(dir, `.events.idx.${process.ppid}.1.tmp`);
    writeFileSync(dead, 'half an index');
    writeFileSync(alive, 'being written');
    const { keeper, events } = await keeperOf(dir);
    await keeper.close();
    await events.close();
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(alive)).toBe(true);
  });
});

