// A walk of a big tree lstat's half its entries on a second thread
// (src/checkpoint/statHelper.ts). What it finds must be exactly what a
// plain synchronous walk finds: every folder, file and symlink with the
// lstat fields the index compares, excluded folders noted, sockets and
// fifos left out, a path that vanished skipped.

import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HelperGone, HelperThread, LazyHelper } from '../../src/checkpoint/helperThread.js';
import { STAT_CACHE_FILE } from '../../src/checkpoint/statCache.js';
import { BlobStore } from '../../src/checkpoint/blobStore.js';
import { ProjectIndex } from '../../src/checkpoint/projectIndex.js';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import { lstatAll, PARALLEL_FROM, STAT_FIELDS, StatKind } from '../../src/checkpoint/statHelper.js';
import { scanTree } from '../../src/checkpoint/tree.js';
import { plainScan } from './tree-walk.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'megatest-stathelper-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A tree big enough for the second thread: files, folders, symlinks, an excluded folder, a fifo. */
function makeBigTree(): void {
  for (let dir = 0; dir < 40; dir += 1) {
    const folder = path.join(root, `pkg${dir}`, dir % 2 === 0 ? 'src' : 'lib');
    mkdirSync(folder, { recursive: true });
    for (let file = 0; file < 120; file += 1) writeFileSync(path.join(folder, `f${file}.js`), `// ${dir}/${file}\n`.repeat(file % 7), { mode: file % 3 === 0 ? 0o755 : 0o644 });
    symlinkSync(`src/f${dir}.js`, path.join(root, `pkg${dir}`, 'main.js'));
  }
  symlinkSync('nowhere', path.join(root, 'dangling'));
  mkdirSync(path.join(root, 'pkg3', 'node_modules', 'dep'), { recursive: true });
  writeFileSync(path.join(root, 'pkg3', 'node_modules', 'dep', 'index.js'), 'x');
  execFileSync('mkfifo', [path.join(root, 'a-fifo')]);
}

/** What a plain synchronous walk sees, in scanTree's terms. */
function referenceScan(): { items: unknown[]; excluded: string[] } {
  const items: unknown[] = [];
  const excluded: string[] = [];
  const visit = (relative: string): void => {
    for (const name of readdirSync(path.join(root, relative))) {
      const child = relative === '' ? name : `${relative}/${name}`;
      if (name === '.git' || name === 'node_modules') {
        excluded.push(child);
        continue;
      }
      const absolute = path.join(root, child);
      const s = lstatSync(absolute);
      const stats = { mode: s.mode, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, ino: s.ino };
      if (s.isDirectory()) {
        items.push({ path: child, type: 'dir', stats });
        visit(child);
      } else if (s.isFile()) items.push({ path: child, type: 'file', stats });
      else if (s.isSymbolicLink()) items.push({ path: child, type: 'symlink', stats, target: readlinkSync(absolute) });
    }
  };
  visit('');
  const byPath = (a: unknown, b: unknown): number => ((a as { path: string }).path < (b as { path: string }).path ? -1 : 1);
  return { items: items.sort(byPath), excluded: excluded.sort() };
}

describe('a walk with a second thread', () => {
  it('finds exactly what a synchronous walk finds in a tree past the threshold', async () => {
    makeBigTree();
    const reference = referenceScan();
    expect(reference.items.length).toBeGreaterThanOrEqual(PARALLEL_FROM);
    const scan = await scanTree(root);
    expect(plainScan(scan)).toEqual(reference);
    // and again, with the worker already running
    expect(plainScan(await scanTree(root))).toEqual(reference);
  });

  it('lstatAll gives each path its kind and fields on both threads, a vanished path as missing', async () => {
    makeBigTree();
    const paths = referenceScan().items.map((item) => (item as { path: string }).path);
    // at the end: in the worker's half
    paths.push('pkg0/gone.js', 'pkg1/lib/f1.js/not-a-dir', 'a-fifo');
    const out = await lstatAll(root, paths, async () => undefined);
    expect(out.length).toBe(paths.length * STAT_FIELDS);
    paths.forEach((relative, i) => {
      const at = i * STAT_FIELDS;
      // (ENOTDIR throws even without throwIfNoEntry)
      const s = relative.endsWith('not-a-dir') ? undefined : lstatSync(path.join(root, relative), { throwIfNoEntry: false });
      if (s === undefined) {
        expect([relative, out[at]]).toEqual([relative, StatKind.MISSING]);
        return;
      }
      const kind = s.isDirectory() ? StatKind.DIR : s.isFile() ? StatKind.FILE : s.isSymbolicLink() ? StatKind.SYMLINK : StatKind.OTHER;
      expect([relative, ...out.subarray(at, at + STAT_FIELDS)]).toEqual([relative, kind, s.mode, s.size, s.mtimeMs, s.ctimeMs, s.ino]);
    });
  });

  /** Checks out against lstatSync, path by path. */
  function expectStats(out: Float64Array, paths: readonly string[]): void {
    expect(out.length).toBe(paths.length * STAT_FIELDS);
    const wrong = paths.filter((relative, i) => {
      const s = lstatSync(path.join(root, relative));
      const kind = s.isDirectory() ? StatKind.DIR : s.isFile() ? StatKind.FILE : s.isSymbolicLink() ? StatKind.SYMLINK : StatKind.OTHER;
      const at = i * STAT_FIELDS;
      return [kind, s.mode, s.size, s.mtimeMs, s.ctimeMs, s.ino].some((value, field) => out[at + field] !== value);
    });
    expect(wrong).toEqual([]);
  }

  it('lstatAll lets the second thread take every chunk while this one runs `meanwhile`, and this one takes what is left', async () => {
    makeBigTree();
    const paths = referenceScan().items.map((item) => (item as { path: string }).path);
    // The worker answers (how many it did) once it takes no more chunks: `meanwhile` waits for that, so the worker did them all.
    const spied = vi.spyOn(HelperThread.prototype, 'call');
    let workerDidAll: number | null = null;
    const out = await lstatAll(root, paths, async () => undefined, async () => {
      expect(spied).toHaveBeenCalledTimes(1);
      workerDidAll = (await spied.mock.results[0]!.value) as number;
    });
    spied.mockRestore();
    expect(workerDidAll).toBe(paths.length);
    expectStats(out, paths);
    // Without waiting, both take chunks: what each did adds up to every path.
    const both = vi.spyOn(HelperThread.prototype, 'call');
    expectStats(await lstatAll(root, paths, async () => undefined), paths);
    const workerDid = (await both.mock.results[0]!.value) as number;
    both.mockRestore();
    expect(workerDid).toBeGreaterThanOrEqual(0);
    expect(workerDid).toBeLessThanOrEqual(paths.length);
  });

  it('lstatAll does again here the chunks a second thread took and ended without answering for', async () => {
    makeBigTree();
    const paths = referenceScan().items.map((item) => (item as { path: string }).path);
    // A thread that takes half the chunks and dies before writing any of them.
    const call = vi.spyOn(HelperThread.prototype, 'call').mockImplementation((message) => {
      const claims = new Int32Array((message as { counters: SharedArrayBuffer }).counters);
      while (Atomics.load(claims, 0) < paths.length / 2) Atomics.add(claims, 0, 256);
      return Promise.reject(new HelperGone('the helper thread ended'));
    });
    try {
      expectStats(await lstatAll(root, paths, async () => undefined), paths);
      expect(call).toHaveBeenCalledTimes(1);
    } finally {
      call.mockRestore();
    }
  });

  it('a restart loads the stat cache and checks the sizes of the blobs it vouches for while the second thread lstats the walk', async () => {
    makeBigTree();
    const checkpoints = mkdtempSync(path.join(tmpdir(), 'megatest-stathelper-ck-'));
    // The store's clock an hour on: every file just written is settled, so the stat cache vouches for all of them (fileIndex.ts), however loaded the machine.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 3_600_000 });
    try {
      const first = await new CheckpointStore(checkpoints).snapshot(root);
      const order: string[] = [];
      type Method = (this: unknown, ...args: unknown[]) => unknown;
      const spyOn = (prototype: object, name: string, note: (args: unknown[]) => string | null): void => {
        const original = (prototype as Record<string, Method>)[name]!;
        vi.spyOn(prototype as Record<string, Method>, name).mockImplementation(function (this: unknown, ...args: unknown[]) {
          const seen = note(args);
          if (seen !== null) order.push(seen);
          return original.apply(this, args);
        });
      };
      spyOn(HelperThread.prototype, 'call', ([message]) => {
        const { joined } = message as { joined?: string };
        return joined === undefined ? null : `second thread given ${joined.split('\0').length} paths`;
      });
      spyOn(ProjectIndex.prototype, 'indexOf', () => 'stat cache loaded');
      spyOn(BlobStore.prototype, 'trustSeenSizes', ([sizes]) => `sizes of ${(sizes as Map<string, number>).size} blobs checked`);
      const again = await new CheckpointStore(checkpoints).snapshot(root);
      vi.restoreAllMocks();
      const blobs = new Set(first.entries.map((entry) => entry.sha256).filter((sha256) => sha256 !== undefined)).size;
      const walked = referenceScan().items.length + 1; // and the fifo, lstat'ed and left out
      // The walk is handed over first; the stat cache and the blobs' sizes are this thread's meanwhile.
      expect(order.slice(0, 3)).toEqual([`second thread given ${walked} paths`, 'stat cache loaded', `sizes of ${blobs} blobs checked`]);
      expect(again.hashedFiles).toBe(0);
      expect(again.entries).toEqual(first.entries);
    } finally {
      vi.useRealTimers();
      vi.restoreAllMocks();
      rmSync(checkpoints, { recursive: true, force: true });
    }
  });

  it('a snapshot starts the second thread before its walk when the last one (by the stat cache after a restart) held a big tree, and not otherwise', async () => {
    const project = path.join(root, 'project');
    mkdirSync(project);
    writeFileSync(path.join(project, 'a.js'), 'a');
    const started = vi.spyOn(LazyHelper.prototype, 'get');
    try {
      // A small project, no stat cache: nothing started (its walk is below the threshold too).
      await new CheckpointStore(path.join(root, 'small')).snapshot(project);
      expect(started).not.toHaveBeenCalled();
      // A restart over a stat cache the size of a big tree's: started before anything is walked or read.
      // (This one is no stat cache at all inside: the guess goes by the size, the load then passes it over.)
      const big = path.join(root, 'big');
      mkdirSync(big);
      writeFileSync(path.join(big, STAT_CACHE_FILE), ' '.repeat(PARALLEL_FROM * 200));
      await new CheckpointStore(big).snapshot(project);
      expect(started).toHaveBeenCalledTimes(1);
      // The same store again: its own index of one file says small.
      const store = new CheckpointStore(path.join(root, 'again'));
      await store.snapshot(project);
      await store.snapshot(project);
      expect(started).toHaveBeenCalledTimes(1);
    } finally {
      started.mockRestore();
    }
  });
});
