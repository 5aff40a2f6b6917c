// A checkpoint whose file is not written after its blobs were published (a
// full disk at the commit point, the file's text refused) leaves no blob in
// objects/ that no checkpoint names: nothing else ever removes one, and each
// failed try on a full disk left more. A blob an older checkpoint names is
// never removed, the older checkpoints stay usable, and the next checkpoint
// stores the removed contents again. Counted over the manifests on disk
// (blobsNamedBy), not from the store's own figures.

import { mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import type { FileEntry } from '../../src/checkpoint/types.js';
import { testBody } from '../helpers/checkpointTree.js';
import { suiteTmpfs } from '../helpers/tmpfs.js';
import { blobFiles } from '../helpers/checkpointTree.js';


/** The blobs every checkpoint on disk names, read by a store of its own (another process). */
async function namedBlobs(checkpointsDir: string): Promise<Set<string>> {
  const reader = new CheckpointStore(checkpointsDir);
  return reader.blobsNamedBy(await reader.ids());
}

function bodyOf(entries: FileEntry[]) {
  return testBody(entries);
}

describe('a checkpoint whose file is not written', () => {
  const base = mkdtempSync(path.join(tmpdir(), 'megatest-failedcheckpoint-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('removes the blobs it published that no checkpoint names, keeps those one does, and the next checkpoint stores them again', async () => {
    const project = path.join(base, 'project');
    const checkpointsDir = path.join(base, 'checkpoints');
    mkdirSync(path.join(project, 'src'), { recursive: true });
    const shared = 'the same in every checkpoint\n';
    writeFileSync(path.join(project, 'shared.txt'), shared);
    for (let index = 0; index < 6; index += 1) writeFileSync(path.join(project, 'src', `f${index}.txt`), `first ${index}\n`);
    const store = new CheckpointStore(checkpointsDir);
    const first = await store.checkpoint(project, (taken) => bodyOf(taken.entries));
    const blobsOfFirst = blobFiles(checkpointsDir);

    // Half the files change: their contents (and the listings of src/ and the root) are new blobs.
    for (let index = 0; index < 3; index += 1) writeFileSync(path.join(project, 'src', `f${index}.txt`), `second ${index}\n`);
    // A bigint has no JSON form: the file's text fails after the blobs and listings were published, as a full disk there does.
    await expect(store.checkpoint(project, (taken) => ({ ...bodyOf(taken.entries), unwritable: 1n }))).rejects.toThrow(/bigint/);

    expect(await store.ids()).toEqual([first.written.id]);
    expect(blobFiles(checkpointsDir)).toEqual(blobsOfFirst);
    expect(blobFiles(checkpointsDir)).toEqual(await namedBlobs(checkpointsDir));
    expect((await new CheckpointStore(checkpointsDir).verify(first.written.id)).usable).toBe(true);

    // The same contents again: stored again (this store no longer trusts them), and the checkpoint is whole.
    const next = await store.checkpoint(project, (taken) => bodyOf(taken.entries));
    expect(next.snapshot.newBlobs).toBe(3);
    const verified = await new CheckpointStore(checkpointsDir).verify(next.written.id);
    expect(verified.usable, verified.reason).toBe(true);
    expect(blobFiles(checkpointsDir)).toEqual(await namedBlobs(checkpointsDir));
  });

  it('removes none when a checkpoint on disk cannot be read whole: what it names is not known', async () => {
    const run = path.join(base, 'damaged-neighbour');
    const project = path.join(run, 'project');
    const checkpointsDir = path.join(run, 'checkpoints');
    mkdirSync(project, { recursive: true });
    for (let index = 0; index < 4; index += 1) writeFileSync(path.join(project, `f${index}.txt`), `first ${index}\n`);
    const store = new CheckpointStore(checkpointsDir);
    await store.checkpoint(project, (taken) => bodyOf(taken.entries));
    // A checkpoint file that does not read (its blobs, if any, are not known), as a damaged disk leaves one.
    writeFileSync(path.join(checkpointsDir, 'checkpoint_002.json'), '{"sha256": "');
    const blobsBefore = blobFiles(checkpointsDir);
    for (let index = 0; index < 4; index += 1) writeFileSync(path.join(project, `f${index}.txt`), `second ${index}\n`);
    await expect(store.checkpoint(project, (taken) => ({ ...bodyOf(taken.entries), unwritable: 1n }))).rejects.toThrow(/bigint/);
    // The four new contents and the new listing of the root stay.
    const after = blobFiles(checkpointsDir);
    expect([...blobsBefore].every((blob) => after.has(blob))).toBe(true);
    expect(after.size).toBe(blobsBefore.size + 4 + 1);
  });
});

// 1 MB: the project's few incompressible files and their blobs fill it at some free size of the sweep.
const disk = suiteTmpfs(1, 'megatest-failedcheckpoint-disk-');

describe.skipIf(disk.skip !== '')(`a disk that fills during a checkpoint${disk.skip ? ` (skipped: ${disk.skip})` : ''}`, () => {
  it('leaves, at every free size, the checkpoints listed usable = those verify reads whole, and no blob no checkpoint names', async () => {
    const fileBytes = 8192;
    const fileCount = 6;
    // From nothing free, a page at a time, until a checkpoint is written: every step of one before meets the full disk at some size.
    const page = 4096;
    const sizes = Array.from({ length: Math.ceil((fileCount * fileBytes * 4) / page) }, (_, step) => step * page);
    /** Failures past the snapshot's blobs: at the folder listings, their flush or the checkpoint file. */
    let failedAfterSnapshot = 0;
    for (const free of sizes) {
      const runDir = path.join(disk.dir, 'run');
      rmSync(runDir, { recursive: true, force: true });
      const project = path.join(runDir, 'project');
      const checkpointsDir = path.join(runDir, 'checkpoints');
      mkdirSync(path.join(project, 'a'), { recursive: true });
      for (let index = 0; index < fileCount; index += 1) writeFileSync(path.join(project, 'a', `f${index}`), randomBytes(fileBytes));
      const store = new CheckpointStore(checkpointsDir);
      await store.checkpoint(project, (taken) => bodyOf(taken.entries));
      for (let index = 0; index < fileCount; index += 1) writeFileSync(path.join(project, 'a', `f${index}`), randomBytes(fileBytes));

      const filler = path.join(disk.dir, 'filler');
      const stats = statfsSync(disk.dir);
      try {
        writeFileSync(filler, Buffer.alloc(Math.max(0, stats.bavail * stats.bsize - free)));
      } catch {
        // the disk is as full as it gets
      }
      const outcome = await store.checkpoint(project, (taken) => bodyOf(taken.entries)).then(
        () => 'written',
        (error: Error) => error.message,
      );
      if (outcome !== 'written') {
        if (!outcome.startsWith('snapshot:')) failedAfterSnapshot += 1;
        // One line that says what was not written: a file's blob, or the checkpoint's listings or file (a bare "ENOSPC: …, write" said neither).
        expect(outcome, `free ${free}`).toMatch(
          /^(snapshot: cannot store \S+: ENOSPC|checkpoint not written: (its new blobs and folder listings could not be stored|its file checkpoint_\d{3}\.json could not be (written|published)) \(ENOSPC)/,
        );
      }
      const reader = new CheckpointStore(checkpointsDir);
      const listedUsable = (await reader.list()).filter((listing) => listing.valid).map((listing) => listing.id);
      const verifiedUsable = (await reader.verifyAll()).filter((result) => result.usable).map((result) => result.id);
      expect(verifiedUsable, `free ${free}`).toEqual(listedUsable);
      expect(listedUsable.length, `free ${free}`).toBe(outcome === 'written' ? 2 : 1);
      expect(blobFiles(checkpointsDir), `free ${free}: blobs in objects/ that no checkpoint names`).toEqual(await namedBlobs(checkpointsDir));

      // Room again: the next checkpoint is whole, and still nothing unnamed is left.
      rmSync(filler, { force: true });
      const next = await store.checkpoint(project, (taken) => bodyOf(taken.entries));
      expect((await new CheckpointStore(checkpointsDir).verify(next.written.id)).usable, `free ${free}`).toBe(true);
      expect(blobFiles(checkpointsDir), `free ${free}`).toEqual(await namedBlobs(checkpointsDir));
      if (outcome === 'written') break;
    }
    // The sweep met the full disk after the snapshot's blobs were stored, where the checkpoint commits.
    expect(failedAfterSnapshot).toBeGreaterThan(0);
  }, 120_000);
});
