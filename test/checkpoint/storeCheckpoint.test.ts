// store.checkpoint(): a snapshot and its checkpoint file with one flush. The
// snapshot's new blobs start syncing to disk (`sync -f`) before the body is
// made, and are published with the folder listings, before the checkpoint
// file names them; the flush fsyncs whatever that sync did not cover, all of
// them when it failed. A body that cannot be made leaves nothing behind, and
// the next checkpoint stores the same contents again. A fake `sync` first on
// PATH (test/helpers/fakeSync.ts) records how it was called; fsyncs of single files are counted through
// a wrapper of durableFiles.syncFile.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { SYNC_FILE_SYSTEM_FROM } from '../../src/checkpoint/blobStore.js';
import { syncFile } from '../../src/checkpoint/durableFiles.js';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import { testBody as body } from '../helpers/checkpointTree.js';
import { waitFor } from '../helpers/cli.js';
import { fakeSync } from '../helpers/fakeSync.js';

vi.mock(import('../../src/checkpoint/durableFiles.js'), async (importOriginal) => {
  const original = await importOriginal();
  return { ...original, syncFile: vi.fn(original.syncFile) };
});

const base = mkdtempSync(path.join(tmpdir(), 'megatest-storecheckpoint-'));
const sync = fakeSync(base);
afterAll(() => {
  sync.restorePath();
  rmSync(base, { recursive: true, force: true });
});

let round = 0;
let runDir: string;
let project: string;
let objects: string;
beforeEach(() => {
  round += 1;
  runDir = path.join(base, `run-${round}`);
  project = path.join(runDir, 'project');
  objects = path.join(runDir, 'checkpoints', 'objects');
  mkdirSync(project, { recursive: true });
  sync.clearCalls();
  vi.mocked(syncFile).mockClear();
});

/** Files fsynced one by one under objects/ since the test began. */
function blobsFsynced(): number {
  return vi.mocked(syncFile).mock.calls.filter(([file]) => file.startsWith(objects)).length;
}

/** Files under objects/: blobs by their names, temp files by theirs. */
function objectFiles(): { blobs: number; temps: number } {
  const found = { blobs: 0, temps: 0 };
  if (!existsSync(objects)) return found;
  for (const entry of readdirSync(objects, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    if (/^[0-9a-f]{62}$/.test(entry.name)) found.blobs += 1;
    else if (entry.name.startsWith('.blob.')) found.temps += 1;
  }
  return found;
}

function putFiles(count: number, salt = ''): void {
  for (let index = 0; index < count; index += 1) writeFileSync(path.join(project, `f${index}.txt`), `${salt}content of file ${index}\n`.repeat(3));
}

async function expectUsable(id: string): Promise<void> {
  // A new store (another process) finds every blob whole.
  const verified = await new CheckpointStore(path.join(runDir, 'checkpoints')).verify(id);
  expect(verified.usable, verified.reason).toBe(true);
}

describe('store.checkpoint', () => {
  it('starts syncing the new blobs before the body is made, publishes none before, and flushes once with the listing', async () => {
    sync.install(0);
    const count = SYNC_FILE_SYSTEM_FROM * 3;
    putFiles(count);
    const store = new CheckpointStore(path.join(runDir, 'checkpoints'));
    let whileMaking: { blobs: number; temps: number } | undefined;
    const { snapshot, body: made, written } = await store.checkpoint(project, async (taken) => {
      // The sync ahead has started: the fake `sync` logged its call.
      await waitFor(() => sync.calls().length >= 1, 'the sync ahead to start', 30_000, 20);
      whileMaking = objectFiles();
      return body(taken.entries);
    });
    expect(snapshot.newBlobs).toBe(count);
    expect(whileMaking).toEqual({ blobs: 0, temps: count });
    expect(made.file_system_state.entries).toEqual(snapshot.entries);
    // Two syncs: the contents ahead, the names after the renames. The one listing (the project folder) is fsynced alone.
    expect(sync.calls()).toEqual([`-f ${objects}`, `-f ${objects}`]);
    expect(blobsFsynced()).toBe(1);
    expect(objectFiles()).toEqual({ blobs: count + 1, temps: 0 });
    await expectUsable(written.id);

    // The next checkpoint's new blobs get a sync ahead of their own.
    putFiles(count, 'changed ');
    const next = await store.checkpoint(project, async (taken) => {
      await waitFor(() => sync.calls().length >= 3, 'the next sync ahead to start', 30_000, 20);
      return body(taken.entries);
    });
    expect(next.snapshot.newBlobs).toBe(count);
    expect(sync.calls()).toHaveLength(4);
    expect(blobsFsynced()).toBe(2);
    await expectUsable(next.written.id);
  });

  it('fsyncs every new blob before publishing it when the sync ahead fails', async () => {
    sync.install(1);
    const count = SYNC_FILE_SYSTEM_FROM * 2;
    putFiles(count);
    const { written } = await new CheckpointStore(path.join(runDir, 'checkpoints')).checkpoint(project, (taken) => body(taken.entries));
    expect(sync.calls().length).toBeGreaterThanOrEqual(1);
    // The blobs and the listing, each on its own.
    expect(blobsFsynced()).toBe(count + 1);
    expect(objectFiles()).toEqual({ blobs: count + 1, temps: 0 });
    await expectUsable(written.id);
  });

  it('a body that cannot be made leaves no blob and no temp file, and the next checkpoint stores the contents again', async () => {
    sync.install(0);
    const count = SYNC_FILE_SYSTEM_FROM * 2;
    putFiles(count);
    const store = new CheckpointStore(path.join(runDir, 'checkpoints'));
    await expect(
      store.checkpoint(project, async () => {
        await waitFor(() => sync.calls().length >= 1, 'the sync ahead to start', 30_000, 20);
        throw new Error('no body today');
      }),
    ).rejects.toThrow('no body today');
    expect(objectFiles()).toEqual({ blobs: 0, temps: 0 });
    expect(await store.ids()).toEqual([]);

    // The same contents again, with a sync ahead of their own (not the failed checkpoint's).
    const syncsBefore = sync.calls().length;
    const { snapshot, written } = await store.checkpoint(project, async (taken) => {
      await waitFor(() => sync.calls().length > syncsBefore, 'a new sync ahead to start', 30_000, 20);
      return body(taken.entries);
    });
    expect(snapshot.newBlobs).toBe(count);
    expect(objectFiles()).toEqual({ blobs: count + 1, temps: 0 });
    await expectUsable(written.id);
  });

  it('publishes the new blobs before the file also when the body has no manifest to store as listings', async () => {
    sync.install(0);
    const count = SYNC_FILE_SYSTEM_FROM * 2;
    putFiles(count);
    const store = new CheckpointStore(path.join(runDir, 'checkpoints'));
    const { written } = await store.checkpoint(project, () => ({ note: 'a body without file_system_state' }));
    expect(objectFiles()).toEqual({ blobs: count, temps: 0 });
    expect(existsSync(written.path)).toBe(true);
  });

  it('a checkpoint after a snapshot() of the same store reuses its published blobs', async () => {
    sync.install(0);
    putFiles(SYNC_FILE_SYSTEM_FROM, 'first ');
    const store = new CheckpointStore(path.join(runDir, 'checkpoints'));
    await store.snapshot(project);
    putFiles(3, 'second ');
    const { snapshot, written } = await store.checkpoint(project, (taken) => body(taken.entries));
    expect(snapshot.newBlobs).toBe(3);
    expect(objectFiles().temps).toBe(0);
    await expectUsable(written.id);
  });
});
