// The manifest split per folder and content-addressed like git trees (issue
// 13, item 5): a checkpoint file names its root listing; a folder that did
// not change costs no new blob; a listing is checked against its name when
// read, and a rotten one makes its checkpoint unusable (skipped for the one
// before, set aside so the next checkpoint writes it again), as a rotten file
// blob does. Checkpoint files written before keep their inline manifest.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { unpackBlobSync } from '../../src/checkpoint/blobCodec.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { publishCheckpoint, readCheckpoint } from '../../src/checkpoint/checkpointFiles.js';
import { ListingCache } from '../../src/checkpoint/listingBlobs.js';
import { BlobStore } from '../../src/checkpoint/blobStore.js';
import { buildTrees, expandTrees, parseListing, TREE_FORMAT, TreeListingError, TreeMemo } from '../../src/checkpoint/manifestTrees.js';
import { CheckpointInvalidError, CheckpointStore, type FileEntry } from '../../src/checkpoint/store.js';
import { sha256Hex } from '../../src/checkpoint/canonical.js';
import { testBody as body } from '../helpers/checkpointTree.js';
import { dir, file, refused, accepted } from '../helpers/manifestCases.js';
import { manifestProblem } from '../../src/checkpoint/tree.js';

let runDir: string;
let project: string;
let checkpoints: string;

beforeEach(() => {
  runDir = mkdtempSync(path.join(tmpdir(), 'megatest-trees-'));
  project = path.join(runDir, 'project');
  checkpoints = path.join(runDir, 'checkpoints');
  mkdirSync(project);
  put('README.md', '# q\n');
  put('src/queue.js', 'export const queue = [];\n'.repeat(50));
  put('src/lib/util.js', 'export const id = (x) => x;\n');
  put('test/queue.test.js', 'test("q", () => {});\n');
  symlinkSync('src/queue.js', path.join(project, 'main.js'));
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

function blobCount(): number {
  const objects = path.join(checkpoints, 'objects');
  return readdirSync(objects)
    .filter((prefix) => /^[0-9a-f]{2}$/.test(prefix))
    .reduce((sum, prefix) => sum + readdirSync(path.join(objects, prefix)).filter((name) => !name.startsWith('.')).length, 0);
}

function fileOf(id: string): { sha256: string; body: Record<string, unknown> & { file_system_state: Record<string, unknown> } } {
  return JSON.parse(readFileSync(path.join(checkpoints, `${id}.json`), 'utf8'));
}

/** The listing of one folder, found by its text (its name is its hash). */
function listingOf(store: CheckpointStore, listings: string[], names: string[]): string {
  for (const sha256 of listings) {
    const items = parseListing(unpackBlobSync(readFileSync(store.blobPath(sha256))).toString('utf8'));
    if (items.map((item) => item.name).join(',') === names.join(',')) return sha256;
  }
  throw new Error(`no listing holds ${names.join(',')}`);
}

describe('buildTrees and expandTrees', () => {
  const manifest: FileEntry[] = [
    { path: 'a', type: 'dir', size: 0, mode: 0o755 },
    { path: 'a/b', type: 'dir', size: 0, mode: 0o700 },
    { path: 'a/b/deep.txt', type: 'file', sha256: 'd'.repeat(64), size: 9, mode: 0o644 },
    { path: 'a/x.txt', type: 'file', sha256: 'a'.repeat(64), size: 3, mode: 0o600 },
    { path: 'empty', type: 'dir', size: 0, mode: 0o755 },
    { path: 'link', type: 'symlink', size: 7, mode: 0o777, target: 'a/x.txt' },
    { path: 'top.txt', type: 'file', sha256: 'b'.repeat(64), size: 0, mode: 0o755 },
  ];

  function reader(listings: Map<string, Buffer>) {
    return async (sha256: string) => parseListing(listings.get(sha256)!.toString('utf8'));
  }

  it('gives one listing per folder and expands back to the same manifest', async () => {
    const built = buildTrees([...manifest].reverse());
    // the root, a, a/b, empty
    expect(built.listings.size).toBe(4);
    for (const [sha256, text] of built.listings) expect(sha256Hex(text)).toBe(sha256);
    const root = JSON.parse(built.listings.get(built.root)!.toString('utf8')) as { format: string; entries: { name: string }[] };
    expect(root.format).toBe(TREE_FORMAT);
    expect(root.entries.map((item) => item.name)).toEqual(['a', 'empty', 'link', 'top.txt']);
    const expanded = await expandTrees(built.root, reader(built.listings));
    expect(expanded.entries).toEqual(manifest);
    expect(new Set(expanded.listings)).toEqual(new Set(built.listings.keys()));
  });

  it('names a folder by its content: a change deep down changes only that folder and the ones above it', () => {
    const before = buildTrees(manifest);
    const changed = manifest.map((entry) => (entry.path === 'a/b/deep.txt' ? { ...entry, sha256: 'e'.repeat(64) } : entry));
    const after = buildTrees(changed);
    const shared = [...after.listings.keys()].filter((sha256) => before.listings.has(sha256));
    // 'empty' is the same; the root, a and a/b are new
    expect(shared).toHaveLength(1);
    expect(buildTrees([...manifest].reverse()).root).toBe(before.root);
    // a mode is part of a folder's listing too
    expect(buildTrees(manifest.map((entry) => (entry.path === 'a/b' ? { ...entry, mode: 0o755 } : entry))).root).not.toBe(before.root);
  });

  it('with a memo, gives the same listings as without, whatever changed, and forgets folders that are gone', () => {
    const memo = new TreeMemo();
    const variants: FileEntry[][] = [
      manifest,
      manifest,
      // a file deep down, a mode, a symlink's target, a size
      manifest.map((entry) => (entry.path === 'a/b/deep.txt' ? { ...entry, sha256: 'e'.repeat(64) } : entry)),
      manifest.map((entry) => (entry.path === 'a/b' ? { ...entry, mode: 0o755 } : entry)),
      manifest.map((entry) => (entry.path === 'link' ? { ...entry, target: 'top.txt' } : entry)),
      manifest.map((entry) => (entry.path === 'top.txt' ? { ...entry, size: 1 } : entry)),
      // a file becomes a folder of the same name; a folder goes; an item is renamed
      [...manifest.filter((entry) => entry.path !== 'top.txt'), { path: 'top.txt', type: 'dir', size: 0, mode: 0o755 }],
      manifest.filter((entry) => entry.path !== 'empty'),
      manifest.map((entry) => (entry.path === 'a/x.txt' ? { ...entry, path: 'a/y.txt' } : entry)),
      manifest,
    ];
    for (const [index, entries] of variants.entries()) {
      const plain = buildTrees(entries);
      const remembered = buildTrees(entries, memo);
      expect(remembered.root, `variant ${index}`).toBe(plain.root);
      expect([...remembered.listings.keys()].sort(), `variant ${index}`).toEqual([...plain.listings.keys()].sort());
      for (const [sha256, text] of remembered.listings) expect(sha256Hex(text)).toBe(sha256);
      expect([...memo.folders.keys()].sort()).toEqual(['', ...entries.filter((entry) => entry.type === 'dir').map((entry) => entry.path)].sort());
    }
  });

  it('with a memo, folders where an item or two changed give the same listings as without, over many rounds of random changes', () => {
    // A seeded generator: the same rounds every run.
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const hex = () => Array.from({ length: 64 }, () => '0123456789abcdef'[Math.floor(random() * 16)]).join('');
    const folders = ['d0', 'd1', 'd1/e', 'd2'];
    let entries: FileEntry[] = folders.map((folder) => dir(folder));
    for (let index = 0; index < 120; index += 1) entries.push({ ...file(`${pick(folders)}/f${index}`), sha256: hex(), size: index });
    entries.push({ path: 'd2/link', type: 'symlink', size: 2, mode: 0o777, target: 'f1' });
    const memo = new TreeMemo();
    let changedFolders = 0;
    for (let round = 0; round < 60; round += 1) {
      entries = entries.map((entry) => {
        if (random() > 0.03) return entry;
        switch (pick(['sha256', 'size', 'mode', 'target', 'gone'] as const)) {
          case 'sha256':
            return entry.type === 'file' ? { ...entry, sha256: hex() } : entry;
          case 'size':
            return entry.type === 'dir' ? entry : { ...entry, size: entry.size + 1 };
          case 'mode':
            return { ...entry, mode: entry.mode ^ 0o100 };
          case 'target':
            return entry.type === 'symlink' ? { ...entry, target: `f${round}` } : entry;
          case 'gone':
            return entry.type === 'dir' ? entry : null;
        }
      }).filter((entry): entry is FileEntry => entry !== null);
      // new files, among them names that sort before, between and after the others
      for (let added = 0; added < 2; added += 1) entries.push({ ...file(`${pick(folders)}/${pick(['a', 'f5x', 'z'])}${round}-${added}`), sha256: hex(), size: round });
      const before = new Set(memo.folders.values());
      const plain = buildTrees(entries);
      const remembered = buildTrees(entries, memo);
      expect(remembered.root, `round ${round}`).toBe(plain.root);
      expect([...remembered.listings.entries()].sort(), `round ${round}`).toEqual([...plain.listings.entries()].sort());
      // In any order (folders d0, d1 and d2 have names of one length): the same listings.
      const shuffled = entries.map((entry) => ({ entry, key: random() })).sort((a, b) => a.key - b.key).map(({ entry }) => entry);
      expect(buildTrees(shuffled).root, `round ${round}, shuffled`).toBe(plain.root);
      changedFolders += [...memo.folders.values()].filter((folder) => !before.has(folder)).length;
    }
    // Most rounds changed a folder or more that the memo had: the path that reuses an item's text ran.
    expect(changedFolders).toBeGreaterThan(60);
  });

  it('a memo keeps copies: entries changed after a build do not make a remembered listing stand for them', () => {
    const memo = new TreeMemo();
    const entries = manifest.map((entry) => ({ ...entry }));
    const first = buildTrees(entries, memo);
    // the caller changes its own entry objects afterwards, and builds again
    const deep = entries.find((entry) => entry.path === 'a/b/deep.txt')!;
    deep.sha256 = 'f'.repeat(64);
    const second = buildTrees(entries, memo);
    expect(second.root).not.toBe(first.root);
    expect(second.root).toBe(buildTrees(entries).root);
  });

  it('checks what it stores as manifestProblem does: every refused manifest throws, every accepted one builds, with a memo too', () => {
    for (const [what, entries] of refused) {
      expect(() => buildTrees(entries as FileEntry[]), what).toThrow();
      // A memo of the same manifest without its last entry passes over the folders that did not change.
      const memo = new TreeMemo();
      const sound = (entries as FileEntry[]).slice(0, -1);
      if (manifestProblem(sound) === null) buildTrees(sound, memo);
      expect(() => buildTrees(entries as FileEntry[], memo), `${what}, with a memo`).toThrow();
    }
    for (const [what, entries] of accepted) expect(() => buildTrees(entries), what).not.toThrow();
    // A folder the memo passes over: a dir entry of it now with a bad size is still refused.
    const memo = new TreeMemo();
    buildTrees(manifest, memo);
    expect(() => buildTrees(manifest.map((entry) => (entry.path === 'a/b' ? { ...entry, size: -1 } : entry)), memo)).toThrow(/size/);
    expect(() => buildTrees(manifest.map((entry) => (entry.path === 'a/b/deep.txt' ? { ...entry, sha256: 'nothex' } : entry)), memo)).toThrow(/sha256/);
    // A refused build leaves the memo as it was.
    expect(buildTrees(manifest, memo).root).toBe(buildTrees(manifest).root);
  });

  it('a write refuses a manifest it could not read back, and publishes no checkpoint', async () => {
    const store = new CheckpointStore(checkpoints);
    await expect(store.write(body([dir('a'), file('a/../escape')]))).rejects.toThrow(/^checkpoint not written: its manifest could not be read back \(.*"a\/\.\.\/escape"/);
    expect(readdirSync(checkpoints).filter((name) => name.endsWith('.json'))).toEqual([]);
    // The next good one is numbered as the first.
    expect((await store.write(body([dir('a'), file('a/b')]))).id).toBe('checkpoint_001');
  });

  it('refuses a listing that could write outside its folder or is not a listing', () => {
    const file = (name: string) => `{"entries":[{"mode":420,"name":${JSON.stringify(name)},"sha256":"${'a'.repeat(64)}","size":1,"type":"file"}],"format":"${TREE_FORMAT}"}`;
    for (const name of ['..', '.', 'a/b', '', '.git', 'a\0b']) expect(() => parseListing(file(name)), name).toThrow(/bad entry/);
    expect(() => parseListing('{"entries":[],"format":"other"}')).toThrow(/not a folder listing/);
    expect(() => parseListing('{"entries":[{"mode":420,"name":"d","tree":"xyz","type":"dir"}],"format":"megatest-tree/1"}')).toThrow(/tree as 64/);
    expect(() => parseListing('not json')).toThrow(/not valid JSON/);
    expect(parseListing(file('ok.txt'))).toHaveLength(1);
  });

  it('a reader error names the folder', async () => {
    const built = buildTrees(manifest);
    const failing = async (sha256: string, folder: string) => {
      if (folder === 'a/b') throw new TreeListingError(sha256, folder, 'is missing');
      return parseListing(built.listings.get(sha256)!.toString('utf8'));
    };
    await expect(expandTrees(built.root, failing)).rejects.toThrow(/folder "a\/b" .* is missing/);
  });
});

describe('checkpoints with their manifest as folder listings', () => {
  it('the checkpoint file names the root listing instead of holding the manifest, and reads back the same manifest', async () => {
    const store = new CheckpointStore(checkpoints);
    const { id, snapshot } = await checkpointNow(store);
    const file = fileOf(id);
    expect(file.body.file_system_state).toEqual({ root: 'project', excluded: [], tree: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const loaded = await new CheckpointStore(checkpoints).read(id);
    expect(loaded.body.file_system_state.entries).toEqual(snapshot.entries);
    // root, src, src/lib, test
    expect(loaded.listings).toHaveLength(4);
    // and restores byte for byte
    const elsewhere = path.join(runDir, 'restored');
    await store.restore(elsewhere, loaded.body.file_system_state.entries);
    expect(readFileSync(path.join(elsewhere, 'src/lib/util.js'), 'utf8')).toBe('export const id = (x) => x;\n');
  });

  it('a checkpoint with nothing changed adds no blob; one change adds the listings of its folder and those above', async () => {
    const store = new CheckpointStore(checkpoints);
    await checkpointNow(store);
    const before = blobCount();
    const second = await checkpointNow(store);
    expect(blobCount()).toBe(before);
    put('src/lib/util.js', 'export const id = (y) => y;\n');
    const third = await checkpointNow(store);
    // one file blob, and the listings of src/lib, src and the root
    expect(blobCount()).toBe(before + 1 + 3);
    const [secondListings, thirdListings] = [(await store.read(second.id)).listings, (await store.read(third.id)).listings];
    expect(thirdListings.filter((sha256) => secondListings.includes(sha256))).toHaveLength(1);
  });

  it('still reads a checkpoint file that holds its manifest inline (written before listings)', async () => {
    const store = new CheckpointStore(checkpoints);
    const snapshot = await store.snapshot(project);
    const { id } = await publishCheckpoint(checkpoints, body(snapshot.entries), true);
    expect(fileOf(id).body.file_system_state.entries).toHaveLength(snapshot.entries.length);
    const loaded = await new CheckpointStore(checkpoints).read(id);
    expect(loaded.body.file_system_state.entries).toEqual(snapshot.entries);
    expect(loaded.listings).toEqual([]);
    expect((await store.verify(id)).usable).toBe(true);
  });

  it('a rotten listing makes its checkpoint unusable: the one before is used, the listing is set aside and written again', async () => {
    const store = new CheckpointStore(checkpoints);
    const first = await checkpointNow(store);
    put('src/lib/util.js', 'export const id = (y) => y;\n');
    const second = await checkpointNow(store);
    const secondListings = (await store.read(second.id)).listings;
    const lib = listingOf(store, secondListings, ['util.js']);
    expect((await store.read(first.id)).listings).not.toContain(lib);
    // same size, valid gzip, other bytes: only its hash tells
    const text = unpackBlobSync(readFileSync(store.blobPath(lib)));
    text[text.indexOf('util.js') + 1] ^= 0x01;
    writeFileSync(store.blobPath(lib), gzipSync(text));

    const fresh = new CheckpointStore(checkpoints);
    const error = await fresh.read(second.id).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CheckpointInvalidError);
    expect((error as Error).message).toMatch(new RegExp(`folder "src/lib" \\(objects/${lib.slice(0, 2)}/${lib.slice(2)}\\) hashes to [0-9a-f]{64}, not to its name`));
    // set aside, out of objects/
    expect(existsSync(store.blobPath(lib))).toBe(false);
    expect(readdirSync(path.join(checkpoints, 'bad-blobs')).some((name) => name.startsWith(lib))).toBe(true);
    expect((await fresh.newestValid())?.id).toBe(first.id);

    // the next checkpoint of the same tree writes it again: the second is whole again
    const third = await checkpointNow(fresh);
    expect((await fresh.read(third.id)).listings).toContain(lib);
    expect((await new CheckpointStore(checkpoints).read(second.id)).body.file_system_state.entries).toEqual(second.snapshot.entries);
  });

  it('verify reads every listing, reports a rotten one as a bad blob and sets it aside', async () => {
    const store = new CheckpointStore(checkpoints);
    const { id } = await checkpointNow(store);
    const listings = (await store.read(id)).listings;
    const testFolder = listingOf(store, listings, ['queue.test.js']);
    const packed = readFileSync(store.blobPath(testFolder));
    writeFileSync(store.blobPath(testFolder), packed.subarray(0, packed.length - 3));
    const results = await new CheckpointStore(checkpoints).verifyAll({ setAsideBad: true });
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ id, usable: false, badBlobs: [{ sha256: testFolder, paths: ['test'] }] });
    expect(results[0]!.reason).toMatch(/its manifest cannot be read: the listing of folder "test"/);
    expect(results.setAside).toBe(1);
    expect(existsSync(store.blobPath(testFolder))).toBe(false);
  });

  it('a missing listing makes the checkpoint unusable with a message naming it, and nothing is set aside', async () => {
    const store = new CheckpointStore(checkpoints);
    const { id } = await checkpointNow(store);
    const root = fileOf(id).body.file_system_state.tree as string;
    rmSync(store.blobPath(root));
    await expect(new CheckpointStore(checkpoints).read(id)).rejects.toThrow(/the listing of the project folder \(objects\/.{2}\/.{62}\) is missing/);
    expect(existsSync(path.join(checkpoints, 'bad-blobs'))).toBe(false);
    expect((await new CheckpointStore(checkpoints).list())[0]).toMatchObject({ id, valid: false });
  });

  it('a store reads a listing once, and its cache of listings is bounded by the items it holds', async () => {
    const store = new CheckpointStore(checkpoints);
    const { id } = await checkpointNow(store);
    const listings = (await store.read(id)).listings;
    const blobs = new BlobStore(checkpoints, true, 1);
    const unbounded = new ListingCache();
    const bounded = new ListingCache(0);
    await readCheckpoint(id, blobs, null, unbounded);
    await readCheckpoint(id, blobs, null, bounded);
    const src = listingOf(store, listings, ['lib', 'queue.js']);
    rmSync(store.blobPath(src));
    // held: read from memory
    expect((await readCheckpoint(id, blobs, null, unbounded)).body.file_system_state.entries.length).toBeGreaterThan(0);
    // past its bound the cache started again: read from the disk, where the listing is gone
    await expect(readCheckpoint(id, blobs, null, bounded)).rejects.toThrow(/folder "src" .* is missing/);
  });

  it('a checkpoint file stays small whatever the size of project/', async () => {
    for (let index = 0; index < 400; index += 1) put(`gen/m${index % 20}/f${index}.txt`, `${index}\n`);
    const store = new CheckpointStore(checkpoints);
    const { id, snapshot } = await checkpointNow(store);
    expect(snapshot.entries.length).toBeGreaterThan(400);
    expect(statSync(path.join(checkpoints, `${id}.json`)).size).toBeLessThan(2048);
  });
});
