// The index a snapshot hands on (snapshot.ts): previous's own map when
// nothing was hashed and nothing is gone, else a map of previous's records
// kept and the new ones, never one that holds a file no longer there.

import { lstatSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BlobStore } from '../../src/checkpoint/blobStore.js';
import type { FileIndex } from '../../src/checkpoint/fileIndex.js';
import { snapshotTree } from '../../src/checkpoint/snapshot.js';

let runDir: string;
let project: string;
let blobs: BlobStore;
/** Modification times an hour back: settled, as files an agent wrote long before the checkpoint. */
const settled = new Date(Date.now() - 3_600_000);
const FILES = ['a.txt', 'lib/b.txt', 'lib/c.txt', 'lib/deep/d.txt'];

beforeEach(() => {
  runDir = mkdtempSync(path.join(tmpdir(), 'megatest-snapshotindex-'));
  project = path.join(runDir, 'project');
  mkdirSync(project);
  for (const relative of FILES) put(relative, `${relative}\n`);
  blobs = new BlobStore(path.join(runDir, 'checkpoints'), false, 1);
  // The clock an hour on: the files' ctimes (which only the kernel sets, to the real time) are settled too.
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 3_600_000 });
});
afterEach(() => {
  vi.useRealTimers();
  rmSync(runDir, { recursive: true, force: true });
});

function put(relative: string, content: string): void {
  const absolute = path.join(project, relative);
  mkdirSync(path.dirname(absolute), { recursive: true });
  writeFileSync(absolute, content);
  utimesSync(absolute, settled, settled);
}

async function snapshot(previous: FileIndex): Promise<Awaited<ReturnType<typeof snapshotTree>>> {
  return snapshotTree(project, blobs, { files: previous, storedSizes: new Map(), blobsKnown: true }, { startedMs: performance.now() });
}

describe("a snapshot's index", () => {
  it('is the previous one itself when nothing changed', async () => {
    const first = await snapshot(new Map());
    expect([...first.index.keys()].sort()).toEqual(FILES);
    const second = await snapshot(first.index);
    expect(second.result.hashedFiles).toBe(0);
    expect(second.index).toBe(first.index);
    expect(second.changedFrom).toEqual({ previous: first.index, hashed: [] });
  });

  it('is a new map when a file changed, with the other records kept as they were', async () => {
    const first = await snapshot(new Map());
    put('lib/c.txt', 'changed\n');
    const second = await snapshot(first.index);
    expect(second.result.hashedFiles).toBe(1);
    expect(second.index).not.toBe(first.index);
    expect([...second.index.keys()].sort()).toEqual(FILES);
    for (const relative of FILES.filter((name) => name !== 'lib/c.txt')) expect(second.index.get(relative)).toBe(first.index.get(relative));
    expect(second.index.get('lib/c.txt')!.sha256).toBe(second.result.entries.find((entry) => entry.path === 'lib/c.txt')!.sha256);
    expect(second.index.get('lib/c.txt')!.sha256).not.toBe(first.index.get('lib/c.txt')!.sha256);
    // the first snapshot's index is left as it was
    expect(first.index.get('lib/c.txt')!.size).toBe('lib/c.txt\n'.length);
  });

  it('leaves out a file gone, and takes in a file added, whatever else stayed', async () => {
    const first = await snapshot(new Map());
    rmSync(path.join(project, 'lib', 'b.txt'));
    const gone = await snapshot(first.index);
    expect(gone.result.hashedFiles).toBe(0);
    expect(gone.index).not.toBe(first.index);
    expect([...gone.index.keys()].sort()).toEqual(FILES.filter((name) => name !== 'lib/b.txt'));
    expect(first.index.has('lib/b.txt')).toBe(true);

    put('lib/b.txt', 'back\n');
    const added = await snapshot(gone.index);
    expect(added.result.hashedFiles).toBe(1);
    expect([...added.index.keys()].sort()).toEqual(FILES);
  });

  it('is a new map when a file became a folder', async () => {
    const first = await snapshot(new Map());
    rmSync(path.join(project, 'a.txt'));
    mkdirSync(path.join(project, 'a.txt'));
    const second = await snapshot(first.index);
    expect(second.index).not.toBe(first.index);
    expect(second.index.has('a.txt')).toBe(false);
    expect(second.index.size).toBe(FILES.length - 1);
  });

  it('reads each item its own lstat fields', async () => {
    const first = await snapshot(new Map());
    for (const relative of FILES) {
      const stats = lstatSync(path.join(project, relative));
      expect(first.index.get(relative)).toMatchObject({ size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs, ino: stats.ino, mode: stats.mode & 0o7777, trusted: true });
    }
    const inodes = new Set(FILES.map((relative) => first.index.get(relative)!.ino));
    expect(inodes.size).toBe(FILES.length);
  });
});
