// How blobs are packed (a brotli frame at quality 1 by default, content that
// does not compress in gzip's stored blocks), that checkpoints written at
// another level, or as gzip by the stores before the brotli frame, still
// read, verify, restore and are reused, that
// a snapshot publishes its blobs only once they are all written, and that
// list() reads the checkpoint files only, never a blob.

import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { FRAME_MAGIC, unpackBlobSync } from '../../src/checkpoint/blobCodec.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointStore, type FileEntry } from '../../src/checkpoint/store.js';
import { walkTree } from './tree-walk.js';
import { testBody as body } from '../helpers/checkpointTree.js';

let runDir: string;
let project: string;
let checkpoints: string;

beforeEach(() => {
  runDir = mkdtempSync(path.join(tmpdir(), 'megatest-blobformat-'));
  project = path.join(runDir, 'project');
  checkpoints = path.join(runDir, 'checkpoints');
  mkdirSync(project);
});
afterEach(() => rmSync(runDir, { recursive: true, force: true }));

function put(relative: string, content: string | Uint8Array): void {
  mkdirSync(path.dirname(path.join(project, relative)), { recursive: true });
  writeFileSync(path.join(project, relative), content);
}

function shaOf(entries: FileEntry[], relative: string): string {
  return entries.find((entry) => entry.path === relative)!.sha256!;
}

/** A gzip member's first deflate block type, from its header (RFC 1952, RFC 1951): 0 stored, 1 fixed, 2 dynamic. */
function firstBlockType(blob: Buffer): number {
  const flags = blob[3]!;
  let offset = 10;
  if (flags & 0x04) offset += 2 + blob.readUInt16LE(offset);
  if (flags & 0x08) offset = blob.indexOf(0, offset) + 1;
  if (flags & 0x10) offset = blob.indexOf(0, offset) + 1;
  if (flags & 0x02) offset += 2;
  return (blob[offset]! >> 1) & 0x03;
}

describe('blob packing', () => {
  it('keeps content that does not compress in stored blocks, and compresses the rest', async () => {
    const noise = randomBytes(300 * 1024);
    const text = 'const value = compute(index) + offset;\n'.repeat(4000);
    put('assets/noise.bin', noise);
    put('src/code.ts', text);
    const store = new CheckpointStore(checkpoints);
    const { entries } = await store.snapshot(project);

    const noiseBlob = readFileSync(store.blobPath(shaOf(entries, 'assets/noise.bin')));
    expect(firstBlockType(noiseBlob)).toBe(0);
    expect(noiseBlob.length).toBeLessThan(noise.length + 200);
    expect(unpackBlobSync(noiseBlob).equals(noise)).toBe(true);

    const textBlob = readFileSync(store.blobPath(shaOf(entries, 'src/code.ts')));
    expect(textBlob.subarray(0, 4).equals(FRAME_MAGIC)).toBe(true);
    expect(textBlob.length).toBeLessThan(text.length / 10);
    expect(unpackBlobSync(textBlob).toString()).toBe(text);
  });

  it('reads, verifies and restores byte for byte a checkpoint whose blobs were written at level 6', async () => {
    put('src/a.ts', 'export const a = 1;\n'.repeat(500));
    put('data/b.b64', randomBytes(20_000).toString('base64'));
    put('noise.bin', randomBytes(5000));
    const before = walkTree(project);
    const old = new CheckpointStore(checkpoints, { compressionLevel: 6 });
    const { id } = await old.write(body((await old.snapshot(project)).entries));

    const store = new CheckpointStore(checkpoints);
    expect((await store.verify(id)).usable).toBe(true);
    const loaded = await store.read(id);
    rmSync(project, { recursive: true, force: true });
    await store.restore(project, loaded.body.file_system_state.entries, { checkpointId: id });
    expect(walkTree(project)).toEqual(before);
  });

  it('reads, verifies, restores and reuses the gzip blobs of a store written before the brotli frame', async () => {
    put('src/a.ts', 'export const a = 1;\n'.repeat(500));
    put('data/b.b64', randomBytes(20_000).toString('base64'));
    put('noise.bin', randomBytes(5000));
    put('empty.txt', '');
    const before = walkTree(project);
    const old = new CheckpointStore(checkpoints);
    const { id } = await old.write(body((await old.snapshot(project)).entries));
    // Every blob (files' and folder listings') rewritten as the earlier stores wrote it: gzip level 6.
    const objects = path.join(checkpoints, 'objects');
    let rewritten = 0;
    for (const entry of readdirSync(objects, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const blob = path.join(entry.parentPath, entry.name);
      const packed = readFileSync(blob);
      if (!packed.subarray(0, 4).equals(FRAME_MAGIC)) continue;
      writeFileSync(blob, gzipSync(unpackBlobSync(packed), { level: 6 }));
      rewritten += 1;
    }
    expect(rewritten).toBeGreaterThanOrEqual(4);

    const store = new CheckpointStore(checkpoints);
    expect((await store.verify(id)).usable).toBe(true);
    const loaded = await store.read(id);
    // A new process reuses them (checked by their gzip trailer) rather than writing them again.
    expect((await store.snapshot(project)).newBlobs).toBe(0);
    rmSync(project, { recursive: true, force: true });
    await store.restore(project, loaded.body.file_system_state.entries, { checkpointId: id });
    expect(walkTree(project)).toEqual(before);
  });

  it('leaves no temp file behind and no blob unpublished once a snapshot returns', async () => {
    for (let index = 0; index < 30; index += 1) put(`f${index}.txt`, `file ${index}\n`.repeat(100));
    const store = new CheckpointStore(checkpoints);
    const { entries, newBlobs } = await store.snapshot(project);
    expect(newBlobs).toBe(30);
    const objects = path.join(checkpoints, 'objects');
    const names = readdirSync(objects, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => entry.name);
    expect(names.filter((name) => name.startsWith('.'))).toEqual([]);
    for (const entry of entries) expect(statSync(store.blobPath(entry.sha256!)).size).toBeGreaterThan(20);
  });
});

describe('list()', () => {
  it('checks each checkpoint file (checksum, manifest) without opening a blob', async () => {
    put('a.txt', 'a\n'.repeat(100));
    const store = new CheckpointStore(checkpoints);
    const first = await store.write(body((await store.snapshot(project)).entries));
    put('b.txt', 'b\n'.repeat(100));
    const second = await store.write(body((await store.snapshot(project)).entries));
    // Every file's blob gone: list() still lists both as valid (it reads only the manifests, the folder listings), read() refuses them.
    const named = [...(await store.read(first.id)).body.file_system_state.entries, ...(await store.read(second.id)).body.file_system_state.entries];
    for (const entry of named) if (entry.type === 'file') rmSync(store.blobPath(entry.sha256 as string), { force: true });
    expect((await store.list()).map((item) => [item.id, item.valid])).toEqual([
      [first.id, true],
      [second.id, true],
    ]);
    await expect(store.read(second.id)).rejects.toThrow(/cannot be restored: .* is missing/);
    expect(await store.ids()).toEqual([first.id, second.id]);
    // A damaged checkpoint file is still caught.
    unlinkSync(path.join(checkpoints, `${first.id}.json`));
    writeFileSync(path.join(checkpoints, `${first.id}.json`), '{"sha256": "0", "body": {}}');
    expect((await store.list())[0]).toMatchObject({ id: first.id, valid: false });
  });
});
