import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { unpackBlobSync } from '../../src/checkpoint/blobCodec.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex } from '../../src/checkpoint/canonical.js';
import { CheckpointInvalidError, CheckpointStore, type CheckpointBody, type FileEntry } from '../../src/checkpoint/store.js';
import { walkTree } from './tree-walk.js';

let runDir: string;
let project: string;
let checkpoints: string;

beforeEach(() => {
  runDir = mkdtempSync(path.join(tmpdir(), 'megatest-ckstore-'));
  project = path.join(runDir, 'project');
  checkpoints = path.join(runDir, 'checkpoints');
  mkdirSync(project);
});
afterEach(() => rmSync(runDir, { recursive: true, force: true }));

function put(relative: string, content: string | Uint8Array, mode = 0o644): void {
  mkdirSync(path.dirname(path.join(project, relative)), { recursive: true });
  writeFileSync(path.join(project, relative), content, { mode });
}

/** Every blob file under objects/ (temp files excluded). */
function blobFiles(): string[] {
  const objects = path.join(checkpoints, 'objects');
  if (!existsSync(objects)) return [];
  return readdirSync(objects)
    .filter((prefix) => /^[0-9a-f]{2}$/.test(prefix))
    .flatMap((prefix) => readdirSync(path.join(objects, prefix)).filter((name) => !name.startsWith('.')).map((name) => prefix + name));
}

function bodyFor(entries: FileEntry[], overrides: Partial<CheckpointBody> = {}): Omit<CheckpointBody, 'id'> {
  return {
    timestamp: '2025-01-01T00:00:00.000Z',
    session_id: 'session-test',
    phase: 'implementation',
    phase_index: 1,
    trigger: 'forced',
    last_event_seq: 42,
    elapsed_seconds: 12.5,
    agent_states: [],
    working_memory: { note: 'ünïcödé ✓', nested: { b: 1, a: [1, 2, { z: null }] } },
    file_system_state: { root: 'project', excluded: [], entries },
    test_results: { passed: 3, failed: 0 },
    metrics: null,
    git_commit: null,
    ...overrides,
  };
}

async function checkpointNow(store: CheckpointStore): Promise<string> {
  const snapshot = await store.snapshot(project);
  return (await store.write(bodyFor(snapshot.entries))).id;
}

describe('CheckpointStore blobs', () => {
  it('stores identical content once, across files and checkpoints', async () => {
    const shared = 'the same text\n'.repeat(100);
    put('one.txt', shared);
    put('sub/two.txt', shared);
    put('other.txt', 'different');
    const store = new CheckpointStore(checkpoints);
    const first = await store.snapshot(project);
    expect(first.files).toBe(3);
    expect(first.newBlobs).toBe(2);
    expect(blobFiles()).toHaveLength(2);
    const written = await store.write(bodyFor(first.entries));
    // beside them, one listing per folder (the root and sub/): the manifest, split per folder
    const firstListings = (await store.read(written.id)).listings;
    expect(firstListings).toHaveLength(2);
    expect(blobFiles()).toHaveLength(4);

    put('third/copy.txt', shared);
    const second = await store.snapshot(project);
    expect(second.newBlobs).toBe(0);
    expect(second.newBlobBytes).toBe(0);
    const secondWritten = await store.write(bodyFor(second.entries));
    // no new file blob; sub/'s listing is shared, the root's is new and third/ has its own
    const secondListings = (await store.read(secondWritten.id)).listings;
    expect(secondListings).toHaveLength(3);
    expect(secondListings.filter((sha256) => firstListings.includes(sha256))).toHaveLength(1);
    expect(blobFiles()).toHaveLength(2 + 2 + 2);

    // a new store (another process) finds the blobs already there
    const fresh = new CheckpointStore(checkpoints);
    const third = await fresh.snapshot(project);
    expect(third.newBlobs).toBe(0);
    expect(third.entries).toEqual(second.entries);
  });

  it('keeps blobs as gzip named by the sha256 of the content, under a two-character fan-out', async () => {
    put('a.bin', Buffer.from([0, 1, 2, 255, 254]));
    const store = new CheckpointStore(checkpoints);
    const { entries } = await store.snapshot(project);
    const sha = sha256Hex(Buffer.from([0, 1, 2, 255, 254]));
    expect(entries).toContainEqual({ path: 'a.bin', type: 'file', sha256: sha, size: 5, mode: 0o644 });
    const blob = path.join(checkpoints, 'objects', sha.slice(0, 2), sha.slice(2));
    expect(unpackBlobSync(readFileSync(blob))).toEqual(Buffer.from([0, 1, 2, 255, 254]));
    expect(store.blobPath(sha)).toBe(blob);
  });

  it('excludes .git and node_modules at any depth and records them', async () => {
    put('.git/HEAD', 'ref');
    put('node_modules/x/index.js', 'x');
    put('pkg/node_modules/y.js', 'y');
    put('pkg/src.ts', 'code');
    const result = await new CheckpointStore(checkpoints).snapshot(project);
    expect(result.excluded).toEqual(['.git', 'node_modules', 'pkg/node_modules']);
    expect(result.entries.map((entry) => entry.path)).toEqual(['pkg', 'pkg/src.ts']);
  });

  it('does not re-read unchanged files: an incremental snapshot writes only changed content', async () => {
    for (let index = 0; index < 50; index += 1) put(`dir${index % 5}/file${index}.txt`, `content ${index}\n`.repeat(50));
    const store = new CheckpointStore(checkpoints);
    const first = await store.snapshot(project);
    expect(first.newBlobs).toBe(50);
    put('dir0/file0.txt', 'changed\n');
    put('dir1/new.txt', 'added\n');
    const second = await store.snapshot(project);
    expect(second.newBlobs).toBe(2);
    expect(second.files).toBe(51);
  });

  it('reuses the blobs an earlier process stored, in the fan-out folders it also writes new blobs into', async () => {
    // 300 files fill most of the 256 fan-out folders; the new files sort first, so their blobs land in those
    // folders before the old files' blobs are looked for there: each old blob is still found (and checked), not written again.
    for (let index = 0; index < 300; index += 1) put(`old/file${index}.txt`, `old content ${index}\n`);
    expect((await new CheckpointStore(checkpoints).snapshot(project)).newBlobs).toBe(300);
    rmSync(path.join(checkpoints, 'stat-cache.json'));
    for (let index = 0; index < 300; index += 1) put(`a-new/file${index}.txt`, `new content ${index}\n`);
    const second = await new CheckpointStore(checkpoints).snapshot(project);
    expect(second.hashedFiles).toBe(600);
    expect(second.newBlobs).toBe(300);
    expect(blobFiles()).toHaveLength(600);
  });

  it('records and restores symlinks, modes and empty folders', async () => {
    put('bin/run.sh', '#!/bin/sh\necho hi\n', 0o755);
    mkdirSync(path.join(project, 'empty/nested'), { recursive: true });
    symlinkSync('bin/run.sh', path.join(project, 'link'));
    symlinkSync('/does/not/exist', path.join(project, 'dangling'));
    const store = new CheckpointStore(checkpoints);
    const before = walkTree(project);
    const { entries } = await store.snapshot(project);
    expect(entries.find((entry) => entry.path === 'link')).toMatchObject({ type: 'symlink', target: 'bin/run.sh' });

    rmSync(project, { recursive: true, force: true });
    const restored = await store.restore(project, entries);
    expect(walkTree(project)).toEqual(before);
    expect(restored.written).toBe(3);
    expect(statSync(path.join(project, 'bin/run.sh')).mode & 0o777).toBe(0o755);
  });

  it('keeps files and folders with a backslash in their names, written to a checkpoint that reads back and restores', async () => {
    // A backslash is no separator on POSIX: such names were refused by the manifest check, and every checkpoint after one appeared was unusable.
    put('win\\name.txt', 'one');
    put('dir\\x/..\\up.txt', 'two');
    const store = new CheckpointStore(checkpoints);
    const before = walkTree(project);
    const id = await checkpointNow(store);
    expect((await store.verifyAll()).map((v) => [v.id, v.usable])).toEqual([[id, true]]);
    rmSync(project, { recursive: true, force: true });
    mkdirSync(project);
    await store.restore(project, (await store.read(id)).body.file_system_state.entries);
    expect(walkTree(project)).toEqual(before);
  });

  it('restores only what differs and removes what was added since', async () => {
    for (let index = 0; index < 20; index += 1) put(`f${index}.txt`, `file ${index}`);
    const store = new CheckpointStore(checkpoints);
    const { entries } = await store.snapshot(project);
    const before = walkTree(project);
    put('f3.txt', 'edited');
    unlinkSync(path.join(project, 'f4.txt'));
    put('extra/added.txt', 'new');
    const result = await store.restore(project, entries);
    expect(result.written).toBe(2);
    expect(result.deleted).toBe(2);
    expect(walkTree(project)).toEqual(before);
  });

  it('refuses a manifest that would write outside the project or through a symlink, before touching anything', async () => {
    const store = new CheckpointStore(checkpoints);
    put('keep.txt', 'keep');
    const sha = sha256Hex('x');
    await expect(store.restore(project, [{ path: '../escape', type: 'file', sha256: sha, size: 1, mode: 0o644 }])).rejects.toThrow(/relative.*'\.\.'/);
    await expect(
      store.restore(project, [
        { path: 'l', type: 'symlink', target: '/tmp', size: 4, mode: 0o777 },
        { path: 'l/evil', type: 'file', sha256: sha, size: 1, mode: 0o644 },
      ]),
    ).rejects.toThrow(/"l" is not a dir entry/);
    await expect(store.restore(project, [{ path: '.git/config', type: 'file', sha256: sha, size: 1, mode: 0o644 }])).rejects.toThrow(/excluded folder/);
    await expect(store.restore(project, [{ path: 'x', type: 'file', sha256: sha, size: 1, mode: 0o644 }])).rejects.toThrow(/^restore refused: 1 blob missing: objects\/[0-9a-f]{2}\/[0-9a-f]{62} \(for "x"\): is missing; project\/ was not changed$/);
    expect(readFileSync(path.join(project, 'keep.txt'), 'utf8')).toBe('keep');
  });
});

describe('CheckpointStore checkpoint files', () => {
  it('numbers checkpoints after the highest present and checksums the canonical body', async () => {
    put('a.txt', 'a');
    const store = new CheckpointStore(checkpoints);
    const first = await store.write(bodyFor((await store.snapshot(project)).entries));
    expect(first.id).toBe('checkpoint_001');
    const file = JSON.parse(readFileSync(first.path, 'utf8')) as { sha256: string; body: CheckpointBody };
    expect(file.body.id).toBe('checkpoint_001');
    expect(Object.keys(file.body)[0]).toBe('id');
    expect(file.sha256).toBe(sha256Hex(canonicalJson(file.body)));
    expect(first.sha256).toBe(file.sha256);

    writeFileSync(path.join(checkpoints, 'checkpoint_041.json'), 'not even json');
    const next = await store.write(bodyFor([]));
    expect(next.id).toBe('checkpoint_042');

    const loaded = await store.read('checkpoint_001');
    expect(loaded.body.working_memory).toEqual(bodyFor([]).working_memory);
    expect(loaded.body.file_system_state.entries).toHaveLength(1);
    expect((await store.read('checkpoint_1')).id).toBe('checkpoint_001');
  });

  it('names the checkpoints there are when asked for one that is not', async () => {
    const store = new CheckpointStore(checkpoints, { durable: false });
    await store.write(bodyFor([]));
    await expect(store.read('checkpoint_002')).rejects.toThrow(/no such checkpoint: .*checkpoint_002\.json not found; there is checkpoint_001$/);
    for (let n = 2; n <= 7; n += 1) await store.write(bodyFor([]));
    await expect(store.read('checkpoint_009')).rejects.toThrow(/not found; there are 7: checkpoint_001, checkpoint_002, …, checkpoint_005, checkpoint_006, checkpoint_007$/);
  });

  it('ignores an id passed in the body and assigns its own', async () => {
    const store = new CheckpointStore(checkpoints);
    const written = await store.write({ ...bodyFor([]), id: 'checkpoint_999' });
    expect(written.id).toBe('checkpoint_001');
    expect((await store.read('checkpoint_001')).body.id).toBe('checkpoint_001');
  });

  it('gives distinct numbers to concurrent writes', async () => {
    const store = new CheckpointStore(checkpoints, { durable: false });
    const ids = await Promise.all(Array.from({ length: 8 }, () => store.write(bodyFor([]))));
    expect(new Set(ids.map((written) => written.id)).size).toBe(8);
    expect((await store.list()).every((listing) => listing.valid)).toBe(true);
  });

  it('rejects ids that are not checkpoint ids before touching the file system', async () => {
    const store = new CheckpointStore(path.join(runDir, 'no-such-folder'));
    for (const bad of ['../checkpoint_001', 'checkpoint_001.json', 'checkpoint_', 'checkpoint_1234567890', '/etc/passwd']) {
      const error = await store.read(bad).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CheckpointInvalidError);
      expect((error as Error).message).toMatch(/is not a checkpoint id \(allowed: "checkpoint_" followed by 1 to 9 digits/);
    }
    await expect(store.read('checkpoint_005')).rejects.toThrow(/checkpoint checkpoint_005 cannot be used: no such checkpoint: .*checkpoint_005\.json not found; there is none yet$/);
    expect(existsSync(path.join(runDir, 'no-such-folder'))).toBe(false);
  });
});

describe('CheckpointStore damaged checkpoints', () => {
  async function threeCheckpoints(store: CheckpointStore): Promise<string[]> {
    const ids: string[] = [];
    put('base.txt', 'base');
    ids.push(await checkpointNow(store));
    put('second.txt', 'only in the second and third');
    ids.push(await checkpointNow(store));
    put('third.txt', 'only in the third');
    ids.push(await checkpointNow(store));
    return ids;
  }

  it('refuses a checkpoint whose checksum fails, and newestValid falls back to the one before', async () => {
    const store = new CheckpointStore(checkpoints);
    const ids = await threeCheckpoints(store);
    const file = path.join(checkpoints, `${ids[2]}.json`);
    writeFileSync(file, readFileSync(file, 'utf8').replace('"last_event_seq": 42', '"last_event_seq": 43'));
    await expect(store.read(ids[2])).rejects.toThrow(/checksum mismatch in .*checkpoint_003\.json: the file records sha256 [0-9a-f]{64} but its body hashes to [0-9a-f]{64}/);
    expect((await store.newestValid())?.id).toBe(ids[1]);
    const listing = await store.list();
    expect(listing.map((item) => [item.id, item.valid])).toEqual([
      ['checkpoint_001', true],
      ['checkpoint_002', true],
      ['checkpoint_003', false],
    ]);
    expect(listing[2].reason).toMatch(/checksum mismatch/);
  });

  it('refuses a checkpoint whose blob is missing or truncated, naming the file', async () => {
    const store = new CheckpointStore(checkpoints);
    const ids = await threeCheckpoints(store);
    const third = await store.read(ids[2]);
    const entry = third.body.file_system_state.entries.find((item) => item.path === 'third.txt');
    unlinkSync(store.blobPath(entry?.sha256 as string));
    await expect(store.read(ids[2])).rejects.toThrow(/1 of its 3 files cannot be restored: "third.txt": blob objects\/[0-9a-f]{2}\/[0-9a-f]{62} is missing/);

    const second = await store.read(ids[1]);
    const secondEntry = second.body.file_system_state.entries.find((item) => item.path === 'second.txt');
    const blob = store.blobPath(secondEntry?.sha256 as string);
    writeFileSync(blob, readFileSync(blob).subarray(0, 12));
    await expect(store.read(ids[1])).rejects.toThrow(/"second.txt": blob .* is truncated \(12 bytes\)/);
    expect((await store.newestValid())?.id).toBe(ids[0]);
    expect((await store.newestValid(ids[0]))).toBeNull();
  });

  it('refuses truncated JSON with a clear message', async () => {
    const store = new CheckpointStore(checkpoints);
    const ids = await threeCheckpoints(store);
    const file = path.join(checkpoints, `${ids[2]}.json`);
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.slice(0, Math.floor(text.length / 2)));
    await expect(store.read(ids[2])).rejects.toThrow(/checkpoint_003\.json is not valid JSON \(truncated or damaged/);
    expect((await store.newestValid())?.id).toBe(ids[1]);
    expect((await store.newestValid(ids[1]))?.id).toBe(ids[0]);
  });

  it('refuses a checkpoint file renamed to another number', async () => {
    const store = new CheckpointStore(checkpoints);
    const ids = await threeCheckpoints(store);
    writeFileSync(path.join(checkpoints, 'checkpoint_007.json'), readFileSync(path.join(checkpoints, `${ids[0]}.json`)));
    await expect(store.read('checkpoint_007')).rejects.toThrow(/holds the body of "checkpoint_001", not of checkpoint_007/);
  });
});

describe('CheckpointStore crash safety', () => {
  it('ignores a checkpoint left half-written by a kill between blobs and manifest', async () => {
    const store = new CheckpointStore(checkpoints);
    put('a.txt', 'first');
    const first = await checkpointNow(store);

    // The killed writer got its blobs out and died while writing the manifest temp file.
    put('a.txt', 'second version');
    const snapshot = await store.snapshot(project);
    const body = { id: 'checkpoint_002', ...bodyFor(snapshot.entries) };
    const full = JSON.stringify({ sha256: sha256Hex(canonicalJson(body)), body });
    writeFileSync(path.join(checkpoints, '.checkpoint_002.json.999999.1.tmp'), full.slice(0, full.length - 40));

    const listing = await store.list();
    expect(listing.map((item) => item.id)).toEqual([first]);
    expect(listing[0].valid).toBe(true);
    const newest = await store.newestValid();
    expect(newest?.id).toBe(first);

    await store.restore(project, newest?.body.file_system_state.entries ?? []);
    expect(readFileSync(path.join(project, 'a.txt'), 'utf8')).toBe('first');
    const next = await new CheckpointStore(checkpoints).write(bodyFor(snapshot.entries));
    expect(next.id).toBe('checkpoint_002');
    // the dead writer's temp file is swept by the next store that writes
    expect(readdirSync(checkpoints).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
