// A restore of a project/ where an agent made two paths one file (`rm B; ln
// A B`): both are put back as the checkpoint's two files, each with its own
// mode. Before, a file whose content matched was kept and only given its
// mode: the chmod of B set A's mode too, and A and B stayed one inode.

import { linkSync, lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointStore, type FileEntry } from '../../src/checkpoint/store.js';
import { testBody as body, fingerprintTree as fingerprint } from '../helpers/checkpointTree.js';

let runDir: string;
let project: string;

beforeEach(() => {
  runDir = mkdtempSync(path.join(tmpdir(), 'megatest-cklinks-'));
  project = path.join(runDir, 'project');
  mkdirSync(project);
});
afterEach(() => rmSync(runDir, { recursive: true, force: true }));

async function checkpointNow(store: CheckpointStore): Promise<FileEntry[]> {
  const snapshot = await store.snapshot(project);
  await store.write(body(snapshot.entries));
  return snapshot.entries;
}

function at(relative: string): string {
  return path.join(project, relative);
}

function expectSeparateWithModes(): void {
  expect(lstatSync(at('A')).mode & 0o7777).toBe(0o644);
  expect(lstatSync(at('B')).mode & 0o7777).toBe(0o755);
  expect(lstatSync(at('A')).ino).not.toBe(lstatSync(at('B')).ino);
  expect(lstatSync(at('A')).nlink).toBe(1);
}

describe('a restore where two paths of project/ are now one file', () => {
  it('puts back two files, each with its mode, when the link was made after the checkpoint', async () => {
    const store = new CheckpointStore(path.join(runDir, 'checkpoints'));
    writeFileSync(at('A'), 'same', { mode: 0o644 });
    writeFileSync(at('B'), 'same', { mode: 0o755 });
    const entries = await checkpointNow(store);
    const expected = fingerprint(project);

    rmSync(at('B'));
    linkSync(at('A'), at('B'));
    await store.restore(project, entries);
    expect(fingerprint(project)).toEqual(expected);
    expectSeparateWithModes();
  });

  it('does so too when the last snapshot saw them linked (the index trusts both by their stat)', async () => {
    const store = new CheckpointStore(path.join(runDir, 'checkpoints'));
    writeFileSync(at('A'), 'same', { mode: 0o644 });
    writeFileSync(at('B'), 'same', { mode: 0o755 });
    const entries = await checkpointNow(store);
    const expected = fingerprint(project);

    rmSync(at('B'));
    linkSync(at('A'), at('B'));
    await checkpointNow(store);
    await store.restore(project, entries);
    expect(fingerprint(project)).toEqual(expected);
    expectSeparateWithModes();
  });
});
