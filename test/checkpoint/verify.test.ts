// Every blob a restore needs is read back and checked against its sha256
// before the target folder is touched; `verifyAll` says which checkpoints
// are usable. A blob whose content changed (a bit flip inside the data,
// re-framed as valid gzip so only the hash can tell) or whose compressed
// bytes were flipped makes the checkpoint unusable, and the folder is left
// exactly as it was.

import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import zlib, { gzipSync } from 'node:zlib';
import { FRAME_MAGIC, unpackBlobSync } from '../../src/checkpoint/blobCodec.js';
import { packContent } from '../../src/checkpoint/blobPacker.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BlobStore } from '../../src/checkpoint/blobStore.js';
import { CheckpointInvalidError, CheckpointStore, type FileEntry } from '../../src/checkpoint/store.js';
import { testBody as body, fingerprintTree as fingerprint } from '../helpers/checkpointTree.js';

let runDir: string;
let project: string;
let checkpoints: string;

beforeEach(() => {
  runDir = mkdtempSync(path.join(tmpdir(), 'megatest-ckverify-'));
  project = path.join(runDir, 'project');
  checkpoints = path.join(runDir, 'checkpoints');
  mkdirSync(project);
});
afterEach(() => rmSync(runDir, { recursive: true, force: true }));

function put(relative: string, content: string | Uint8Array, mode = 0o644): void {
  mkdirSync(path.dirname(path.join(project, relative)), { recursive: true });
  writeFileSync(path.join(project, relative), content, { mode });
}

async function checkpointNow(store: CheckpointStore): Promise<{ id: string; entries: FileEntry[] }> {
  const snapshot = await store.snapshot(project);
  return { id: (await store.write(body(snapshot.entries))).id, entries: snapshot.entries };
}

/** The content changes by one bit, and the blob is valid gzip again: only the sha256 check can tell. */
function flipBitInContent(blob: string): void {
  const content = unpackBlobSync(readFileSync(blob));
  content[Math.floor(content.length / 2)] ^= 0x04;
  writeFileSync(blob, gzipSync(content, { level: 1 }));
}

/** One bit of the compressed bytes flips (bit rot on disk). */
function flipBitInBlob(blob: string): void {
  const packed = readFileSync(blob);
  packed[Math.floor(packed.length / 2)] ^= 0x10;
  writeFileSync(blob, packed);
}

function blobOf(store: CheckpointStore, entries: FileEntry[], file: string): string {
  const entry = entries.find((item) => item.path === file);
  return store.blobPath(entry?.sha256 as string);
}

describe('restore verifies every blob before it touches the folder', () => {
  for (const [name, damage] of [
    ['a bit flip inside the content (valid gzip)', flipBitInContent],
    ['a bit flip in the compressed bytes', flipBitInBlob],
  ] as const) {
    it(`refuses on ${name}, naming the checkpoint and the blob, and leaves project/ as it was`, async () => {
      const store = new CheckpointStore(checkpoints);
      put('src/a.js', 'export const a = 1;\n'.repeat(200));
      put('src/b.js', 'export const b = 2;\n'.repeat(200));
      put('README.md', '# project\n');
      const first = await checkpointNow(store);
      // later work the restore would undo: an edit, a new file, a removed one
      put('src/a.js', 'export const a = 42;\n');
      put('src/new.js', 'new\n');
      rmSync(path.join(project, 'README.md'));
      const badBlob = blobOf(store, first.entries, 'src/b.js');
      damage(badBlob);
      const before = fingerprint(project);

      const attempt = store.restore(project, first.entries, { checkpointId: first.id });
      await expect(attempt).rejects.toBeInstanceOf(CheckpointInvalidError);
      const error = (await attempt.catch((e: unknown) => e)) as CheckpointInvalidError;
      expect(error.id).toBe(first.id);
      expect(error.message).toContain(`checkpoint ${first.id} cannot be used`);
      expect(error.message).toContain(path.relative(checkpoints, badBlob));
      expect(error.message).toContain('"src/b.js"');
      expect(error.message).toMatch(/project\/ was not changed/);
      expect(fingerprint(project)).toEqual(before);

      // The failed restore set the corrupt blob aside (test/checkpoint/badBlobs.test.ts): the checkpoint stays unusable.
      expect(error.message).toMatch(/1 corrupt blob set aside into checkpoints\/bad-blobs\//);
      const verdicts = await store.verifyAll();
      expect(verdicts.map((v) => [v.id, v.usable])).toEqual([[first.id, false]]);
      // Set aside, it is missing: the read-back names it and its file, as it names a corrupt one.
      expect(verdicts[0]!.reason).toContain(`1 blob missing: ${path.relative(checkpoints, badBlob)} (for "src/b.js"): is missing`);
      expect(verdicts[0]!.badBlobs.map((bad) => [bad.blob, bad.problem])).toEqual([[path.relative(checkpoints, badBlob), 'is missing']]);
    });
  }

  it('checks the blobs of files that already match too: a checkpoint with a bad blob is unusable whatever the folder holds', async () => {
    const store = new CheckpointStore(checkpoints);
    put('same.txt', 'unchanged content\n'.repeat(50));
    put('changed.txt', 'before\n');
    const first = await checkpointNow(store);
    put('changed.txt', 'after\n');
    flipBitInContent(blobOf(store, first.entries, 'same.txt'));
    const before = fingerprint(project);
    await expect(store.restore(project, first.entries, { checkpointId: first.id })).rejects.toThrow(/"same\.txt"/);
    expect(fingerprint(project)).toEqual(before);
  });

  it('a restore into another folder is refused the same way and writes nothing there', async () => {
    const store = new CheckpointStore(checkpoints);
    put('x/y.txt', 'y\n'.repeat(100));
    const first = await checkpointNow(store);
    flipBitInContent(blobOf(store, first.entries, 'x/y.txt'));
    const elsewhere = path.join(runDir, 'elsewhere');
    await expect(new CheckpointStore(checkpoints).restore(elsewhere, first.entries, { checkpointId: first.id })).rejects.toThrow(/x\/y\.txt/);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('streams large blobs (over the in-memory threshold) through the same check', async () => {
    const store = new CheckpointStore(checkpoints, { durable: false, compressionLevel: 1 });
    const large = Buffer.alloc(33 * 1024 * 1024, 0x61);
    large.write('start of a large file\n', 0);
    put('big.bin', large);
    put('small.txt', 'small\n');
    const first = await checkpointNow(store);
    put('big.bin', 'now small\n');
    flipBitInContent(blobOf(store, first.entries, 'big.bin'));
    const before = fingerprint(project);
    await expect(store.restore(project, first.entries, { checkpointId: first.id })).rejects.toThrow(/"big\.bin".*corrupt/);
    expect(fingerprint(project)).toEqual(before);
  });

  it('streams a large blob that is a brotli frame too: a file that grew past the threshold while a snapshot read it', async () => {
    const store = new CheckpointStore(checkpoints, { durable: false });
    const large = Buffer.alloc(33 * 1024 * 1024, 0x62);
    large.write('a log that grew while it was read\n', 0);
    put('grown.log', large);
    const first = await checkpointNow(store);
    // The blob as a snapshot that read the file whole packs it: a brotli frame.
    const blob = blobOf(store, first.entries, 'grown.log');
    const frame = Buffer.from(await packContent(zlib, large, 1, false));
    expect(frame.subarray(0, 4).equals(FRAME_MAGIC)).toBe(true);
    writeFileSync(blob, frame);
    put('grown.log', 'now small\n');
    const verifier = new CheckpointStore(checkpoints, { durable: false });
    expect((await verifier.verify(first.id)).usable).toBe(true);
    await verifier.restore(project, first.entries, { checkpointId: first.id });
    expect(readFileSync(path.join(project, 'grown.log')).equals(large)).toBe(true);
    // Cut short, it is refused before the folder is touched.
    writeFileSync(blob, frame.subarray(0, frame.length - 3));
    put('grown.log', 'small again\n');
    const before = fingerprint(project);
    await expect(new CheckpointStore(checkpoints, { durable: false }).restore(project, first.entries, { checkpointId: first.id })).rejects.toThrow(/"grown\.log"/);
    expect(fingerprint(project)).toEqual(before);
  });
});

describe('a good restore is byte-exact against the manifest', () => {
  it('puts back every file with the sha256, size and mode its manifest names', async () => {
    const store = new CheckpointStore(checkpoints);
    put('bin/run.sh', '#!/bin/sh\necho hi\n', 0o755);
    put('src/deep/nested/file.js', 'export {};\n');
    put('data/empty.txt', '');
    put('data/dup1.txt', 'same\n');
    put('data/dup2.txt', 'same\n');
    put('secret.txt', 'mode 600\n', 0o600);
    chmodSync(path.join(project, 'secret.txt'), 0o600);
    const first = await checkpointNow(store);
    put('bin/run.sh', 'changed\n', 0o644);
    chmodSync(path.join(project, 'bin/run.sh'), 0o644);
    rmSync(path.join(project, 'src'), { recursive: true });
    put('extra/file.txt', 'extra\n');

    await store.restore(project, first.entries, { checkpointId: first.id });
    const onDisk = fingerprint(project);
    const expected: Record<string, string> = {};
    for (const entry of first.entries) {
      const mode = entry.mode.toString(8);
      expected[entry.path] = entry.type === 'dir' ? `dir ${mode}` : entry.type === 'file' ? `file ${mode} ${entry.sha256}` : `other ${mode}`;
    }
    expect(onDisk).toEqual(expected);
    for (const entry of first.entries.filter((e) => e.type === 'file')) {
      expect(lstatSync(path.join(project, entry.path)).size).toBe(entry.size);
    }
    expect((await store.verifyAll()).every((v) => v.usable)).toBe(true);
  });

  it('verifyAll reads a blob shared by many checkpoints once and judges each checkpoint by its own blobs', async () => {
    const store = new CheckpointStore(checkpoints);
    put('shared.txt', 'in every checkpoint\n');
    put('only-first.txt', 'first only\n');
    const first = await checkpointNow(store);
    rmSync(path.join(project, 'only-first.txt'));
    put('later.txt', 'later\n');
    const second = await checkpointNow(store);
    flipBitInContent(blobOf(store, first.entries, 'only-first.txt'));
    const verdicts = await store.verifyAll();
    expect(verdicts.map((v) => [v.id, v.usable])).toEqual([
      [first.id, false],
      [second.id, true],
    ]);
    expect(verdicts[0]!.reason).toMatch(/only-first\.txt.*hashes to [0-9a-f]{64}, not to its name/);
    expect(verdicts[1]).toMatchObject({ files: 2, blobs: 2 });
  });

  it('verifyAll finds a blob cut short, one that is not a blob and a missing one by reading back alone, without the quick look first', async () => {
    const store = new CheckpointStore(checkpoints);
    put('cut.txt', 'cut short\n'.repeat(400));
    put('junk.txt', 'not a blob any more\n'.repeat(400));
    put('gone.txt', 'missing\n'.repeat(400));
    put('fine.txt', 'fine\n'.repeat(400));
    const first = await checkpointNow(store);
    const cut = blobOf(store, first.entries, 'cut.txt');
    writeFileSync(cut, readFileSync(cut).subarray(0, 20));
    writeFileSync(blobOf(store, first.entries, 'junk.txt'), 'plain text, no frame\n');
    rmSync(blobOf(store, first.entries, 'gone.txt'));
    // The quick look (a stat, an open and a header per blob) is what the read-back does anyway: verify does not make it.
    const quickLook = vi.spyOn(BlobStore.prototype, 'blobProblem');
    const verdicts = await new CheckpointStore(checkpoints).verifyAll({ setAsideBad: true });
    expect(quickLook).not.toHaveBeenCalled();
    quickLook.mockRestore();
    expect(verdicts.map((v) => [v.id, v.usable])).toEqual([[first.id, false]]);
    expect(verdicts[0]!.badBlobs.map((bad) => bad.paths[0])).toEqual(['cut.txt', 'gone.txt', 'junk.txt']);
    expect(verdicts[0]!.badBlobs.find((bad) => bad.paths[0] === 'gone.txt')!.problem).toBe('is missing');
    expect(verdicts[0]!.reason).toMatch(/^3 blobs missing or failing their sha256 check: .*\(for "cut\.txt"\)/);
    // The two corrupt ones go aside for the next checkpoint to write again; the missing one has nothing to move.
    expect(verdicts.setAside).toBe(2);
    // read() still makes the quick look, and says the same blobs are what is wrong.
    await expect(new CheckpointStore(checkpoints).read(first.id)).rejects.toThrow(/3 of its 4 files cannot be restored/);
  });

  it('a blob found missing by a verify in another process is written again by the running store, whose checkpoints named it', async () => {
    const live = new CheckpointStore(checkpoints);
    put('kept.txt', 'unchanged all along\n'.repeat(100));
    const first = await checkpointNow(live);
    const blob = blobOf(live, first.entries, 'kept.txt');
    rmSync(blob);
    // The running store trusts the blob it wrote: the next checkpoint of the unchanged file names it, missing or not.
    const second = await checkpointNow(live);
    const verdicts = await new CheckpointStore(checkpoints).verifyAll({ setAsideBad: true });
    expect(verdicts.map((v) => [v.id, v.usable])).toEqual([
      [first.id, false],
      [second.id, false],
    ]);
    // Nothing to move aside, but the running store hears of it: its next checkpoint writes the content again.
    expect(verdicts.setAside).toBe(0);
    const third = await checkpointNow(live);
    expect(readFileSync(blob).length).toBeGreaterThan(0);
    expect((await new CheckpointStore(checkpoints).verifyAll()).map((v) => [v.id, v.usable])).toEqual([
      [first.id, true],
      [second.id, true],
      [third.id, true],
    ]);
  });
});
