// A rotten blob is not reused forever (issue 11, item 3). A blob this
// process did not write is reused only after a cheap check of its size (gzip
// header and trailer); a failed restore and `verify` set a corrupt blob
// aside into checkpoints/bad-blobs/, and the next snapshot that needs its
// content writes it again, which makes every checkpoint naming it whole.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { unpackBlobSync } from '../../src/checkpoint/blobCodec.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CheckpointInvalidError, CheckpointStore, type FileEntry } from '../../src/checkpoint/store.js';
import { testBody as body } from '../helpers/checkpointTree.js';

let runDir: string;
let project: string;
let checkpoints: string;

beforeEach(() => {
  runDir = mkdtempSync(path.join(tmpdir(), 'megatest-badblobs-'));
  project = path.join(runDir, 'project');
  checkpoints = path.join(runDir, 'checkpoints');
  mkdirSync(project);
  put('src/a.js', 'export const a = 1;\n'.repeat(300));
  put('src/b.js', 'export const b = 2;\n'.repeat(300));
});
afterEach(() => rmSync(runDir, { recursive: true, force: true }));

function put(relative: string, content: string): void {
  mkdirSync(path.dirname(path.join(project, relative)), { recursive: true });
  writeFileSync(path.join(project, relative), content);
}

async function checkpointNow(store: CheckpointStore) {
  const snapshot = await store.snapshot(project);
  return { id: (await store.write(body(snapshot.entries))).id, snapshot };
}

function blobOf(store: CheckpointStore, entries: FileEntry[], file: string): string {
  return store.blobPath(entries.find((entry) => entry.path === file)!.sha256!);
}

/** Same size, valid gzip, other content: only reading it back and hashing it can tell. */
function flipBitInContent(blob: string): void {
  const content = unpackBlobSync(readFileSync(blob));
  content[10] ^= 0x04;
  writeFileSync(blob, gzipSync(content));
}

const usable = async (store: CheckpointStore) => (await store.verifyAll()).map((v) => [v.id, v.usable]);

describe('reusing a blob', () => {
  it('checks the size of a blob another process stored before reusing it, and writes a wrong one again', async () => {
    const first = await checkpointNow(new CheckpointStore(checkpoints));
    const blob = blobOf(new CheckpointStore(checkpoints), first.snapshot.entries, 'src/b.js');
    // Truncated to a valid gzip of part of the content: the trailer says another size.
    writeFileSync(blob, gzipSync(unpackBlobSync(readFileSync(blob)).subarray(0, 100)));

    // A new process (a resumed orchestrator) snapshots the same, unchanged project.
    const resumed = new CheckpointStore(checkpoints);
    const second = await checkpointNow(resumed);
    expect(second.snapshot.rewrittenBlobs).toBe(1);
    expect(second.snapshot.newBlobs).toBe(1);
    // The rewritten blob serves both checkpoints: they name the same content.
    expect(await usable(resumed)).toEqual([
      [first.id, true],
      [second.id, true],
    ]);
  });

  it('checks every vouched-for blob of a big project, those looked at on the second thread too, and writes the wrong ones again', async () => {
    // 4,200 files: past statHelper's PARALLEL_FROM, so half the blobs' lstats run on the worker.
    // Dated a minute back: not changed in the second they are hashed, so the stat cache vouches for them (git's racy-clean rule).
    const past = new Date(Date.now() - 60_000);
    for (let index = 0; index < 4200; index += 1) {
      const file = `many/m${String(index).padStart(4, '0')}.txt`;
      put(file, `file ${index}\n`.repeat(3));
      utimesSync(path.join(project, file), past, past);
    }
    const first = await checkpointNow(new CheckpointStore(checkpoints, { durable: false }));
    const reader = new CheckpointStore(checkpoints);
    // The first and the last file by path: one in each half of the list.
    for (const file of ['many/m0000.txt', 'many/m4199.txt']) {
      const blob = blobOf(reader, first.snapshot.entries, file);
      writeFileSync(blob, gzipSync(unpackBlobSync(readFileSync(blob)).subarray(0, 5)));
    }
    const resumed = new CheckpointStore(checkpoints, { durable: false });
    const second = await checkpointNow(resumed);
    expect(second.snapshot).toMatchObject({ rewrittenBlobs: 2, newBlobs: 2 });
    expect((await resumed.verify(first.id)).usable).toBe(true);
  }, 60_000);

  it('reuses a blob it wrote itself without a look, and the same blob untouched by a fresh process when it is right', async () => {
    const store = new CheckpointStore(checkpoints);
    await checkpointNow(store);
    const again = await checkpointNow(store);
    expect(again.snapshot).toMatchObject({ newBlobs: 0, rewrittenBlobs: 0 });
    const fresh = await checkpointNow(new CheckpointStore(checkpoints));
    expect(fresh.snapshot).toMatchObject({ newBlobs: 0, rewrittenBlobs: 0 });
  });
});

describe('a corrupt blob is set aside and written again', () => {
  it('by a failed restore: the next checkpoint writes it, and the old checkpoint is whole again', async () => {
    const store = new CheckpointStore(checkpoints);
    const first = await checkpointNow(store);
    const blob = blobOf(store, first.snapshot.entries, 'src/b.js');
    flipBitInContent(blob);
    put('src/a.js', 'changed\n');

    const failed = await store.restore(project, first.snapshot.entries, { checkpointId: first.id }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(CheckpointInvalidError);
    expect(existsSync(blob)).toBe(false);
    const aside = readdirSync(path.join(checkpoints, 'bad-blobs'));
    expect(aside).toHaveLength(1);
    expect(aside[0]!.startsWith(path.basename(path.dirname(blob)) + path.basename(blob))).toBe(true);

    // src/b.js did not change: this process had trusted its blob, and must not reuse it now.
    const second = await checkpointNow(store);
    expect(second.snapshot.newBlobs).toBe(2); // the changed src/a.js and the set-aside src/b.js
    expect(existsSync(blob)).toBe(true);
    expect(await usable(store)).toEqual([
      [first.id, true],
      [second.id, true],
    ]);
  });

  it('by verify in another process: the running store notices it and writes the blob again', async () => {
    const running = new CheckpointStore(checkpoints);
    const first = await checkpointNow(running);
    const blob = blobOf(running, first.snapshot.entries, 'src/a.js');
    flipBitInContent(blob);

    // `megatest checkpoints verify` is another process: another store.
    const verdicts = await new CheckpointStore(checkpoints).verifyAll({ setAsideBad: true });
    expect(verdicts.map((v) => [v.id, v.usable])).toEqual([[first.id, false]]);
    expect(verdicts[0]!.reason).toMatch(/its content hashes to [0-9a-f]{64}, not to its name/);
    expect(verdicts.setAside).toBe(1);
    expect(existsSync(blob)).toBe(false);

    // Without the set-aside the running store would reuse the blob it trusts (src/a.js is unchanged).
    const second = await checkpointNow(running);
    expect(second.snapshot.newBlobs).toBe(1);
    expect(await usable(running)).toEqual([
      [first.id, true],
      [second.id, true],
    ]);
  });

  it('verify moves only corrupt blobs: a missing one stays missing, a checkpoint whose manifest is wrong loses no good blob', async () => {
    const store = new CheckpointStore(checkpoints);
    const first = await checkpointNow(store);
    rmSync(blobOf(store, first.snapshot.entries, 'src/a.js'));
    const verdicts = await new CheckpointStore(checkpoints).verifyAll({ setAsideBad: true });
    expect(verdicts[0]!.usable).toBe(false);
    expect(verdicts.setAside).toBe(0);
    expect(existsSync(blobOf(store, first.snapshot.entries, 'src/b.js'))).toBe(true);
  });
});

describe('a set-aside blob and the running store’s own index', () => {
  // Settled files, as an agent's files written long before a checkpoint: the store's own index vouches for them by lstat.
  beforeEach(() => {
    const hourAgo = new Date(Date.now() - 3_600_000);
    for (const file of ['src/a.js', 'src/b.js']) utimesSync(path.join(project, file), hourAgo, hourAgo);
    // The store's clock an hour on: the files' ctimes (set by the kernel to the real time) are settled too.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 3_600_000 });
  });
  afterEach(() => vi.useRealTimers());

  async function setAsideByVerify(store: CheckpointStore, entries: FileEntry[], file: string): Promise<string> {
    const blob = blobOf(store, entries, file);
    flipBitInContent(blob);
    // `megatest checkpoints verify` is another process: another store.
    expect((await new CheckpointStore(checkpoints).verifyAll({ setAsideBad: true })).setAside).toBe(1);
    return blob;
  }

  it('is written again by the next checkpoint of an unchanged file the store had trusted', async () => {
    const running = new CheckpointStore(checkpoints);
    const first = await checkpointNow(running);
    expect((await checkpointNow(running)).snapshot.hashedFiles).toBe(0);
    const blob = await setAsideByVerify(running, first.snapshot.entries, 'src/a.js');

    const third = await checkpointNow(running);
    expect(third.snapshot.newBlobs).toBe(1);
    expect(existsSync(blob)).toBe(true);
    expect((await usable(running)).every(([, ok]) => ok)).toBe(true);
  });

  it('is written again by the checkpoint after the one it was set aside during', async () => {
    const running = new CheckpointStore(checkpoints);
    const first = await checkpointNow(running);
    let blob = '';
    // Set aside while the checkpoint's body is made: after its snapshot took the blob as known, before it was written.
    const during = await running.checkpoint(project, async (snapshot) => {
      blob = await setAsideByVerify(running, first.snapshot.entries, 'src/b.js');
      return body(snapshot.entries);
    });
    expect(during.snapshot.hashedFiles).toBe(0);
    expect(existsSync(blob)).toBe(false);

    const next = await checkpointNow(running);
    expect(next.snapshot.newBlobs).toBe(1);
    expect(existsSync(blob)).toBe(true);
  });
});
