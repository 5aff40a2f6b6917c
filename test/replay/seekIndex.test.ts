// events.idx over a run's life: kept and reloaded, carried on when the log
// grows (a run in progress, refresh()), rebuilt when the log shrank or
// changed, rebuilt and reported when the index itself is corrupt, kept in
// memory when it cannot be written; and what replay holds decoded stays
// bounded however long the log.

import { appendFileSync, chmodSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_DECODED_SNAPSHOTS, openReplaySource } from '../../src/replay/source.js';
import { foldAll } from '../../src/state/fold.js';
import { eventsOf, fixtureLines, linesText, longLog, removeTempDirs, runDirWith, tempRunDir } from './runDirs.js';

afterAll(removeTempDirs);

const lines = fixtureLines('restore_session.jsonl');
const events = eventsOf(lines);
const options = { snapshotEvery: 20, entryEvery: 7 };
const idxOf = (dir: string) => path.join(dir, 'events.idx');

async function expectAllStates(dir: string, list = events): Promise<void> {
  const source = await openReplaySource(dir, options);
  for (const cursor of [0, 1, 19, 20, 21, 150, list.length - 1, list.length]) {
    expect(await source.stateAt(cursor)).toStrictEqual(foldAll(list.slice(0, cursor)));
  }
  await source.close();
}

describe('events.idx kept beside the run', () => {
  it('is written on first open and read, not rebuilt, on the next', async () => {
    const dir = runDirWith(linesText(lines));
    const first = await openReplaySource(dir, options);
    expect(first.index).toMatchObject({ opened: 'built', eventsRead: events.length, path: idxOf(dir), note: null });
    await first.close();
    expect(statSync(idxOf(dir)).size).toBeGreaterThan(0);
    const second = await openReplaySource(dir, options);
    expect(second.index).toMatchObject({ opened: 'loaded', eventsRead: 0 });
    expect(second.damage()).toEqual([]);
    expect(await second.stateAt(second.count())).toStrictEqual(foldAll(events));
    await second.close();
  });

  it('is carried on from where it stopped when the log grew, and rebuilt when it shrank', async () => {
    const dir = runDirWith(linesText(lines.slice(0, 300)));
    await (await openReplaySource(dir, options)).close();
    appendFileSync(path.join(dir, 'events.jsonl'), linesText(lines.slice(300)));
    const grown = await openReplaySource(dir, options);
    expect(grown.index).toMatchObject({ opened: 'extended', eventsRead: events.length - 300 });
    await grown.close();
    await expectAllStates(dir);

    truncateSync(path.join(dir, 'events.jsonl'), Buffer.byteLength(linesText(lines.slice(0, 200))));
    const shrunk = await openReplaySource(dir, options);
    expect(shrunk.index).toMatchObject({ opened: 'built', eventsRead: 200 });
    expect(shrunk.count()).toBe(200);
    expect(shrunk.damage()).toEqual([]);
    await shrunk.close();
    await expectAllStates(dir, events.slice(0, 200));
  });

  it('is rebuilt when the log was rewritten in place (same size, new mtime)', async () => {
    const dir = runDirWith(linesText(lines));
    await (await openReplaySource(dir, options)).close();
    const file = path.join(dir, 'events.jsonl');
    // The same length, one token count changed in the middle of the file.
    const text = readFileSync(file, 'utf8');
    const at = text.indexOf('"input":', text.length / 2) + '"input":'.length;
    const digit = text[at] === '9' ? '8' : '9';
    writeFileSync(file, text.slice(0, at) + digit + text.slice(at + 1));
    const later = new Date(statSync(file).mtimeMs + 10_000);
    utimesSync(file, later, later);
    const changed = eventsOf(readFileSync(file, 'utf8').split('\n'));
    const source = await openReplaySource(dir, options);
    expect(source.index?.opened).toBe('built');
    expect(await source.stateAt(source.count())).toStrictEqual(foldAll(changed));
    await source.close();
  });

  it('is rebuilt, not trusted, when corrupt: the damage is reported and every state is still right', async () => {
    const corruptions: [string, (file: string) => void, RegExp][] = [
      // Past the preamble and the two commit slots (80 bytes): the first snapshot.
      ['a flipped byte in a snapshot', (file) => {
        const bytes = readFileSync(file);
        bytes[100] = bytes[100]! ^ 0xff;
        writeFileSync(file, bytes);
      }, /checksum/],
      // A fresh file has committed once, in slot 1 (bytes 48 to 80), and slot 0 is empty.
      ['a flipped byte in the commit slot', (file) => {
        const bytes = readFileSync(file);
        bytes[60] = bytes[60]! ^ 0x01;
        writeFileSync(file, bytes);
      }, /slot passes its checksum/],
      ['cut short', (file) => truncateSync(file, Math.floor(statSync(file).size / 2)), /end marker|too short|out of place/],
      ['not an index at all', (file) => writeFileSync(file, 'hello, I am not an index\n'.repeat(10)), /magic/],
      ['a flipped byte in the header', (file) => {
        const bytes = readFileSync(file);
        bytes[bytes.length - 40] = bytes[bytes.length - 40]! ^ 0x01;
        writeFileSync(file, bytes);
      }, /header checksum/],
    ];
    for (const [what, corrupt, why] of corruptions) {
      const dir = runDirWith(linesText(lines));
      await (await openReplaySource(dir, options)).close();
      corrupt(idxOf(dir));
      const source = await openReplaySource(dir, options);
      expect(source.index?.opened, what).toBe('built');
      const damage = source.damage();
      expect(damage, what).toHaveLength(1);
      expect(damage[0]!.file).toBe('events.idx');
      expect(damage[0]!.problem, what).toMatch(why);
      expect(damage[0]!.problem).toMatch(/rebuilt/);
      await source.close();
      await expectAllStates(dir);
      // Rewritten whole: the next open loads it without complaint.
      const again = await openReplaySource(dir, options);
      expect(again.index?.opened).toBe('loaded');
      expect(again.damage()).toEqual([]);
      await again.close();
    }
  });

  it('a snapshot found bad while replaying is dropped and reported; seeks fold from an earlier one', async () => {
    const dir = runDirWith(linesText(lines));
    await (await openReplaySource(dir, options)).close();
    const source = await openReplaySource(dir, options);
    expect(source.index?.opened).toBe('loaded');
    // Overwrite the first snapshots in place, in the very file the open source reads.
    const handle = await open(idxOf(dir), 'r+');
    await handle.write(Buffer.alloc(3000, 0x55), 0, 3000, 16);
    await handle.close();
    for (const cursor of [0, 25, 45, 130, 300, events.length - 1]) expect(await source.stateAt(cursor)).toStrictEqual(foldAll(events.slice(0, cursor)));
    const damage = source.damage();
    expect(damage.length).toBeGreaterThan(0);
    for (const d of damage) expect(d).toMatchObject({ file: 'events.idx', problem: expect.stringMatching(/snapshot at event \d+ unreadable .*earlier one/) });
    await source.close();
    // close() wrote the index again without the bad snapshots.
    const again = await openReplaySource(dir, options);
    expect(again.index?.opened).toBe('loaded');
    expect(again.damage()).toEqual([]);
    for (const cursor of [25, 130, events.length - 1]) expect(await again.stateAt(cursor)).toStrictEqual(foldAll(events.slice(0, cursor)));
    await again.close();
  });

  it('a different snapshot interval rebuilds the index without calling it damage', async () => {
    const dir = runDirWith(linesText(lines));
    await (await openReplaySource(dir, options)).close();
    const other = await openReplaySource(dir, { snapshotEvery: 33, entryEvery: 7 });
    expect(other.index?.opened).toBe('built');
    expect(other.damage()).toEqual([]);
    await other.close();
  });
});

describe('an index that cannot be written stays in memory, and says so', () => {
  it('when the place for it cannot be created', async () => {
    const dir = runDirWith(linesText(lines));
    const blocker = path.join(tempRunDir(), 'a-file');
    writeFileSync(blocker, '');
    const source = await openReplaySource(dir, { ...options, indexPath: path.join(blocker, 'events.idx') });
    expect(source.index).toMatchObject({ opened: 'built', path: null });
    expect(source.index?.note).toMatch(/could not be written \(ENOTDIR\).*kept in memory/);
    for (const cursor of [0, 25, 200, events.length]) expect(await source.stateAt(cursor)).toStrictEqual(foldAll(events.slice(0, cursor)));
    await source.refresh();
    await source.close();
  });

  const root = process.getuid?.() === 0;
  it.skipIf(root)(`when the run folder is read-only${root ? ' (skipped: running as root, which may write anyway)' : ''}`, async () => {
    const dir = runDirWith(linesText(lines));
    chmodSync(dir, 0o555);
    try {
      const source = await openReplaySource(dir, options);
      expect(source.index?.note).toMatch(/read-only.*kept in memory/);
      expect(await source.stateAt(100)).toStrictEqual(foldAll(events.slice(0, 100)));
      await source.close();
    } finally {
      chmodSync(dir, 0o755);
    }
  });
});

describe('a run still in progress', () => {
  it('refresh() picks up whole lines appended since, and leaves a torn last line until it is whole', async () => {
    const dir = runDirWith(linesText(lines.slice(0, 100)));
    const file = path.join(dir, 'events.jsonl');
    const source = await openReplaySource(dir, options);
    expect(source.count()).toBe(100);
    const next = lines[110]!;
    appendFileSync(file, linesText(lines.slice(100, 110)) + next.slice(0, 25));
    await source.refresh();
    expect(source.count()).toBe(110);
    const torn = source.damage().filter((d) => /no newline/.test(d.problem));
    expect(torn).toEqual([{ file: 'events.jsonl', line: 111, atIndex: 110, problem: expect.stringContaining('25 bytes') }]);
    expect(source.marks().some((m) => m.kind === 'damage' && m.index === 110)).toBe(true);
    expect(await source.stateAt(110)).toStrictEqual(foldAll(events.slice(0, 110)));
    appendFileSync(file, `${next.slice(25)}\n${linesText(lines.slice(111))}`);
    await source.refresh();
    expect(source.count()).toBe(events.length);
    expect(source.damage()).toEqual([]);
    for (const cursor of [105, 111, 300, events.length]) expect(await source.stateAt(cursor)).toStrictEqual(foldAll(events.slice(0, cursor)));
    const checkpoints = events.filter((e) => e.type === 'checkpoint_created').length;
    expect(source.marks().filter((m) => m.kind === 'checkpoint')).toHaveLength(checkpoints);
    await source.close();
    // What refresh() read is kept for the next open.
    const again = await openReplaySource(dir, options);
    expect(again.index).toMatchObject({ opened: 'loaded', eventsRead: 0 });
    await again.close();
  });

  it('refresh() starts over when the log was replaced by a shorter one', async () => {
    const dir = runDirWith(linesText(lines));
    const source = await openReplaySource(dir, options);
    await source.stateAt(300);
    writeFileSync(path.join(dir, 'events.jsonl'), linesText(lines.slice(0, 50)));
    await source.refresh();
    expect(source.count()).toBe(50);
    expect(await source.stateAt(50)).toStrictEqual(foldAll(events.slice(0, 50)));
    expect(await source.stateAt(30)).toStrictEqual(foldAll(events.slice(0, 30)));
    await source.close();
  });
});

describe('memory stays bounded', () => {
  it('however many seeks, a few snapshots and blocks are held decoded, not the log', async () => {
    const long = longLog(30_000);
    const dir = runDirWith(linesText(long.map((e) => JSON.stringify(e))));
    const source = await openReplaySource(dir, { snapshotEvery: 500, entryEvery: 100 });
    expect(source.stats().snapshots).toBe(60);
    let seed = 7;
    for (let i = 0; i < 120; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const cursor = seed % (long.length + 1);
      const state = await source.stateAt(cursor);
      expect(state.eventsApplied).toBe(cursor);
      const held = source.stats();
      expect(held.decodedSnapshots).toBeLessThanOrEqual(MAX_DECODED_SNAPSHOTS);
      // Blocks for one snapshot interval and a little: 700 events of 30,000.
      expect(held.cachedBlocks).toBeLessThanOrEqual(500 / 100 + 2);
    }
    expect(await source.stateAt(12_345)).toStrictEqual(foldAll(long.slice(0, 12_345)));
    await source.close();
  });

  it('marks thin out evenly on a log with an error storm', async () => {
    const storm = longLog(6000).map((e, i) => (i > 0 ? { seq: e.seq, ts: e.ts, type: 'error' as const, class: 'x', severity: 'transient' as const, message: `m${i}` } : e));
    const dir = runDirWith(linesText(storm.map((e) => JSON.stringify(e))));
    const source = await openReplaySource(dir, { snapshotEvery: 1000 });
    const errors = source.marks().filter((m) => m.kind === 'error');
    expect(errors.length).toBeLessThanOrEqual(2000);
    expect(errors.length).toBeGreaterThanOrEqual(1000);
    // Evenly spread: the same stride between every two kept marks, from the first error to near the end.
    const strides = new Set(errors.slice(1).map((m, i) => m.index - errors[i]!.index));
    expect(strides.size).toBe(1);
    expect(errors[0]!.index).toBe(1);
    expect(errors[errors.length - 1]!.index).toBeGreaterThan(storm.length - 10);
    await source.close();
  });
});

describe('edge logs', () => {
  it('an empty events.jsonl, and one with nothing but garbage, open as empty runs', async () => {
    for (const text of ['', 'garbage\n{"not":"an event"}\n']) {
      const dir = runDirWith(text);
      for (const round of ['built', 'loaded']) {
        const source = await openReplaySource(dir, options);
        expect(source.index?.opened).toBe(round);
        expect([source.count(), source.startMs(), source.endMs()]).toEqual([0, 0, 0]);
        expect(await source.stateAt(0)).toStrictEqual(foldAll([]));
        expect(await source.stateAt(5)).toStrictEqual(foldAll([]));
        expect(await source.eventAt(0)).toBeUndefined();
        expect([await source.cursorOfSeq(10), await source.cursorAtMs(Date.now()), await source.timeAt(0)]).toEqual([0, 0, 0]);
        expect(source.damage().map((d) => d.line)).toEqual(text === '' ? [] : [1, 2]);
        await source.close();
      }
    }
  });
});

describe('not a run folder', () => {
  it('a folder without events.jsonl that no runner wrote is a usage error naming it', async () => {
    const dir = tempRunDir();
    mkdirSync(path.join(dir, 'stuff'));
    await expect(openReplaySource(dir)).rejects.toMatchObject({ name: 'UsageError', message: expect.stringMatching(/is not a run folder \(no events\.jsonl/) });
    await expect(openReplaySource(path.join(dir, 'missing'))).rejects.toMatchObject({ name: 'UsageError', message: expect.stringContaining('is not a run folder') });
  });
});
