// Reading a blob back whole (up to STREAM_THRESHOLD_BYTES of content): read,
// inflate, hash, and for a restore write the content to its staging file.
// A restore of many blobs is mostly this (and on this VM mostly the pages
// of the files it creates), so from READ_IN_PARALLEL_FROM blobs a helper
// thread (helperThread.ts) takes every blob it has room for while this
// thread takes the others. Both run readBackWhole below.

import { createHash } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import zlib from 'node:zlib';
import { HelperGone, LazyHelper } from './helperThread.js';

/** What readBackWhole found: nothing wrong (with the blob's size in objects/), or what is. */
export type ReadBackFinding =
  | { fault: null; packedBytes: number }
  | { fault: 'missing' }
  | { fault: 'unreadable' | 'not-gzip'; message: string }
  | { fault: 'content'; actualSha256: string; actualSize: number };

interface ReadBackModules {
  readFileSync: typeof readFileSync;
  writeFileSync: typeof writeFileSync;
  chmodSync: typeof chmodSync;
  createHash: typeof createHash;
  zlib: typeof zlib;
}

/**
 * Reads the blob file, inflates it (in the thread pool when `inPool` and it
 * is not small), checks the content's sha256 and size, and when all is well
 * and `stageTo` is given writes the content there (created mode 600, then
 * given `stageMode`; a failed write rejects). This function is also the helper thread's code (its text is put
 * in the thread's source), so it names nothing from outside but its
 * parameters.
 */
export async function readBackWhole(
  m: ReadBackModules,
  file: string,
  sha256: string,
  size: number,
  stageTo: string | null,
  stageMode: number,
  inPool: boolean,
): Promise<ReadBackFinding> {
  const INFLATE_AT_ONCE_BYTES = 64 * 1024;
  let packed: Buffer;
  try {
    packed = m.readFileSync(file);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    return code === 'ENOENT' ? { fault: 'missing' } : { fault: 'unreadable', message };
  }
  let content: Buffer;
  try {
    content =
      inPool && packed.length > INFLATE_AT_ONCE_BYTES
        ? await new Promise<Buffer>((resolve, reject) => m.zlib.gunzip(packed, (error, out) => (error ? reject(error) : resolve(out))))
        : m.zlib.gunzipSync(packed);
  } catch (error) {
    return { fault: 'not-gzip', message: (error as Error).message };
  }
  const actualSha256 = m.createHash('sha256').update(content).digest('hex');
  if (actualSha256 !== sha256 || content.length !== size) return { fault: 'content', actualSha256, actualSize: content.length };
  if (stageTo !== null) {
    m.writeFileSync(stageTo, content, { mode: 0o600 });
    if (stageMode !== 0o600) m.chmodSync(stageTo, stageMode);
  }
  return { fault: null, packedBytes: packed.length };
}

/** From this many blobs to read back, a restore or verify uses the helper (it takes ~30 ms to start). */
export const READ_IN_PARALLEL_FROM = 256;
/** Requests the helper may have waiting before this thread reads the next blob itself: most of the readers' lanes (verify.ts). */
const QUEUE_LIMIT = 12;

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { chmodSync, readFileSync, writeFileSync } = require('node:fs');
const { createHash } = require('node:crypto');
const zlib = require('node:zlib');
const modules = { readFileSync, writeFileSync, chmodSync, createHash, zlib };
const readBackWhole = ${readBackWhole.toString()};
parentPort.on('message', async ({ id, file, sha256, size, stageTo, stageMode }) => {
  try {
    parentPort.postMessage({ id, value: await readBackWhole(modules, file, sha256, size, stageTo, stageMode, false) });
  } catch (error) {
    parentPort.postMessage({ id, error: { message: error.message, code: error.code, errno: error.errno, syscall: error.syscall, path: error.path } });
  }
});
`;

const readThread = new LazyHelper(WORKER_SOURCE);

/** Blobs read back on each thread since the process started (the tests and benchmarks read it). */
export const readBlobs = { helper: 0, here: 0 };
const here: ReadBackModules = { readFileSync, writeFileSync, chmodSync, createHash, zlib };

/** readBackWhole on the helper thread when `inParallel` and it has room, here otherwise (and here again if it stopped meanwhile). */
export async function readBack(
  file: string,
  sha256: string,
  size: number,
  stageTo: string | null,
  inParallel: boolean,
  stageMode = 0o600,
): Promise<ReadBackFinding> {
  const helper = inParallel ? await readThread.withRoom(QUEUE_LIMIT) : null;
  if (helper !== null) {
    try {
      const found = await helper.call<ReadBackFinding>({ file, sha256, size, stageTo, stageMode });
      readBlobs.helper += 1;
      return found;
    } catch (error) {
      if (!(error instanceof HelperGone)) throw error;
    }
  }
  const found = await readBackWhole(here, file, sha256, size, stageTo, stageMode, true);
  readBlobs.here += 1;
  return found;
}
