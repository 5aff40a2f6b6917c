// Compressing new blobs and writing them to their temp files, on two
// threads. A first checkpoint is mostly this (brotli, then creating one file
// per blob); this thread reads and hashes every file, and hands the packing
// of a new blob to a helper thread (helperThread.ts) while that one has
// less than QUEUE_LIMIT waiting, packing it here otherwise, so both cores
// stay busy whichever is quicker. What lands on disk is byte for byte the
// same either way: both run packContent below. The helper, idle by then,
// also renames half of a flush's blobs into place (renameAll).

import { closeSync, existsSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import zlib from 'node:zlib';
import { errorCode } from './durableFiles.js';
import { HelperGone, LazyHelper } from './helperThread.js';
import { openRegularFile } from './projectFileOpen.js';
import { Breather } from './tree.js';

/**
 * A brotli frame (blobCodec.ts) at quality `level` + 1; content that does not
 * compress (judged on a sample when large) as gzip in stored blocks
 * instead, which reads back at the speed of a copy. Small content is packed
 * at once: a zlib stream per file through the thread pool cost more than the
 * compressing itself (a first snapshot of 1,000 files of 4 KB took 2.0-3.5 s
 * of CPU that way and 0.4-0.7 s this way). Larger content is packed in the
 * thread pool when `inPool`, at once otherwise.
 *
 * This function is also the helper thread's code (its text is put in the
 * thread's source), so it names nothing from outside but its parameters.
 */
export async function packContent(z: typeof zlib, content: Uint8Array, level: number, inPool: boolean): Promise<Uint8Array> {
  const PACK_AT_ONCE_BYTES = 64 * 1024;
  const SAMPLE_ABOVE_BYTES = 256 * 1024;
  const SAMPLE_BYTES = 64 * 1024;
  /** Packed at least this big relative to the content: not worth inflating later, kept in stored blocks. */
  const INCOMPRESSIBLE_RATIO = 0.95;
  const HEADER_BYTES = 20;
  const atOnce = !inPool || content.length <= PACK_AT_ONCE_BYTES;
  // The size hint lets brotli size its window and tables to the content (setting the window too was no faster).
  const brotli = (data: Uint8Array): Buffer | Promise<Buffer> => {
    // Output in one buffer as big as the data (up to 16 MiB): what packs larger is kept in stored blocks anyway. In chunks of the 16 KiB default, it was copied once more to join them.
    const options = {
      params: { [z.constants.BROTLI_PARAM_QUALITY]: level + 1, [z.constants.BROTLI_PARAM_SIZE_HINT]: data.length },
      chunkSize: Math.max(64, Math.min(data.length, 16 * 1024 * 1024)),
    };
    return atOnce ? z.brotliCompressSync(data, options) : new Promise((resolve, reject) => z.brotliCompress(data, options, (error, out) => (error ? reject(error) : resolve(out))));
  };
  const stored = (): Buffer | Promise<Buffer> => {
    // Small content: the smallest window that reaches across it (one stored block), and tables to match.
    const windowBits = Math.min(15, Math.max(10, Math.ceil(Math.log2(content.length + 262))));
    const options = content.length <= PACK_AT_ONCE_BYTES ? { level: 0, windowBits, memLevel: Math.min(8, Math.max(4, windowBits - 6)) } : { level: 0 };
    return atOnce ? z.gzipSync(content, options) : new Promise((resolve, reject) => z.gzip(content, options, (error, out) => (error ? reject(error) : resolve(out))));
  };
  if (content.length > SAMPLE_ABOVE_BYTES) {
    const sample = await brotli(content.subarray(0, SAMPLE_BYTES));
    if (sample.length >= SAMPLE_BYTES * INCOMPRESSIBLE_RATIO) return stored();
  }
  const stream = await brotli(content);
  if (HEADER_BYTES + stream.length >= content.length * INCOMPRESSIBLE_RATIO && content.length > 0) return stored();
  // The frame: magic, the content's size and the stream's, each in 6 bytes little-endian and 2 zero bytes (blobCodec.ts).
  const framed = Buffer.allocUnsafe(HEADER_BYTES + stream.length);
  framed[0] = 0x89;
  framed[1] = 0x6d;
  framed[2] = 0x74;
  framed[3] = 0x62;
  framed.writeUIntLE(content.length, 4, 6);
  framed.writeUInt16LE(0, 10);
  framed.writeUIntLE(stream.length, 12, 6);
  framed.writeUInt16LE(0, 18);
  stream.copy(framed, HEADER_BYTES);
  return framed;
}

/** From this many blobs to pack, a snapshot uses the helper: fewer are packed sooner here than the helper starts (~30 ms). */
export const PACK_IN_PARALLEL_FROM = 256;
/** Content up to this size is packed at once on this thread when the helper is busy; larger content in the thread pool. */
const PACK_HERE_AT_ONCE_BYTES = 64 * 1024;
/** Requests the helper may have waiting before this thread packs the next blob itself: half a snapshot's lanes (HASH_CONCURRENCY). */
const QUEUE_LIMIT = 6;
/**
 * Content above this is packed here, in the thread pool (off this thread
 * already): what goes to the helper is copied, so this bounds the copies in
 * flight to QUEUE_LIMIT times it.
 */
export const HELPER_MAX_BYTES = 4 * 1024 * 1024;

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { renameSync, writeFileSync } = require('node:fs');
const zlib = require('node:zlib');
const packContent = ${packContent.toString()};
parentPort.on('message', async ({ id, content, level, temp, renames }) => {
  try {
    if (renames !== undefined) {
      for (const [from, to] of renames) renameSync(from, to);
      parentPort.postMessage({ id, value: renames.length });
      return;
    }
    const packed = await packContent(zlib, content, level, false);
    writeFileSync(temp, packed, { mode: 0o644 });
    parentPort.postMessage({ id, value: packed.length });
  } catch (error) {
    parentPort.postMessage({ id, error: { message: error.message, code: error.code, errno: error.errno, syscall: error.syscall, path: error.path } });
  }
});
`;

const packThread = new LazyHelper(WORKER_SOURCE);

/** Blobs packed on each thread since the process started (the tests and benchmarks read it). */
export const packedBlobs = { helper: 0, here: 0 };
/** Blobs renamed into place by renameAll on each thread since the process started (for the tests). */
export const renamedBlobs = { helper: 0, here: 0 };

/**
 * Packs content (packContent) into a new file at `temp` (mode 644, not
 * fsynced: the snapshot flushes its new blobs together) and returns its
 * size. `inParallel` (many to pack: PACK_IN_PARALLEL_FROM): on the helper
 * thread while it has room and the content is at most HELPER_MAX_BYTES,
 * here otherwise, and here again if the helper stopped meanwhile. A failed
 * write rejects with its error code (ENOSPC) wherever it ran, and leaves no
 * partial temp file.
 */
export async function packToFile(content: Buffer, level: number, temp: string, inParallel: boolean): Promise<number> {
  const helper = inParallel && content.length <= HELPER_MAX_BYTES ? await packThread.withRoom(QUEUE_LIMIT) : null;
  if (helper !== null) {
    try {
      // Copied to the thread, not moved (shared, when read by readFileShared): this thread keeps it to pack it here if the helper stops.
      const bytes = await helper.call<number>({ content, level, temp });
      packedBlobs.helper += 1;
      return bytes;
    } catch (error) {
      if (!(error instanceof HelperGone)) {
        rmSync(temp, { force: true });
        throw error;
      }
    }
  }
  try {
    const packed = await packContent(zlib, content, level, content.length > PACK_HERE_AT_ONCE_BYTES);
    writeFileSync(temp, packed, { mode: 0o644 });
    packedBlobs.here += 1;
    return packed.length;
  } catch (error) {
    // A write cut short (a full disk) leaves no partial temp file behind.
    rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * The file's content in memory the helper thread can share (a
 * SharedArrayBuffer), for content that may go to it (up to
 * HELPER_MAX_BYTES): the message then carries a view of this memory
 * instead of a copy of it, and this thread keeps the content to pack it here
 * if the helper stops. Copying half of a first checkpoint's content into
 * messages took about a tenth of its time on this thread. Larger files,
 * and one that grows while it is read, are read as readFileSync reads them.
 */
export function readFileShared(absolute: string): Buffer {
  const { fd, size } = openRegularFile(absolute);
  try {
    if (!(size <= HELPER_MAX_BYTES)) return readFileSync(fd);
    // A byte more than its size: a file that grew since its stat fills it, and the rest is read on from there.
    const shared = Buffer.from(new SharedArrayBuffer(size + 1));
    let filled = 0;
    for (let got = -1; got !== 0 && filled < shared.length; filled += got) got = readSync(fd, shared, filled, shared.length - filled, null);
    return filled <= size ? shared.subarray(0, filled) : Buffer.concat([shared.subarray(0, filled), readFileSync(fd)]);
  } finally {
    closeSync(fd);
  }
}

/** From this many, a flush renames half its new blobs into place on the helper thread (idle by then), and half here. */
export const RENAME_IN_PARALLEL_FROM = 256;

/**
 * Renames each temp file to its target, half on the helper thread from
 * RENAME_IN_PARALLEL_FROM on. Waits for both halves even when one fails,
 * then throws the first error. If the helper stops midway, the renames it
 * did not do are done here.
 */
export async function renameAll(pairs: readonly { temp: string; target: string }[]): Promise<void> {
  const helper = pairs.length >= RENAME_IN_PARALLEL_FROM ? packThread.get() : null;
  const half = helper === null ? pairs.length : pairs.length >> 1;
  const theirs = pairs.slice(half);
  // Settled into a value at once: this thread's half yields to the event loop (below), and a helper that stops
  // meanwhile would otherwise reject with nothing listening yet, an unhandled rejection that ends the process.
  const far = helper?.call<number>({ renames: theirs.map(({ temp, target }) => [temp, target]) }).then(
    (renamed) => ({ renamed, error: null }),
    (error: unknown) => ({ renamed: 0, error }),
  );
  let failure: unknown = null;
  // 15,000 renames here (a first checkpoint of 30,000 files) held the event loop 0.27 s: it gets its turns.
  const breather = new Breather();
  try {
    for (let index = 0; index < half; index += 1) {
      renameSync(pairs[index]!.temp, pairs[index]!.target);
      renamedBlobs.here += 1;
      if (index % 64 === 63) await breather.breathe();
    }
  } catch (error) {
    failure = error;
  }
  if (far !== undefined) {
    const { renamed, error } = await far;
    renamedBlobs.helper += renamed;
    if (error !== null) {
      if (!(error instanceof HelperGone)) failure ??= error;
      else if (failure === null) {
        for (const { temp, target } of theirs) {
          try {
            renameSync(temp, target);
          } catch (renameError) {
            // Renamed by the helper before it stopped.
            if (!(errorCode(renameError) === 'ENOENT' && existsSync(target))) throw renameError;
          }
        }
      }
    }
  }
  if (failure !== null) throw failure;
}
