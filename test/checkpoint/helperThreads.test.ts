// A checkpoint's heavy loops on a second thread: packing new blobs
// (src/checkpoint/blobPacker.ts) and reading blobs back (blobReadBack.ts),
// both through helperThread.ts. What the helper writes and finds must be
// byte for byte what this thread would; its errors must reach the caller
// with their codes (a full disk is ENOSPC wherever it happened); and when
// the helper stops, the work is done here.

import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import zlib from 'node:zlib';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HELPER_MAX_BYTES, packContent, packedBlobs, packToFile, PACK_IN_PARALLEL_FROM, readFileShared, renameAll, renamedBlobs, RENAME_IN_PARALLEL_FROM } from '../../src/checkpoint/blobPacker.js';
import { FRAME_MAGIC, unpackBlobSync } from '../../src/checkpoint/blobCodec.js';
import { readBack, readBackAll, readBlobs, READ_IN_PARALLEL_FROM, SCRATCH_BYTES } from '../../src/checkpoint/blobReadBack.js';
import { HelperGone, IDLE_MS, LazyHelper, RETRY_START_AFTER_MS, type HelperThread } from '../../src/checkpoint/helperThread.js';
import { BadBlobsError, CheckpointStore } from '../../src/checkpoint/store.js';
import { Breather } from '../../src/checkpoint/tree.js';
import { fingerprintTree, testBody } from '../helpers/checkpointTree.js';
import { suiteTmpfs } from '../helpers/tmpfs.js';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'megatest-helpers-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** Contents that take every branch of packContent: empty, small, incompressible, sampled, large. */
function contents(): Buffer[] {
  const text = (bytes: number): Buffer => Buffer.from('const queue = new TaskQueue({ retries: 3 });\n'.repeat(Math.ceil(bytes / 45))).subarray(0, bytes);
  return [Buffer.alloc(0), text(100), text(60_000), randomBytes(3_000), text(200_000), randomBytes(300_000), text(700_000), Buffer.concat([text(70_000), randomBytes(250_000)])];
}

describe('HelperThread', () => {
  it('answers, passes an error on with its code, and reports a stopped thread as HelperGone; a new one starts after', async () => {
    const helper = new LazyHelper(`
      const { parentPort } = require('node:worker_threads');
      parentPort.on('message', ({ id, kind }) => {
        if (kind === 'exit') process.exit(0);
        if (kind === 'fail') parentPort.postMessage({ id, error: { message: 'no space left on device', code: 'ENOSPC', errno: -28, syscall: 'write', path: '/x' } });
        else parentPort.postMessage({ id, value: kind + '!' });
      });
    `);
    const first = helper.get();
    expect(first).not.toBeNull();
    expect(await first!.call({ kind: 'echo' })).toBe('echo!');
    await expect(first!.call({ kind: 'fail' })).rejects.toMatchObject({ message: 'no space left on device', code: 'ENOSPC', errno: -28, syscall: 'write' });
    await expect(first!.call({ kind: 'exit' })).rejects.toBeInstanceOf(HelperGone);
    expect(first!.broken).toBe(true);
    const second = await helper.withRoom(1);
    expect(second).not.toBe(first);
    expect(await second!.call({ kind: 'again' })).toBe('again!');
  });
  it('one that cannot start is not started again for a while: the work stays on this thread, no thread per request', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const helper = new LazyHelper(`throw new Error('cannot start here');`);
      const first = helper.get();
      expect(first).not.toBeNull();
      await expect(first!.call({ kind: 'echo' })).rejects.toBeInstanceOf(HelperGone);
      for (let i = 0; i < 5; i++) expect(helper.get()).toBeNull();
      expect(await helper.withRoom(1)).toBeNull();
      vi.setSystemTime(Date.now() + RETRY_START_AFTER_MS - 1);
      expect(helper.get()).toBeNull();
      vi.setSystemTime(Date.now() + 1);
      const again = helper.get();
      expect(again).not.toBeNull();
      await expect(again!.call({ kind: 'echo' })).rejects.toBeInstanceOf(HelperGone);
    } finally {
      vi.useRealTimers();
    }
  });
  it('ends a helper started ahead of its first request (a restore warms it) once it has been idle that long', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const helper = new LazyHelper(`require('node:worker_threads').parentPort.on('message', () => {});`);
      const started = helper.get();
      expect(started?.broken).toBe(false);
      vi.advanceTimersByTime(IDLE_MS - 1);
      expect(started?.broken).toBe(false);
      vi.advanceTimersByTime(1);
      expect(started?.broken).toBe(true);
      expect(helper.get()).not.toBe(started);
    } finally {
      vi.useRealTimers();
    }
  });
  it('starts in a process run as `node --input-type=module -e …`, whose flags would make its CommonJS source an ES module', () => {
    // helperThread.ts compiled on its own (it imports only node's modules), loaded by such a process.
    const compiled = ts.transpileModule(readFileSync(path.join(SRC, 'checkpoint/helperThread.ts'), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    writeFileSync(path.join(dir, 'helperThread.mjs'), compiled);
    const script = [
      `import { LazyHelper } from ${JSON.stringify(pathToFileURL(path.join(dir, 'helperThread.mjs')).href)};`,
      `const helper = new LazyHelper("const { parentPort } = require('node:worker_threads'); parentPort.on('message', ({ id }) => parentPort.postMessage({ id, value: 'answered' }));");`,
      `process.stdout.write(String(await helper.get().call({}).catch((error) => error.message)));`,
    ].join('\n');
    for (const flags of [['--input-type=module'], ['--input-type', 'module']]) {
      expect(execFileSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8', timeout: 30_000 })).toBe('answered');
    }
  });
});

describe('packing on two threads (blobPacker.ts)', () => {
  it('writes the same bytes on the helper as on this thread, for every kind of content', async () => {
    const before = { ...packedBlobs };
    const all = contents();
    let index = 0;
    for (const content of all) {
      const onHelper = path.join(dir, `helper${index}`);
      const here = path.join(dir, `here${index}`);
      index += 1;
      // inParallel with nothing queued: the helper takes it; without: this thread.
      const helperBytes = await packToFile(content, 1, onHelper, true);
      const hereBytes = await packToFile(content, 1, here, false);
      const packed = readFileSync(onHelper);
      expect(packed.equals(readFileSync(here))).toBe(true);
      expect([helperBytes, hereBytes]).toEqual([packed.length, packed.length]);
      expect(unpackBlobSync(packed).equals(content)).toBe(true);
      expect(Buffer.from(await packContent(zlib, content, 1, false)).equals(packed)).toBe(true);
    }
    expect(packedBlobs.helper - before.helper).toBe(all.length);
    expect(packedBlobs.here - before.here).toBe(all.length);
    // Content above HELPER_MAX_BYTES is packed here (in the thread pool), not copied to the helper.
    const big = Buffer.from('x'.repeat(HELPER_MAX_BYTES + 1));
    const beforeBig = { ...packedBlobs };
    await packToFile(big, 1, path.join(dir, 'big'), true);
    expect([packedBlobs.helper - beforeBig.helper, packedBlobs.here - beforeBig.here]).toEqual([0, 1]);
    expect(unpackBlobSync(readFileSync(path.join(dir, 'big'))).equals(big)).toBe(true);
    // Random bytes do not compress: kept in stored blocks (gzip level 0), the same size plus framing.
    const stored = readFileSync(path.join(dir, 'helper5'));
    expect(stored.equals(gzipSync(all[5]!, { level: 0 }))).toBe(true);
    // What compresses is a brotli frame (blobCodec.ts).
    expect(readFileSync(path.join(dir, 'big')).subarray(0, 4).equals(FRAME_MAGIC)).toBe(true);
  });

  it('reads a file the helper may pack into memory it shares (no copy in the message), and packs it the same on either thread', async () => {
    const before = { ...packedBlobs };
    for (const [name, content] of [['empty', Buffer.alloc(0)], ['text', Buffer.from('export const a = 1;\n'.repeat(2000))], ['largest', Buffer.alloc(HELPER_MAX_BYTES, 'y')]] as const) {
      const source = path.join(dir, name);
      writeFileSync(source, content);
      const read = readFileShared(source);
      expect(read.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(read.equals(content)).toBe(true);
      await packToFile(read, 1, path.join(dir, `${name}.helper`), true);
      await packToFile(read, 1, path.join(dir, `${name}.here`), false);
      expect(readFileSync(path.join(dir, `${name}.helper`)).equals(readFileSync(path.join(dir, `${name}.here`)))).toBe(true);
      expect(unpackBlobSync(readFileSync(path.join(dir, `${name}.helper`))).equals(content)).toBe(true);
    }
    expect(packedBlobs.helper - before.helper).toBe(3);
    // Above what goes to the helper: read as readFileSync reads it.
    writeFileSync(path.join(dir, 'bigger'), Buffer.alloc(HELPER_MAX_BYTES + 1, 'z'));
    const bigger = readFileShared(path.join(dir, 'bigger'));
    expect(bigger.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(bigger.equals(Buffer.alloc(HELPER_MAX_BYTES + 1, 'z'))).toBe(true);
    // A file that holds more than its stat said when read (as /proc's do: size 0) is read again whole.
    const status = readFileShared('/proc/self/status');
    expect(status.length).toBeGreaterThan(100);
    expect(status.toString().startsWith('Name:')).toBe(true);
  });

  it('rejects with the error code of a write the helper could not make', async () => {
    writeFileSync(path.join(dir, 'a-file'), 'x');
    const temp = path.join(dir, 'a-file', '.blob.1.tmp');
    await expect(packToFile(Buffer.from('content'), 1, temp, true)).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(packToFile(Buffer.from('content'), 1, temp, false)).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  describe('on a full disk', () => {
    const { skip, dir: full } = suiteTmpfs(1, 'megatest-ckpack-small-');
    it.skipIf(skip !== '')(`rejects with ENOSPC from either thread and leaves no partial temp file${skip ? ` (skipped: ${skip})` : ''}`, async () => {
      const content = randomBytes(2 * 1024 * 1024);
      for (const inParallel of [true, false]) {
        await expect(packToFile(content, 1, path.join(full, `.blob.${inParallel}.tmp`), inParallel)).rejects.toMatchObject({ code: 'ENOSPC' });
        expect(readdirSync(full)).toEqual([]);
      }
    });
  });

  const count = Math.max(PACK_IN_PARALLEL_FROM, READ_IN_PARALLEL_FROM) * 2;
  it(`a snapshot of ${count} new files packs on both threads; a restore reads back on both, byte-exact`, async () => {
    const project = path.join(dir, 'project');
    for (let index = 0; index < count; index += 1) {
      const folder = path.join(project, `pkg${index % 7}`);
      mkdirSync(folder, { recursive: true });
      writeFileSync(path.join(folder, `f${index}.txt`), index % 5 === 0 ? randomBytes(500 + index) : `line ${index}\n`.repeat(1 + (index % 40)));
    }
    const before = { ...packedBlobs };
    const store = new CheckpointStore(path.join(dir, 'checkpoints'));
    const snapshot = await store.snapshot(project);
    expect(packedBlobs.helper).toBeGreaterThan(before.helper);
    // Every blob as this thread would pack it, named by its content.
    for (const entry of snapshot.entries) {
      if (entry.type !== 'file') continue;
      const content = readFileSync(path.join(project, entry.path));
      expect(entry.sha256).toBe(sha256(content));
      const blob = readFileSync(path.join(dir, 'checkpoints', 'objects', entry.sha256!.slice(0, 2), entry.sha256!.slice(2)));
      expect(Buffer.from(await packContent(zlib, content, 1, false)).equals(blob)).toBe(true);
    }
    await store.write(testBody(snapshot.entries));
    const readBefore = { ...readBlobs };
    const into = path.join(dir, 'restored');
    await new CheckpointStore(path.join(dir, 'checkpoints')).restore(into, snapshot.entries);
    expect(readBlobs.helper).toBeGreaterThan(readBefore.helper);
    expect(fingerprintTree(into)).toEqual(fingerprintTree(project));
    expect(readdirSync(path.join(dir, 'checkpoints')).filter((name) => name.startsWith('.restore.'))).toEqual([]);
  });
  it(`a restore of ${count} blobs on both threads names every bad one, wherever it falls among the chunks, and writes nothing`, async () => {
    const project = path.join(dir, 'project');
    for (let index = 0; index < count; index += 1) {
      mkdirSync(path.join(project, `pkg${index % 5}`), { recursive: true });
      writeFileSync(path.join(project, `pkg${index % 5}`, `f${index}.txt`), `file ${index}\n`.repeat(20 + (index % 30)));
    }
    const checkpoints = path.join(dir, 'checkpoints');
    const store = new CheckpointStore(checkpoints);
    const { entries } = await store.snapshot(project);
    await store.write(testBody(entries));
    const files = entries.filter((entry) => entry.type === 'file');
    // The first blob read, one in the middle, the last: another content, cut short, not a blob.
    const [first, middle, last] = [files[0]!, files[files.length >> 1]!, files[files.length - 1]!];
    const blobOf = (entry: (typeof files)[number]): string => store.blobPath(entry.sha256!);
    writeFileSync(blobOf(first), gzipSync(Buffer.from('another content\n')));
    writeFileSync(blobOf(middle), readFileSync(blobOf(middle)).subarray(0, 30));
    writeFileSync(blobOf(last), 'not a blob at all');

    const readBefore = { ...readBlobs };
    const into = path.join(dir, 'restored');
    const failed = (await new CheckpointStore(checkpoints).restore(into, entries).catch((error: unknown) => error)) as Error;
    expect(failed.cause).toBeInstanceOf(BadBlobsError);
    const problems = Object.fromEntries((failed.cause as BadBlobsError).bad.map((blob) => [blob.paths.join(','), blob.problem]));
    expect(Object.keys(problems).sort()).toEqual([first.path, middle.path, last.path].sort());
    expect(problems[first.path]).toMatch(/^its content hashes to [0-9a-f]{64}, not to its name/);
    expect(problems[middle.path]).toMatch(/^is not a valid blob \(its frame says \d+ bytes of brotli data, it holds 10\)/);
    expect(problems[last.path]).toMatch(/^is not a valid blob \(neither gzip nor a brotli frame\)/);
    expect(readBlobs.helper).toBeGreaterThan(readBefore.helper);
    expect(readdirSync(into)).toEqual([]);
    expect(readdirSync(checkpoints).filter((name) => name.startsWith('.restore.'))).toEqual([]);
  });
});

describe('renaming a flush\'s blobs into place on two threads (renameAll)', () => {
  /** `count` temp files in 16 folders, each named for its target. */
  function temps(count: number): { temp: string; target: string }[] {
    const pairs: { temp: string; target: string }[] = [];
    for (let index = 0; index < count; index += 1) {
      const folder = path.join(dir, 'objects', (index % 16).toString(16).padStart(2, '0'));
      mkdirSync(folder, { recursive: true });
      const pair = { temp: path.join(folder, `.blob.${process.pid}.${index}.tmp`), target: path.join(folder, `blob${index}`) };
      writeFileSync(pair.temp, `content ${index}`);
      pairs.push(pair);
    }
    return pairs;
  }
  /** What is in the 16 folders: target names with their contents, and the temps left. */
  function folders(): { targets: Map<string, string>; temps: number } {
    const found = { targets: new Map<string, string>(), temps: 0 };
    for (const entry of readdirSync(path.join(dir, 'objects'), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      if (entry.name.startsWith('.blob.')) found.temps += 1;
      else found.targets.set(entry.name, readFileSync(path.join(entry.parentPath, entry.name), 'utf8'));
    }
    return found;
  }
  afterEach(() => vi.restoreAllMocks());

  it(`renames ${RENAME_IN_PARALLEL_FROM * 2} on both threads, half each, and fewer than ${RENAME_IN_PARALLEL_FROM} here alone`, async () => {
    for (const count of [RENAME_IN_PARALLEL_FROM * 2 + 1, RENAME_IN_PARALLEL_FROM - 1]) {
      rmSync(path.join(dir, 'objects'), { recursive: true, force: true });
      const before = { ...renamedBlobs };
      await renameAll(temps(count));
      const found = folders();
      expect(found.temps).toBe(0);
      expect(found.targets.size).toBe(count);
      for (let index = 0; index < count; index += 1) expect(found.targets.get(`blob${index}`)).toBe(`content ${index}`);
      const onHelper = count >= RENAME_IN_PARALLEL_FROM ? count - (count >> 1) : 0;
      expect(renamedBlobs.helper - before.helper).toBe(onHelper);
      expect(renamedBlobs.here - before.here).toBe(count - onHelper);
    }
  });

  it('waits for both halves when one fails, then rejects with its code', async () => {
    const count = RENAME_IN_PARALLEL_FROM * 2;
    for (const missing of [3, count - 3]) {
      rmSync(path.join(dir, 'objects'), { recursive: true, force: true });
      const pairs = temps(count);
      rmSync(pairs[missing]!.temp);
      await expect(renameAll(pairs)).rejects.toMatchObject({ code: 'ENOENT' });
      // The other half is done by the time the call rejects; the failing half stopped at its missing temp.
      const done = folders().targets;
      const [otherFrom, otherTo] = missing < count / 2 ? [count / 2, count] : [0, count / 2];
      for (let index = otherFrom; index < otherTo; index += 1) expect(done.has(`blob${index}`), `blob${index}`).toBe(true);
      expect(done.has(`blob${missing}`)).toBe(false);
    }
  });

  it('renames what a helper that stopped midway left, here, passing over what it had done', async () => {
    const count = RENAME_IN_PARALLEL_FROM * 2;
    const pairs = temps(count);
    // A helper that renames the first 10 of its half, then stops.
    vi.spyOn(LazyHelper.prototype, 'get').mockReturnValue({
      call: async ({ renames }: { renames: [string, string][] }) => {
        for (const [from, to] of renames.slice(0, 10)) renameSync(from, to);
        throw new HelperGone('the helper thread ended');
      },
    } as unknown as HelperThread);
    await renameAll(pairs);
    const found = folders();
    expect(found.temps).toBe(0);
    expect(found.targets.size).toBe(count);
  });

  it('leaves no rejection unhandled when the helper stops while this thread, renaming its half, gives the event loop a turn', async () => {
    const count = RENAME_IN_PARALLEL_FROM * 2;
    const pairs = temps(count);
    vi.spyOn(LazyHelper.prototype, 'get').mockReturnValue({
      call: () => Promise.reject(new HelperGone('the helper thread ended')),
    } as unknown as HelperThread);
    // Every pause a turn of the event loop, as on a loaded machine (its slices are otherwise 10 ms of work).
    vi.spyOn(Breather.prototype, 'breathe').mockImplementation(() => new Promise<void>((resolve) => setImmediate(resolve)));
    const unhandled: unknown[] = [];
    const listener = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', listener);
    try {
      await renameAll(pairs);
      await new Promise<void>((resolve) => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', listener);
    }
    expect(unhandled).toEqual([]);
    expect(folders().targets.size).toBe(count);
  });
});

describe('reading back on two threads (blobReadBack.ts)', () => {
  it('finds the same on the helper as on this thread: whole (gzip and a brotli frame), missing, not a blob, another content, the wrong size', async () => {
    const content = Buffer.from('export const answer = 42;\n'.repeat(300));
    const name = sha256(content);
    const blob = (file: string, data: Buffer): string => {
      writeFileSync(path.join(dir, file), data);
      return path.join(dir, file);
    };
    const good = blob('good', gzipSync(content));
    const framed = Buffer.from(await packContent(zlib, content, 1, false));
    const goodFrame = blob('good-frame', framed);
    const cases: [string, string, number][] = [
      [good, name, content.length],
      [goodFrame, name, content.length],
      [path.join(dir, 'absent'), name, content.length],
      [blob('not-a-blob', Buffer.from('plain text')), name, content.length],
      [blob('other', gzipSync(Buffer.from('other'))), name, content.length],
      [blob('other-frame', Buffer.from(await packContent(zlib, Buffer.from('other '.repeat(50)), 1, false))), name, content.length],
      [good, name, content.length + 1],
      [goodFrame, name, content.length + 1],
    ];
    const found = [];
    for (const [file, sha, size] of cases) {
      const here = await readBack(file, sha, size, null, false);
      const onHelper = await readBack(file, sha, size, null, true);
      expect(onHelper).toEqual(here);
      found.push(here.fault);
    }
    expect(found).toEqual([null, null, 'missing', 'not-a-blob', 'content', 'content', 'content', 'content']);
    expect(await readBack(goodFrame, name, content.length, null, true)).toEqual({ fault: null, packedBytes: framed.length });
    expect(await readBack(good, name, content.length, null, true)).toEqual({ fault: null, packedBytes: gzipSync(content).length });
  });

  it('reads blobs smaller and larger than its reused read buffer, one after another and in one message, from either thread', async () => {
    // Incompressible, so each blob is about as large as its content: the larger ones do not fit the buffer and are read whole apart.
    const sizes = [SCRATCH_BYTES * 2, 0, 10, 70_000, SCRATCH_BYTES - 100, SCRATCH_BYTES + 100, 5_000];
    const blobs = sizes.map((size, index) => {
      const content = randomBytes(size);
      const file = path.join(dir, `blob-${index}`);
      writeFileSync(file, gzipSync(content, { level: 0 }));
      return { file, sha256: sha256(content), size, stageTo: null, stageMode: 0o600 };
    });
    for (const inParallel of [true, false]) {
      for (const { file, sha256: name, size } of blobs) expect(await readBack(file, name, size, null, inParallel)).toMatchObject({ fault: null });
      expect((await readBackAll(blobs, inParallel)).map((found) => found.fault)).toEqual(sizes.map(() => null));
    }
  });

  it('inflates several large blobs at once on this thread, each from its own bytes (the read buffer is reused meanwhile)', async () => {
    // Over 64 KB packed: inflated in the thread pool while this thread reads the next blob into the same buffer.
    const blobs = Array.from({ length: 6 }, (_, index) => {
      const content = randomBytes(150_000 + index * 1_000);
      const file = path.join(dir, `large-${index}`);
      writeFileSync(file, gzipSync(content));
      return { file, name: sha256(content), size: content.length };
    });
    const found = await Promise.all(blobs.map(({ file, name, size }) => readBack(file, name, size, null, false)));
    expect(found.map((finding) => finding.fault)).toEqual(blobs.map(() => null));
  });

  it('stages a whole blob byte-exact from either thread, and rejects with the code of a staging write that fails', async () => {
    const content = randomBytes(100_000);
    const name = sha256(content);
    const file = path.join(dir, 'blob');
    writeFileSync(file, gzipSync(content));
    for (const inParallel of [true, false]) {
      const stageTo = path.join(dir, `staged-${inParallel}`);
      expect(await readBack(file, name, content.length, stageTo, inParallel)).toMatchObject({ fault: null });
      expect(readFileSync(stageTo).equals(content)).toBe(true);
    }
    writeFileSync(path.join(dir, 'a-file'), 'x');
    await expect(readBack(file, name, content.length, path.join(dir, 'a-file', 'staged'), true)).rejects.toMatchObject({ code: 'ENOTDIR' });
  });
});
