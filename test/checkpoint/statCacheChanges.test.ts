// The stat cache saved by its changes: after the first save only what changed
// is appended to stat-cache.changes.jsonl; a new process reads the base with
// every whole line of its own base, passing over a torn line or the lines of
// a base since replaced; the base is written whole again once the changes
// outgrow half of it.

import fs, { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FileIndex, IndexRecord } from '../../src/checkpoint/fileIndex.js';
import { loadStatCache, saveStatCache, STAT_CACHE_CHANGES_FILE, STAT_CACHE_FILE } from '../../src/checkpoint/statCache.js';

let dir: string;
const root = '/run/project';
const changesFile = (): string => path.join(dir, STAT_CACHE_CHANGES_FILE);
const baseFile = (): string => path.join(dir, STAT_CACHE_FILE);

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'megatest-statcache-changes-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  syncBuiltinESMExports();
  rmSync(dir, { recursive: true, force: true });
});

function record(n: number, trusted = true): IndexRecord {
  const sha256 = (n % 997).toString(16).padStart(64, '0');
  return { size: 100 + n, mtimeMs: 1_700_000_000_000 + n, ctimeMs: 1_700_000_000_000 + n, ino: 5000 + n, mode: 0o644, sha256, contentSize: 100 + n, trusted };
}

function index(count: number, from = 0): FileIndex {
  return new Map(Array.from({ length: count }, (_, at) => [`src/dir${(from + at) % 7}/file${from + at}.ts`, record(from + at)]));
}

/** A packed size per blob, as the store knows it (the sha256's last digits). */
const storedSize = (sha256: string): number => 40 + Number.parseInt(sha256.slice(-3), 16);

/** The records a loaded cache holds, comparable with toEqual. */
async function loaded(): Promise<FileIndex | undefined> {
  return (await loadStatCache(dir, root))?.files;
}

describe('the stat cache saved by its changes', () => {
  it('appends only what changed after the first save, and a new process reads the base with the changes', async () => {
    const first = index(50);
    let onDisk = await saveStatCache(dir, root, first, storedSize, null);
    expect(existsSync(changesFile())).toBe(false);
    const base = readFileSync(baseFile(), 'utf8');

    const second: FileIndex = new Map(first);
    second.set('src/dir1/file1.ts', { ...record(1), mtimeMs: 1_800_000_000_000 }); // changed
    second.delete('src/dir2/file2.ts'); // gone
    second.set('src/dir3/file3.ts', record(3, false)); // no longer trusted: hashed again next time
    second.set('src/new.ts', record(900)); // new
    onDisk = await saveStatCache(dir, root, second, storedSize, onDisk);
    // Nothing changed: nothing written.
    onDisk = await saveStatCache(dir, root, new Map(second), storedSize, onDisk);

    expect(readFileSync(baseFile(), 'utf8')).toBe(base);
    const lines = readFileSync(changesFile(), 'utf8').split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).change.drop.sort()).toEqual(['src/dir2/file2.ts', 'src/dir3/file3.ts']);
    expect(JSON.parse(lines[0]!).change.set.map((row: unknown[]) => row[0]).sort()).toEqual(['src/dir1/file1.ts', 'src/new.ts']);

    const expected = new Map([...second].filter(([, kept]) => kept.trusted));
    expect(await loaded()).toEqual(expected);
  });

  it('applies the lines in order: a path set then dropped is gone, dropped then set is there', async () => {
    let onDisk = await saveStatCache(dir, root, index(20), storedSize, null);
    const steps: FileIndex[] = [];
    let current = index(20);
    for (const change of [(m: FileIndex) => m.set('a.ts', record(500)), (m: FileIndex) => m.delete('a.ts'), (m: FileIndex) => m.delete('src/dir4/file4.ts'), (m: FileIndex) => m.set('src/dir4/file4.ts', record(4))]) {
      current = new Map(current);
      change(current);
      steps.push(current);
      onDisk = await saveStatCache(dir, root, current, storedSize, onDisk);
    }
    expect(readFileSync(changesFile(), 'utf8').split('\n').filter((line) => line !== '')).toHaveLength(4);
    const files = await loaded();
    expect(files?.has('a.ts')).toBe(false);
    expect(files?.get('src/dir4/file4.ts')).toEqual(record(4));
    expect(files).toEqual(steps.at(-1));
  });

  it('told where the index may differ (the paths a snapshot hashed), writes what a full comparison writes', async () => {
    const cases: { what: string; change: (m: FileIndex) => void }[] = [
      { what: 'edits and a new file', change: (m) => m.set('src/dir1/file1.ts', { ...record(1), mtimeMs: 1 }).set('src/new.ts', record(900)) },
      { what: 'a file gone too', change: (m) => m.set('src/dir1/file1.ts', { ...record(1), mtimeMs: 1 }).delete('src/dir2/file2.ts') },
      { what: 'only a file gone', change: (m) => m.delete('src/dir5/file5.ts') },
      { what: 'a record no longer trusted', change: (m) => m.set('src/dir3/file3.ts', record(3, false)) },
      { what: 'one gone, one new: as many records as before', change: (m) => m.set('src/new.ts', record(901)).delete('src/dir6/file6.ts') },
    ];
    for (const { what, change } of cases) {
      const lines: string[] = [];
      for (const told of [false, true]) {
        rmSync(dir, { recursive: true, force: true });
        const first = index(30);
        const onDisk = await saveStatCache(dir, root, first, storedSize, null);
        const after: FileIndex = new Map(first);
        change(after);
        // As a snapshot tells it: the paths whose records are not the cache's own objects.
        const changedAt = [...after].filter(([relative, kept]) => first.get(relative) !== kept).map(([relative]) => relative);
        await saveStatCache(dir, root, after, storedSize, onDisk, told ? changedAt : undefined);
        lines.push(readFileSync(changesFile(), 'utf8'));
      }
      expect(lines[1], what).toBe(lines[0]);
    }
  });

  it('records a blob written again (another size) for an unchanged file', async () => {
    const files = index(10);
    const onDisk = await saveStatCache(dir, root, files, storedSize, null);
    const sha256 = files.get('src/dir0/file0.ts')!.sha256;
    await saveStatCache(dir, root, files, (sha) => (sha === sha256 ? 7 : storedSize(sha)), onDisk);
    expect((await loadStatCache(dir, root))?.storedSizes.get(sha256)).toBe(7);
  });

  it('passes over a torn line, damaged lines and the lines of a base since replaced', async () => {
    const first = index(30);
    let onDisk = await saveStatCache(dir, root, first, storedSize, null);
    const changed: FileIndex = new Map(first);
    changed.set('src/dir0/file0.ts', record(700));
    onDisk = await saveStatCache(dir, root, changed, storedSize, onDisk);
    const oldLines = path.join(dir, 'old-lines');
    copyFileSync(changesFile(), oldLines);

    // A kill midway through an append: the line is torn. The next append starts a line of its own.
    appendFileSync(changesFile(), readFileSync(oldLines, 'utf8').slice(0, 120));
    const again: FileIndex = new Map(changed);
    again.set('src/dir1/file1.ts', record(701));
    onDisk = await saveStatCache(dir, root, again, storedSize, onDisk);
    // The torn line was cut off before the append: whole lines only, as in every JSONL file of the run folder.
    const text = readFileSync(changesFile(), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.trim().split('\n').map((line) => JSON.parse(line).change.set[0][0])).toEqual(['src/dir0/file0.ts', 'src/dir1/file1.ts']);
    // A line whose content does not match its checksum.
    appendFileSync(changesFile(), readFileSync(oldLines, 'utf8').replace('"src/dir0/file0.ts"', '"src/dir0/file9.ts"'));
    expect(await loaded()).toEqual(again);

    // The base written whole again (a save with nothing known of the disk) and the changes file left in place, as a kill after the rename would leave it.
    const rewritten: FileIndex = new Map(first);
    rewritten.set('src/dir5/file5.ts', record(705));
    await saveStatCache(dir, root, rewritten, storedSize, null);
    expect(existsSync(changesFile())).toBe(false);
    copyFileSync(oldLines, changesFile());
    expect(await loaded()).toEqual(rewritten);
  });

  it('leaves the changes file as it was when an append is cut short (a full disk)', async () => {
    let current = index(20);
    let onDisk = await saveStatCache(dir, root, current, storedSize, null);
    current = new Map(current).set('one.ts', record(601));
    onDisk = await saveStatCache(dir, root, current, storedSize, onDisk);
    const before = readFileSync(changesFile(), 'utf8');

    const write = fs.writeSync.bind(fs) as (fd: number, buffer: Buffer, offset: number, length: number, position: null) => number;
    // Half the line reaches the disk, then it is full (the named import sees the spy once the builtin's exports are synced).
    vi.spyOn(fs, 'writeSync').mockImplementation(((fd: number, buffer: Buffer, offset?: number, length?: number, position?: null) => {
      write(fd, buffer, offset ?? 0, Math.floor((length ?? buffer.length - (offset ?? 0)) / 2), position ?? null);
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }) as unknown as typeof fs.writeSync);
    syncBuiltinESMExports();
    const failed = new Map(current).set('two.ts', record(602));
    await expect(saveStatCache(dir, root, failed, storedSize, onDisk)).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(readFileSync(changesFile(), 'utf8')).toBe(before);

    vi.restoreAllMocks();
    syncBuiltinESMExports();
    await saveStatCache(dir, root, failed, storedSize, onDisk);
    expect(readFileSync(changesFile(), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(await loaded()).toEqual(failed);
  });

  it('writes the base whole again once the changes outgrow half of it, and removes the changes file', async () => {
    // 2,000 records: a base of about 300,000 characters, so changes may grow to about 150,000.
    let current = index(2000);
    let onDisk = await saveStatCache(dir, root, current, storedSize, null);
    const baseLength = readFileSync(baseFile(), 'utf8').length;
    let rewrites = 0;
    for (let round = 1; round <= 6; round += 1) {
      current = new Map(current);
      for (let at = 0; at < 300; at += 1) current.set(`src/dir${at % 7}/file${at}.ts`, { ...record(at), mtimeMs: 1_900_000_000_000 + round });
      const before = readFileSync(baseFile(), 'utf8');
      onDisk = await saveStatCache(dir, root, current, storedSize, onDisk);
      const changes = existsSync(changesFile()) ? readFileSync(changesFile(), 'utf8').length : 0;
      if (readFileSync(baseFile(), 'utf8') !== before) {
        rewrites += 1;
        expect(changes).toBe(0);
      }
      expect(changes).toBeLessThanOrEqual(baseLength / 2);
      expect(onDisk.changesLength).toBe(changes);
      expect(await loaded()).toEqual(current);
    }
    expect(rewrites).toBeGreaterThanOrEqual(1);
    expect(rewrites).toBeLessThan(6);
  });

  it('leaves the cache of another folder alone, and starts afresh for a folder of its own', async () => {
    const onDisk = await saveStatCache(dir, root, index(10), storedSize, null);
    const other = await saveStatCache(dir, '/elsewhere', index(3), storedSize, onDisk);
    expect(other.root).toBe('/elsewhere');
    expect(existsSync(changesFile())).toBe(false);
    expect(await loadStatCache(dir, root)).toBeNull();
    expect((await loadStatCache(dir, '/elsewhere'))?.files).toEqual(index(3));
    writeFileSync(changesFile(), '');
    expect((await loadStatCache(dir, '/elsewhere'))?.files).toEqual(index(3));
  });
});
