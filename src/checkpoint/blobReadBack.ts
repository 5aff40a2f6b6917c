// Reading a blob back whole (up to STREAM_THRESHOLD_BYTES of content): read,
// unpack (blobCodec.ts), hash, and for a restore write the content to its staging file.
// A restore of many blobs is mostly this (and on this VM mostly the pages
// of the files it creates), so from READ_IN_PARALLEL_FROM blobs a helper
// thread (helperThread.ts) takes a chunk of them (verify.ts) whenever it has
// room for one while this thread takes the others. Both run readBackWhole
// below, each reading blobs into a buffer of its own that it reuses.

import { createHash } from 'node:crypto';
import { chmodSync, closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import zlib from 'node:zlib';
import { unpackBlob } from './blobCodec.js';
import { HelperGone, LazyHelper } from './helperThread.js';

/** What readBackWhole found: nothing wrong (with the blob's size in objects/), or what is. */
export type ReadBackFinding =
  | { fault: null; packedBytes: number }
  | { fault: 'missing' }
  | { fault: 'unreadable' | 'not-a-blob'; message: string }
  | { fault: 'content'; actualSha256: string; actualSize: number };

interface ReadBackModules {
  openSync: typeof openSync;
  readSync: typeof readSync;
  closeSync: typeof closeSync;
  /** Reused for each blob that fits, so reading one allocates nothing. */
  scratch: Buffer;
  readFileSync: typeof readFileSync;
  writeFileSync: typeof writeFileSync;
  chmodSync: typeof chmodSync;
  createHash: typeof createHash;
  zlib: typeof zlib;
  unpack: typeof unpackBlob;
}

/**
 * Reads the blob file, unpacks it (in the thread pool when `inPool` and it
 * is not small), checks the content's sha256 and size, and when all is well
 * and `stageTo` is given writes the content there (created with
 * `createMode`, then given `stageMode` if that differs; a failed write
 * rejects). This function is also the helper thread's code (its text is
 * put in the thread's source), so it names nothing from outside but its
 * parameters and node's globals.
 */
export async function readBackWhole(
  m: ReadBackModules,
  file: string,
  sha256: string,
  size: number,
  stageTo: string | null,
  stageMode: number,
  createMode: number,
  inPool: boolean,
): Promise<ReadBackFinding> {
  const INFLATE_AT_ONCE_BYTES = 64 * 1024;
  let packed: Buffer;
  try {
    const fd = m.openSync(file, 'r');
    let filled = 0;
    try {
      for (let got = -1; got !== 0 && filled < m.scratch.length; filled += got) got = m.readSync(fd, m.scratch, filled, m.scratch.length - filled, null);
    } finally {
      m.closeSync(fd);
    }
    // A blob larger than the scratch buffer is read again whole; one inflated in the pool gets its own copy (the buffer is reused meanwhile).
    if (filled === m.scratch.length) packed = m.readFileSync(file);
    else packed = inPool && filled > INFLATE_AT_ONCE_BYTES ? Buffer.from(m.scratch.subarray(0, filled)) : m.scratch.subarray(0, filled);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    return code === 'ENOENT' ? { fault: 'missing' } : { fault: 'unreadable', message };
  }
  let content: Buffer;
  try {
    content = await m.unpack(m.zlib, packed, inPool && packed.length > INFLATE_AT_ONCE_BYTES);
  } catch (error) {
    return { fault: 'not-a-blob', message: (error as Error).message };
  }
  const actualSha256 = m.createHash('sha256').update(content).digest('hex');
  if (actualSha256 !== sha256 || content.length !== size) return { fault: 'content', actualSha256, actualSize: content.length };
  if (stageTo !== null) {
    m.writeFileSync(stageTo, content, { mode: createMode });
    if (stageMode !== createMode) m.chmodSync(stageTo, stageMode);
  }
  return { fault: null, packedBytes: packed.length };
}

/** Bytes of the buffer each thread reads blobs into (most blobs are far smaller; a larger one is read into its own). */
export const SCRATCH_BYTES = 1024 * 1024;

/** From this many blobs to read back, a restore or verify uses the helper (it takes ~30 ms to start). */
export const READ_IN_PARALLEL_FROM = 256;
/**
 * Messages (each a chunk of blobs, verify.ts) the helper may have waiting
 * before this thread reads the next chunk itself. With a message a blob,
 * posting and answering took this thread about a fifth of what reading the
 * blob itself would have (a CPU profile of a 5,000-blob restore).
 */
const CHUNKS_WAITING_LIMIT = 3;

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { chmodSync, closeSync, openSync, readFileSync, readSync, writeFileSync } = require('node:fs');
const { createHash } = require('node:crypto');
const zlib = require('node:zlib');
const unpack = ${unpackBlob.toString()};
const modules = { openSync, readSync, closeSync, scratch: Buffer.allocUnsafe(${SCRATCH_BYTES}), readFileSync, writeFileSync, chmodSync, createHash, zlib, unpack };
const readBackWhole = ${readBackWhole.toString()};
parentPort.on('message', async ({ id, items }) => {
  try {
    const value = [];
    for (const { file, sha256, size, stageTo, stageMode, createMode } of items) {
      value.push(await readBackWhole(modules, file, sha256, size, stageTo, stageMode, createMode, false));
    }
    parentPort.postMessage({ id, value });
  } catch (error) {
    parentPort.postMessage({ id, error: { message: error.message, code: error.code, errno: error.errno, syscall: error.syscall, path: error.path } });
  }
});
`;

const readThread = new LazyHelper(WORKER_SOURCE);

/** Starts the helper thread ahead of a read of many blobs, so its start-up (~30 ms) overlaps the caller's preparations. */
export function warmReadHelper(): void {
  readThread.get();
}

/** Blobs read back on each thread since the process started (the tests and benchmarks read it). */
export const readBlobs = { helper: 0, here: 0 };
const here: ReadBackModules = { openSync, readSync, closeSync, scratch: Buffer.allocUnsafe(SCRATCH_BYTES), readFileSync, writeFileSync, chmodSync, createHash, zlib, unpack: unpackBlob };

/** One blob to read back whole (readBackWhole's arguments). */
export interface ReadBackRequest {
  file: string;
  sha256: string;
  size: number;
  stageTo: string | null;
  /** Mode of the staged file. */
  stageMode: number;
}

/**
 * readBackWhole of each request, in order: all on the helper thread when
 * `inParallel` and it has room for one more message, here otherwise (and
 * here again if it stopped meanwhile). A staged write that fails rejects
 * the whole call. With the process's `umask` known, staged files are made
 * with their mode where it leaves that whole (no chmod after).
 */
export async function readBackAll(requests: readonly ReadBackRequest[], inParallel: boolean, umask: number | null = null): Promise<ReadBackFinding[]> {
  const items = requests.map((request) => ({ ...request, createMode: createModeOf(request.stageMode, umask) }));
  const helper = inParallel ? await readThread.withRoom(CHUNKS_WAITING_LIMIT) : null;
  if (helper !== null) {
    try {
      const found = await helper.call<ReadBackFinding[]>({ items });
      readBlobs.helper += items.length;
      return found;
    } catch (error) {
      if (!(error instanceof HelperGone)) throw error;
    }
  }
  const found: ReadBackFinding[] = [];
  for (const { file, sha256, size, stageTo, stageMode, createMode } of items) {
    found.push(await readBackWhole(here, file, sha256, size, stageTo, stageMode, createMode, true));
  }
  readBlobs.here += items.length;
  return found;
}

/** readBackAll of one blob. */
export async function readBack(
  file: string,
  sha256: string,
  size: number,
  stageTo: string | null,
  inParallel: boolean,
  stageMode = 0o600,
  umask: number | null = null,
): Promise<ReadBackFinding> {
  const [found] = await readBackAll([{ file, sha256, size, stageTo, stageMode }], inParallel, umask);
  return found!;
}

/**
 * The mode a staged file is created with: its own where the umask leaves it
 * whole and it has no special bits (creating a file may drop setgid, for one
 * not in the folder's group), else 600 with a chmod after.
 */
export function createModeOf(stageMode: number, umask: number | null): number {
  return umask !== null && (stageMode & ~0o777) === 0 && (stageMode & umask) === 0 ? stageMode : 0o600;
}

/**
 * The process's umask, from /proc/self/status; null where that cannot be
 * read (then staged files are created 600 and given their mode after).
 * process.umask() without an argument sets the umask to 0 for an instant,
 * which files other threads create meanwhile would be made with.
 */
export function currentUmask(): number | null {
  try {
    const match = /^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match === null ? null : Number.parseInt(match[1]!, 8);
  } catch {
    return null;
  }
}
