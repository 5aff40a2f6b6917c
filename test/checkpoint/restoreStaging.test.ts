// A restore stages each verified content as a temp file in checkpoints/ while
// the other blobs are still being checked, and renames them into project/
// only once every blob passed. What must hold: the result is byte-exact, a
// failed restore leaves project/ as it was and no staged file behind, a file
// found unchanged is not rewritten, and when checkpoints/ cannot take files
// the restore still succeeds (contents held in memory, as before staging).

import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RestoreStaging } from '../../src/checkpoint/restoreStaging.js';
import { CheckpointStore, type FileEntry } from '../../src/checkpoint/store.js';
import { walkTree } from './tree-walk.js';

// Staging fails (as in a read-only checkpoints/) while `failing.staging` is set, and files staged are
// counted; every other file call is the real one.
const failing = vi.hoisted(() => ({ staging: false, staged: 0 }));
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  const openSync = ((file: Parameters<typeof actual.openSync>[0], ...rest: unknown[]) => {
    if (String(file).includes('/checkpoints/.megatest-restore.')) {
      if (failing.staging) throw Object.assign(new Error(`EACCES: permission denied, open '${String(file)}'`), { code: 'EACCES' });
      failing.staged += 1;
    }
    return (actual.openSync as (...args: unknown[]) => number)(file, ...rest);
  }) as typeof actual.openSync;
  return { ...actual, default: { ...actual, openSync }, openSync };
});

let runDir: string;
let project: string;
let checkpoints: string;

beforeEach(() => {
  failing.staging = false;
  failing.staged = 0;
  runDir = mkdtempSync(path.join(tmpdir(), 'megatest-staging-'));
  project = path.join(runDir, 'project');
  checkpoints = path.join(runDir, 'checkpoints');
  for (let index = 0; index < 40; index += 1) put(`src/m${index % 4}/f${index}.txt`, `file ${index}\n`.repeat(50 + index * 20));
  put('src/same-a.txt', 'shared content\n'.repeat(100));
  put('src/same-b.txt', 'shared content\n'.repeat(100));
  put('empty.txt', '');
  put('bin/run.sh', '#!/bin/sh\necho hi\n', 0o755);
  symlinkSync('src/m0', path.join(project, 'link'));
});
afterEach(() => rmSync(runDir, { recursive: true, force: true }));

function put(relative: string, content: string, mode = 0o644): void {
  mkdirSync(path.dirname(path.join(project, relative)), { recursive: true });
  writeFileSync(path.join(project, relative), content, { mode });
}

/** Temp files of a restore, staged in checkpoints/ or beside a file in the target. */
function leftoverTemps(...roots: string[]): string[] {
  return roots.flatMap((root) => readdirSync(root, { recursive: true }).map(String).filter((name) => name.includes('.megatest-restore.')));
}

async function snapshotOf(store: CheckpointStore): Promise<FileEntry[]> {
  return (await store.snapshot(project)).entries;
}

describe('a restore through staged files', () => {
  it('restores into an empty folder byte for byte, modes and links included, and leaves no temp anywhere', async () => {
    const entries = await snapshotOf(new CheckpointStore(checkpoints));
    const target = path.join(runDir, 'restored');
    const result = await new CheckpointStore(checkpoints).restore(target, entries);
    expect(walkTree(target)).toEqual(walkTree(project));
    expect(result.written).toBe(entries.filter((entry) => entry.type !== 'dir').length);
    expect(failing.staged).toBe(entries.filter((entry) => entry.type === 'file').length);
    expect(leftoverTemps(checkpoints, target)).toEqual([]);
  });

  it('refuses a checkpoint with a corrupt blob: project/ as it was, and the contents staged meanwhile removed', async () => {
    const entries = await snapshotOf(new CheckpointStore(checkpoints));
    // a bit flipped inside one blob: still valid gzip, other content
    const victim = entries.find((entry) => entry.path === 'src/m1/f5.txt')!;
    const store = new CheckpointStore(checkpoints);
    const blob = store.blobPath(victim.sha256!);
    const content = gunzipSync(readFileSync(blob));
    content[3] ^= 0x01;
    writeFileSync(blob, gzipSync(content));
    for (let index = 0; index < 40; index += 3) put(`src/m${index % 4}/f${index}.txt`, 'edited after the checkpoint\n');
    const before = walkTree(project);

    await expect(store.restore(project, entries)).rejects.toThrow(/fail their sha256 check/);
    expect(walkTree(project)).toEqual(before);
    expect(leftoverTemps(checkpoints, project)).toEqual([]);
  });

  it('stages what the index cannot vouch for, writes only what differs, and removes the staged rest', async () => {
    const entries = await snapshotOf(new CheckpointStore(checkpoints));
    put('src/m2/f2.txt', 'edited\n');
    const unchangedMtime = lstatSync(path.join(project, 'src/m3/f3.txt')).mtimeMs;
    rmSync(path.join(checkpoints, 'stat-cache.json'), { force: true });
    // a new store with no stat cache: every file is staged, then compared with what is on disk
    const result = await new CheckpointStore(checkpoints).restore(project, entries);
    expect(failing.staged).toBe(entries.filter((entry) => entry.type === 'file').length);
    expect(result.written).toBe(1);
    expect(readFileSync(path.join(project, 'src/m2/f2.txt'), 'utf8')).toBe('file 2\n'.repeat(90));
    expect(lstatSync(path.join(project, 'src/m3/f3.txt')).mtimeMs).toBe(unchangedMtime);
    expect(leftoverTemps(checkpoints, project)).toEqual([]);
  });

  it('holds contents in memory when checkpoints/ takes no files, and restores the same', async () => {
    const entries = await snapshotOf(new CheckpointStore(checkpoints));
    failing.staging = true;
    const target = path.join(runDir, 'restored');
    await new CheckpointStore(checkpoints).restore(target, entries);
    expect(failing.staged).toBe(0);
    expect(walkTree(target)).toEqual(walkTree(project));
    expect(leftoverTemps(checkpoints, target)).toEqual([]);
  });
});

describe('RestoreStaging', () => {
  it('stages once per entry of a content, moves a staged file into place, and stops staging at the first failure', () => {
    mkdirSync(checkpoints);
    const entry = (file: string, size: number): FileEntry => ({ path: file, type: 'file', mode: 0o640, size, sha256: 'a'.repeat(64) });
    const target = path.join(runDir, 'target');
    mkdirSync(target);
    const staging = RestoreStaging.forRoot(checkpoints, target, new Map([['a'.repeat(64), [entry('one', 5), entry('two', 5)]]]));
    expect(staging.stage('a'.repeat(64), Buffer.from('hello'))).toBe(true);
    expect(staging.stage('b'.repeat(64), Buffer.from('hello'))).toBe(false); // no entry is written from it
    expect(leftoverTemps(checkpoints)).toHaveLength(2);

    expect(staging.moveInto(entry('one', 5), path.join(target, 'one'))).toBe(true);
    expect(readFileSync(path.join(target, 'one'), 'utf8')).toBe('hello');
    expect(lstatSync(path.join(target, 'one')).mode & 0o7777).toBe(0o640);
    expect(staging.moveInto(entry('one', 5), path.join(target, 'one'))).toBe(false); // moved already
    staging.discard();
    expect(leftoverTemps(checkpoints)).toEqual([]);

    failing.staging = true;
    const failed = RestoreStaging.forRoot(checkpoints, target, new Map([['a'.repeat(64), [entry('three', 5)]]]));
    expect(failed.stage('a'.repeat(64), Buffer.from('hello'))).toBe(false);
    failing.staging = false;
    expect(failed.stage('a'.repeat(64), Buffer.from('hello'))).toBe(false); // off for the rest of the restore
    expect(leftoverTemps(checkpoints)).toEqual([]);
  });
});
