// A restore of a project/ where an agent took its owner's rights away
// (`chmod 000` on a folder or a file): the restore still puts the checkpoint
// back, opening a folder it cannot list and replacing a file it cannot read
// (restoreAccess.ts, restore.ts). Before, it failed whole on `EACCES scandir`
// or `EACCES open`.
//
// Root reads anything, so the restore runs with the effective uid and gid of
// nobody, on files chowned to nobody; vitest runs this file in a forked
// process of its own (pool: 'forks'), where the ids are put back after each
// call. Skipped, saying why, where the process is not root.

import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointStore, type FileEntry } from '../../src/checkpoint/store.js';
import { testBody as body, fingerprintTree as fingerprint } from '../helpers/checkpointTree.js';

const NOBODY = 65534;
const skip = process.getuid?.() !== 0 || typeof process.seteuid !== 'function' ? 'dropping to nobody needs root' : '';
const skipNote = skip ? ` (skipped: ${skip})` : '';

let runDir: string;
let project: string;
let checkpoints: string;

beforeEach(() => {
  runDir = mkdtempSync(path.join(tmpdir(), 'megatest-ckaccess-'));
  project = path.join(runDir, 'project');
  checkpoints = path.join(runDir, 'checkpoints');
  mkdirSync(project);
});
afterEach(() => {
  // As root again: open whatever a test left closed, so the folder goes.
  openAll(runDir);
  rmSync(runDir, { recursive: true, force: true });
});

function openAll(dir: string): void {
  chmodSync(dir, 0o755);
  for (const item of readdirSync(dir, { withFileTypes: true })) if (item.isDirectory()) openAll(path.join(dir, item.name));
}

function put(relative: string, content: string, mode = 0o644): void {
  const file = path.join(project, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content, { mode });
}

function chownAll(target: string): void {
  chownSync(target, NOBODY, NOBODY);
  if (lstatSync(target).isDirectory()) for (const name of readdirSync(target)) chownAll(path.join(target, name));
}

/** Runs fn with the effective ids of nobody (the real ones stay root's, so they can be taken back). */
async function asNobody<T>(fn: () => Promise<T>): Promise<T> {
  chownAll(runDir);
  // Present wherever skip is '' (POSIX, root).
  const ids = process as Required<Pick<NodeJS.Process, 'seteuid' | 'setegid'>>;
  ids.setegid(NOBODY);
  ids.seteuid(NOBODY);
  try {
    return await fn();
  } finally {
    ids.seteuid(0);
    ids.setegid(0);
  }
}

async function checkpointNow(store: CheckpointStore): Promise<FileEntry[]> {
  const snapshot = await store.snapshot(project);
  await store.write(body(snapshot.entries));
  return snapshot.entries;
}

function modeOf(relative: string): number {
  return lstatSync(path.join(project, relative)).mode & 0o7777;
}

describe('a restore where the owner cannot read some of project/', () => {
  it.skipIf(skip !== '')(`puts back folders and files made unreadable (chmod 000), and removes an unreadable folder the checkpoint lacks${skipNote}`, async () => {
    const store = new CheckpointStore(checkpoints);
    put('a/x.txt', 'x\n');
    put('a/deeper/y.txt', 'y\n');
    put('unread', 'read me\n');
    put('listonly/z.txt', 'z\n');
    const entries = await checkpointNow(store);
    const expected = fingerprint(project);

    put('gone/w.txt', 'made after the checkpoint\n');
    put('a/deeper/y.txt', 'changed\n');
    // Inner folder closed first: once its parent is closed it cannot be reached.
    chmodSync(path.join(project, 'a/deeper'), 0o000);
    chmodSync(path.join(project, 'a'), 0o000);
    chmodSync(path.join(project, 'gone'), 0o000);
    chmodSync(path.join(project, 'unread'), 0o000);
    // Listed but not searched: its items cannot be lstat'ed.
    chmodSync(path.join(project, 'listonly'), 0o600);

    await asNobody(() => store.restore(project, entries));
    expect(fingerprint(project)).toEqual(expected);
    expect(modeOf('a')).toBe(0o755);
    expect(modeOf('unread')).toBe(0o644);
  });

  it.skipIf(skip !== '')(`leaves the folders it opened as they were when the restore cannot be made${skipNote}`, async () => {
    const store = new CheckpointStore(checkpoints);
    put('a/x.txt', 'x\n');
    put('b.txt', 'b\n');
    const entries = await checkpointNow(store);
    put('a/x.txt', 'changed\n');
    chmodSync(path.join(project, 'a'), 0o000);
    const bad = entries.find((entry) => entry.path === 'b.txt')!;
    writeFileSync(store.blobPath(bad.sha256 as string), 'not a blob');

    await expect(asNobody(() => store.restore(project, entries))).rejects.toThrow(/sha256/);
    expect(modeOf('a')).toBe(0o000);
    chmodSync(path.join(project, 'a'), 0o755);
    expect(readFileSync(path.join(project, 'a/x.txt'), 'utf8')).toBe('changed\n');
  });
});
