// A snapshot with many new blobs makes them durable with one sync of the file
// system (`sync -f`, syncfs) instead of an fsync each, and falls back to an
// fsync each where `sync -f` fails or is missing. Either way every blob is
// published and the checkpoint naming them reads back whole. A fake `sync`
// first on PATH records how it was called.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SYNC_FILE_SYSTEM_FROM } from '../../src/checkpoint/blobStore.js';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import { testBody as body } from '../helpers/checkpointTree.js';
import { fakeSync } from '../helpers/fakeSync.js';

const base = mkdtempSync(path.join(tmpdir(), 'megatest-syncfs-'));
const sync = fakeSync(base);
afterAll(() => {
  sync.restorePath();
  rmSync(base, { recursive: true, force: true });
});

let round = 0;
let runDir: string;
beforeEach(() => {
  round += 1;
  runDir = path.join(base, `run-${round}`);
  mkdirSync(path.join(runDir, 'project'), { recursive: true });
  sync.clearCalls();
});

function putFiles(count: number): void {
  for (let index = 0; index < count; index += 1) writeFileSync(path.join(runDir, 'project', `f${index}.txt`), `content of file ${index}\n`.repeat(3));
}

async function checkpointAndReadBack(): Promise<number> {
  const store = new CheckpointStore(path.join(runDir, 'checkpoints'));
  const snapshot = await store.snapshot(path.join(runDir, 'project'));
  const { id } = await store.write(body(snapshot.entries));
  // a new store (another process) finds every blob whole
  const verified = await new CheckpointStore(path.join(runDir, 'checkpoints')).verify(id);
  expect(verified.usable, verified.reason).toBe(true);
  return snapshot.newBlobs;
}

describe('flushing many new blobs', () => {
  it('syncs the file system once for their contents (and once for their names when they fill many folders)', async () => {
    sync.install(0);
    putFiles(SYNC_FILE_SYSTEM_FROM * 3);
    expect(await checkpointAndReadBack()).toBe(SYNC_FILE_SYSTEM_FROM * 3);
    const made = sync.calls();
    expect(made.length).toBeGreaterThanOrEqual(1);
    expect(made.length).toBeLessThanOrEqual(2);
    for (const call of made) expect(call).toBe(`-f ${path.join(runDir, 'checkpoints', 'objects')}`);
  });

  it('a few new blobs are fsynced one by one: no file system sync', async () => {
    sync.install(0);
    putFiles(3);
    expect(await checkpointAndReadBack()).toBe(3);
    expect(sync.calls()).toEqual([]);
  });

  it('falls back to an fsync each when `sync -f` fails, and still publishes every blob', async () => {
    sync.install(1);
    putFiles(SYNC_FILE_SYSTEM_FROM * 2);
    expect(await checkpointAndReadBack()).toBe(SYNC_FILE_SYSTEM_FROM * 2);
    expect(sync.calls().length).toBeGreaterThanOrEqual(1);
  });

  it('falls back to an fsync each where there is no `sync` at all', async () => {
    sync.uninstall();
    process.env.PATH = sync.bin;
    putFiles(SYNC_FILE_SYSTEM_FROM * 2);
    expect(await checkpointAndReadBack()).toBe(SYNC_FILE_SYSTEM_FROM * 2);
    sync.restorePath();
  });
});
