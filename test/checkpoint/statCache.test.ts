// The stat cache on disk (checkpoints/stat-cache.json): a new store (a
// restarted process) recognises unchanged files by lstat instead of hashing
// them again; a file changed in the same second as it was hashed is not
// trusted (git's racy-clean rule); a changed file is always hashed again,
// even with its size and mtime put back; a damaged cache is ignored; a blob
// whose size is not what the cache recorded is written again.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { unpackBlobSync } from '../../src/checkpoint/blobCodec.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PARALLEL_FROM } from '../../src/checkpoint/statHelper.js';
import { CheckpointStore, type FileEntry } from '../../src/checkpoint/store.js';

let runDir: string;
let project: string;
let checkpoints: string;
/** Modification times an hour back: settled, as files an agent wrote long before the checkpoint. */
const settled = new Date(Date.now() - 3_600_000);

beforeEach(() => {
  runDir = mkdtempSync(path.join(tmpdir(), 'megatest-statcache-'));
  project = path.join(runDir, 'project');
  checkpoints = path.join(runDir, 'checkpoints');
  mkdirSync(project);
  for (let index = 0; index < 12; index += 1) put(`dir${index % 3}/file${index}.txt`, `file ${index}\n`.repeat(40 + index));
  // The store's clock an hour on: the files' ctimes (which only the kernel sets, to the real time) are settled too.
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 3_600_000 });
});
afterEach(() => {
  vi.useRealTimers();
  rmSync(runDir, { recursive: true, force: true });
});

function put(relative: string, content: string, when: Date = settled): void {
  const absolute = path.join(project, relative);
  mkdirSync(path.dirname(absolute), { recursive: true });
  writeFileSync(absolute, content);
  utimesSync(absolute, when, when);
}

function contentOf(entries: FileEntry[], relative: string): string {
  return entries.find((entry) => entry.path === relative)?.sha256 ?? 'absent';
}

describe('the stat cache', () => {
  it('lets a new store (a restarted process) snapshot an unchanged folder without reading a file', async () => {
    const first = await new CheckpointStore(checkpoints).snapshot(project);
    expect(first.hashedFiles).toBe(12);
    expect(existsSync(path.join(checkpoints, 'stat-cache.json'))).toBe(true);
    // Valid JSON like every other file of the run folder, checked against its own sha256.
    expect(JSON.parse(readFileSync(path.join(checkpoints, 'stat-cache.json'), 'utf8'))).toMatchObject({ format: 'megatest stat cache 1', cache: { root: project } });
    expect(readdirSync(checkpoints).filter((name) => name.endsWith('.tmp'))).toEqual([]);

    const restarted = await new CheckpointStore(checkpoints).snapshot(project);
    expect(restarted.hashedFiles).toBe(0);
    expect(restarted.newBlobs).toBe(0);
    expect(restarted.entries).toEqual(first.entries);
  });

  it('is saved by what changed after the first save: a new store hashes nothing after a second checkpoint', async () => {
    const store = new CheckpointStore(checkpoints);
    await store.snapshot(project);
    const base = readFileSync(path.join(checkpoints, 'stat-cache.json'), 'utf8');
    put('dir1/file4.txt', 'edited before the second checkpoint\n');
    put('dir2/new.txt', 'a new file\n');
    const second = await store.snapshot(project);
    expect(second.hashedFiles).toBe(2);
    expect(readFileSync(path.join(checkpoints, 'stat-cache.json'), 'utf8')).toBe(base);
    expect(readFileSync(path.join(checkpoints, 'stat-cache.changes.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);

    const restarted = await new CheckpointStore(checkpoints).snapshot(project);
    expect(restarted.hashedFiles).toBe(0);
    expect(restarted.entries).toEqual(second.entries);
  });

  it('is left as it is by a snapshot that hashed nothing and lost nothing; a file gone is recorded', async () => {
    const store = new CheckpointStore(checkpoints);
    await store.snapshot(project);
    const cacheFiles = () => readdirSync(checkpoints).filter((name) => name.startsWith('stat-cache')).map((name) => [name, readFileSync(path.join(checkpoints, name), 'utf8')]);
    const before = cacheFiles();
    expect((await store.snapshot(project)).hashedFiles).toBe(0);
    expect((await new CheckpointStore(checkpoints).snapshot(project)).hashedFiles).toBe(0);
    expect(cacheFiles()).toEqual(before);

    // Nothing to hash, one record fewer: the change is appended, and a new process does not vouch for the file.
    rmSync(path.join(project, 'dir0', 'file3.txt'));
    expect((await store.snapshot(project)).hashedFiles).toBe(0);
    const changes = readFileSync(path.join(checkpoints, 'stat-cache.changes.jsonl'), 'utf8').trim().split('\n');
    expect(changes).toHaveLength(1);
    expect(JSON.parse(changes[0]!).change).toEqual({ set: [], drop: ['dir0/file3.txt'] });
  });

  it('hashes again a file changed since, even with its size and modification time put back', async () => {
    const first = await new CheckpointStore(checkpoints).snapshot(project);
    put('dir1/file1.txt', 'FILE 1\n'.repeat(41)); // same size as before, same mtime (settled)
    const restarted = await new CheckpointStore(checkpoints).snapshot(project);
    expect(restarted.hashedFiles).toBe(1);
    expect(contentOf(restarted.entries, 'dir1/file1.txt')).not.toBe(contentOf(first.entries, 'dir1/file1.txt'));
    expect(restarted.newBlobs).toBe(1);
  });

  it('does not trust a file changed in the same second as it was hashed', async () => {
    // The clock stands at 0.9 s into a second; one file was modified at 0.2 s of that second (0.7 s before:
    // past the 100 ms tick, but in the same second), the others an hour before.
    const now = new Date(Math.floor(Date.now() / 1000) * 1000 + 900);
    vi.setSystemTime(now);
    put('dir2/file2.txt', 'changed in this second\n', new Date(now.getTime() - 700));
    const first = await new CheckpointStore(checkpoints).snapshot(project);
    expect(first.hashedFiles).toBe(12);
    vi.setSystemTime(now.getTime() + 60_000);
    const restarted = await new CheckpointStore(checkpoints).snapshot(project);
    expect(restarted.hashedFiles).toBe(1);
    expect(restarted.entries).toEqual(first.entries);
  });

  it('is ignored whole when damaged, and the snapshot comes out the same', async () => {
    const first = await new CheckpointStore(checkpoints).snapshot(project);
    const cache = path.join(checkpoints, 'stat-cache.json');
    const text = readFileSync(cache, 'utf8');
    writeFileSync(cache, text.replace(/"dir0\/file0\.txt",\d+/, '"dir0/file0.txt",1'));
    const restarted = await new CheckpointStore(checkpoints).snapshot(project);
    expect(restarted.hashedFiles).toBe(12);
    expect(restarted.entries).toEqual(first.entries);
  });

  it('belongs to one folder: another folder with the same files is hashed', async () => {
    await new CheckpointStore(checkpoints).snapshot(project);
    const copy = path.join(runDir, 'copy');
    mkdirSync(copy);
    for (const dir of ['dir0', 'dir1', 'dir2']) {
      mkdirSync(path.join(copy, dir));
      for (const name of readdirSync(path.join(project, dir))) writeFileSync(path.join(copy, dir, name), readFileSync(path.join(project, dir, name)));
    }
    expect((await new CheckpointStore(checkpoints).snapshot(copy)).hashedFiles).toBe(12);
  });

  it('does not vouch for a blob whose size changed since: the file is hashed and its blob written again', async () => {
    const first = await new CheckpointStore(checkpoints).snapshot(project);
    const store = new CheckpointStore(checkpoints);
    const blob = store.blobPath(contentOf(first.entries, 'dir0/file3.txt'));
    // A valid gzip of part of the content: the size on disk differs from the one the cache recorded.
    writeFileSync(blob, gzipSync(unpackBlobSync(readFileSync(blob)).subarray(0, 10)));
    const restarted = await store.snapshot(project);
    expect(restarted.hashedFiles).toBe(1);
    expect(restarted.rewrittenBlobs).toBe(1);
    expect(unpackBlobSync(readFileSync(blob)).toString()).toBe('file 3\n'.repeat(43));
  });

  it('in a big tree too, its blobs looked at on two threads: a blob resized or gone is written again, every other is trusted', async () => {
    for (let index = 12; index < PARALLEL_FROM + 100; index += 1) put(`big${index % 40}/file${index}.txt`, `file ${index}\n`);
    const first = await new CheckpointStore(checkpoints).snapshot(project);
    expect(first.files).toBe(PARALLEL_FROM + 100);
    const store = new CheckpointStore(checkpoints);
    const resized = store.blobPath(contentOf(first.entries, 'dir0/file3.txt'));
    writeFileSync(resized, gzipSync(unpackBlobSync(readFileSync(resized)).subarray(0, 10)));
    const gone = store.blobPath(contentOf(first.entries, 'big17/file4017.txt'));
    rmSync(gone);
    const restarted = await store.snapshot(project);
    expect(restarted.hashedFiles).toBe(2);
    expect(restarted.entries).toEqual(first.entries);
    expect(unpackBlobSync(readFileSync(resized)).toString()).toBe('file 3\n'.repeat(43));
    expect(unpackBlobSync(readFileSync(gone)).toString()).toBe('file 4017\n');
  });

  it('is left as it is by a restore into another folder (an export)', async () => {
    const first = await new CheckpointStore(checkpoints).snapshot(project);
    const cache = readFileSync(path.join(checkpoints, 'stat-cache.json'), 'utf8');
    await new CheckpointStore(checkpoints).restore(path.join(runDir, 'export'), first.entries);
    expect(readFileSync(path.join(checkpoints, 'stat-cache.json'), 'utf8')).toBe(cache);
    expect((await new CheckpointStore(checkpoints).snapshot(project)).hashedFiles).toBe(0);
  });

  it('is updated by a restore, so the next process knows what the restore left', async () => {
    const store = new CheckpointStore(checkpoints);
    const first = await store.snapshot(project);
    put('dir0/file0.txt', 'edited after the checkpoint\n');
    await store.restore(project, first.entries);
    // The restored file was written just now: hashed once more by the next snapshot, the rest vouched for.
    const restarted = await new CheckpointStore(checkpoints).snapshot(project);
    expect(restarted.hashedFiles).toBe(1);
    expect(restarted.entries).toEqual(first.entries);
  });
});
