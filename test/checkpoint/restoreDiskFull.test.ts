// A restore that cannot be made leaves project/ as it was (docs/recovery.md,
// "Restore"): every byte a placement needs is on project/'s file system
// before the first removal. These tests fill a small tmpfs so that the one
// staged copy of each blob fits but the copies the placements need do not:
// several files sharing one content (each placed file is a copy of its own),
// and a staging folder that a rename cannot leave for project/ (on another
// file system, or a bind mount of the same one: every file copied across).
// Before, those copies were made while placing, after the removals had begun:
// project/ was left half restored.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import { suiteTmpfs, unmountTmpfs } from '../helpers/tmpfs.js';
import { testBody as body, fingerprintTree as fingerprint } from '../helpers/checkpointTree.js';

const MB = 1024 * 1024;
const small = suiteTmpfs(20, 'megatest-ckdiskfull-');
const other = suiteTmpfs(32, 'megatest-ckdiskfull-other-');
const skip = small.skip || other.skip;
const skipNote = skip ? ` (skipped: ${skip})` : '';

let made: string[] = [];
afterEach(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  made = [];
});

/** project/ and checkpoints/ of a run on the small file system. */
function runOnSmallDisk(name: string): { project: string; checkpoints: string } {
  const run = path.join(small.dir, name);
  made.push(run);
  mkdirSync(path.join(run, 'project'), { recursive: true });
  return { project: path.join(run, 'project'), checkpoints: path.join(run, 'checkpoints') };
}

/** Fills the small file system until about `leftBytes` are free; the filler's path. */
function fillLeaving(leftBytes: number): string {
  const filler = path.join(small.dir, 'filler');
  made.push(filler);
  const stats = statfsSync(small.dir);
  writeFileSync(filler, Buffer.alloc(Math.max(0, stats.bavail * stats.bsize - leftBytes)));
  return filler;
}

function leftovers(project: string): string[] {
  return readdirSync(project).filter((name) => name.startsWith('.megatest-restore.'));
}

describe('a disk that fills while a restore makes the copies its placements need', () => {
  it.skipIf(skip !== '')(`fails before project/ changes when six files share one content${skipNote}`, async () => {
    const { project, checkpoints } = runOnSmallDisk('shared');
    const store = new CheckpointStore(checkpoints, { durable: false });
    // Random, so the blob is as big as the content and one staged copy fits where six do not.
    const content = randomBytes(1.5 * MB);
    for (let index = 1; index <= 6; index += 1) writeFileSync(path.join(project, `dup${index}`), content);
    writeFileSync(path.join(project, 'keep'), 'as checkpointed\n');
    const snapshot = await store.snapshot(project);
    await store.write(body(snapshot.entries));
    const expected = fingerprint(project);

    for (let index = 1; index <= 6; index += 1) rmSync(path.join(project, `dup${index}`));
    writeFileSync(path.join(project, 'extra'), 'made after the checkpoint\n');
    writeFileSync(path.join(project, 'keep'), 'changed after the checkpoint\n');
    const before = fingerprint(project);
    const filler = fillLeaving(4 * MB);

    await expect(store.restore(project, snapshot.entries)).rejects.toThrow(/ENOSPC|no space/i);
    expect(fingerprint(project)).toEqual(before);
    expect(leftovers(project)).toEqual([]);
    expect(readdirSync(checkpoints).filter((name) => name.startsWith('.restore.'))).toEqual([]);

    rmSync(filler);
    await store.restore(project, snapshot.entries);
    expect(fingerprint(project)).toEqual(expected);
    expect(readFileSync(path.join(project, 'keep'), 'utf8')).toBe('as checkpointed\n');
  });

  for (const across of ['another file system', 'a bind mount of the same file system'] as const) {
    it.skipIf(skip !== '')(`fails before project/ changes when the staging folder is on ${across}${skipNote}`, async () => {
      const { project, checkpoints } = runOnSmallDisk('across');
      const stageIn = path.join(other.dir, 'stage');
      made.push(stageIn);
      mkdirSync(stageIn);
      let unbind = (): void => undefined;
      if (across !== 'another file system') {
        // Same device number as project/, but a rename from it into project/ fails (EXDEV).
        const source = path.join(small.dir, 'stage-source');
        mkdirSync(source);
        made.push(source);
        execFileSync('mount', ['--bind', source, stageIn], { stdio: 'pipe', timeout: 10_000 });
        const mountPoint = stageIn;
        unbind = () => unmountTmpfs(mountPoint);
      }
      try {
        const store = new CheckpointStore(checkpoints, { durable: false });
        mkdirSync(path.join(project, 'data'));
        for (let index = 1; index <= 4; index += 1) writeFileSync(path.join(project, 'data', `part${index}`), randomBytes(1.5 * MB));
        writeFileSync(path.join(project, 'keep'), 'as checkpointed\n');
        const snapshot = await store.snapshot(project);
        await store.write(body(snapshot.entries));
        const expected = fingerprint(project);

        for (let index = 1; index <= 4; index += 1) rmSync(path.join(project, 'data', `part${index}`));
        writeFileSync(path.join(project, 'extra'), 'made after the checkpoint\n');
        writeFileSync(path.join(project, 'keep'), 'changed after the checkpoint\n');
        const before = fingerprint(project);
        // Staged beside project/ for the bind mount: less room left, as the staged files take theirs first.
        const filler = fillLeaving(across === 'another file system' ? 4 * MB : 8 * MB);

        await expect(store.restore(project, snapshot.entries, { stageIn })).rejects.toThrow(/ENOSPC|no space/i);
        expect(fingerprint(project)).toEqual(before);
        expect(leftovers(project)).toEqual([]);
        expect(readdirSync(stageIn)).toEqual([]);

        rmSync(filler);
        await store.restore(project, snapshot.entries, { stageIn });
        expect(fingerprint(project)).toEqual(expected);
        expect(leftovers(project)).toEqual([]);
      } finally {
        unbind();
      }
    });
  }
});
