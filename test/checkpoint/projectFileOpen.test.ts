// A file of project/ replaced between the snapshot's walk and its read (an
// agent at work) by a FIFO or a symlink: the snapshot leaves it out, as a
// file gone since the walk, instead of waiting for a FIFO's writer for ever
// or storing a symlink's target as the project's file.

import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BlobStore, STREAM_THRESHOLD_BYTES } from '../../src/checkpoint/blobStore.js';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import { NOT_A_REGULAR_FILE, openRegularFile, readRegularFile } from '../../src/checkpoint/projectFileOpen.js';

let root: string;
let project: string;
let checkpoints: string;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'megatest-swap-'));
  project = path.join(root, 'project');
  checkpoints = path.join(root, 'checkpoints');
  mkdirSync(project);
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(root, { recursive: true, force: true });
});

const toFifo = (file: string) => {
  rmSync(file);
  execFileSync('mkfifo', [file]);
};
const toSymlink = (file: string) => {
  rmSync(file);
  writeFileSync(path.join(root, 'outside.txt'), 'not the project\'s\n');
  symlinkSync(path.join(root, 'outside.txt'), file);
};

/** Runs `swap` on the file named `name` just before the store reads it (after the walk saw a regular file). */
function swapBeforeRead(method: 'storeSmallFile' | 'storeLargeFile', name: string, swap: (file: string) => void): void {
  const original = BlobStore.prototype[method];
  vi.spyOn(BlobStore.prototype, method).mockImplementation(async function (this: BlobStore, absolute: string, ...rest: unknown[]) {
    if (path.basename(absolute) === name) swap(absolute);
    return (original as (...args: unknown[]) => ReturnType<typeof original>).call(this, absolute, ...rest);
  });
}

describe('a file replaced between the walk and its read', () => {
  for (const [what, swap] of [['a FIFO', toFifo], ['a symlink', toSymlink]] as const) {
    it(`by ${what}: left out of the snapshot, the rest stored`, async () => {
      writeFileSync(path.join(project, 'kept.txt'), 'kept\n');
      writeFileSync(path.join(project, 'zz'), 'about to be replaced\n');
      swapBeforeRead('storeSmallFile', 'zz', swap);
      const snapshot = await new CheckpointStore(checkpoints).snapshot(project);
      expect(snapshot.entries.map((entry) => entry.path)).toEqual(['kept.txt']);
    });
  }

  it('a large file (streamed) replaced by a FIFO: left out too', async () => {
    const big = openSync(path.join(project, 'big.bin'), 'w');
    ftruncateSync(big, STREAM_THRESHOLD_BYTES + 1);
    closeSync(big);
    writeFileSync(path.join(project, 'kept.txt'), 'kept\n');
    swapBeforeRead('storeLargeFile', 'big.bin', toFifo);
    const snapshot = await new CheckpointStore(checkpoints).snapshot(project);
    expect(snapshot.entries.map((entry) => entry.path)).toEqual(['kept.txt']);
  });
});

describe('openRegularFile', () => {
  it('opens a regular file, and refuses a FIFO without waiting and a symlink without following it', () => {
    const file = path.join(root, 'plain');
    writeFileSync(file, 'plain\n');
    expect(readRegularFile(file).toString()).toBe('plain\n');
    const { fd, size } = openRegularFile(file);
    closeSync(fd);
    expect(size).toBe(6);
    const fifo = path.join(root, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(() => openRegularFile(fifo)).toThrow(expect.objectContaining({ code: NOT_A_REGULAR_FILE }));
    const link = path.join(root, 'link');
    symlinkSync(file, link);
    expect(() => readRegularFile(link)).toThrow(expect.objectContaining({ code: 'ELOOP' }));
  });
});

describe("what a killed restore left in project/", () => {
  it('is not snapshotted as project content (the next restore removes it)', async () => {
    mkdirSync(path.join(project, '.megatest-restore.123.4.tmp'), { recursive: true });
    writeFileSync(path.join(project, '.megatest-restore.123.4.tmp', '0'), 'a landing copy\n');
    mkdirSync(path.join(project, 'src'));
    writeFileSync(path.join(project, 'src', '.megatest-restore.123.5.tmp'), 'a copy beside its target\n');
    writeFileSync(path.join(project, 'src', 'kept.js'), 'kept\n');
    const snapshot = await new CheckpointStore(checkpoints).snapshot(project);
    expect(snapshot.entries.map((entry) => entry.path)).toEqual(['src', 'src/kept.js']);
  });
});

