// The two forms a blob in objects/ takes, and reading either back.
//
// - A brotli frame (what packContent writes for content that compresses):
//   20 bytes of header, then a brotli stream. The header is the magic
//   0x89 'm' 't' 'b', the content's size (6 bytes, little-endian, then 2 zero
//   bytes) and the brotli stream's length (the same). Brotli has no size
//   trailer of its own, and the two sizes let a blob's check see a wrong or
//   truncated blob from its header and its size on disk, without inflating
//   it, as a gzip trailer did. Brotli quality 2 packs this project's kind of
//   content (source text, data) about 1% smaller than gzip level 1 in half
//   the time (quality 1 is faster still, but 1% larger than gzip: storage
//   would pass restic's), and is in Node 20's zlib (zstd arrived in Node
//   22.15).
// - gzip: content that does not compress (kept in stored blocks, read at the
//   speed of a copy), content above STREAM_THRESHOLD_BYTES (packed as a
//   stream while it is read, before its size is known), and every blob
//   stores wrote before the brotli frame. A blob of either form reads the
//   same way, so a store holds both.

import { createHash } from 'node:crypto';
import { closeSync, createReadStream, promises as fs, openSync, readSync, statSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { assertNever } from '../contract/assertNever.js';

export const FRAME_HEADER_BYTES = 20;
/** The first bytes of a brotli frame; gzip starts 0x1f 0x8b. */
export const FRAME_MAGIC = Buffer.from([0x89, 0x6d, 0x74, 0x62]);

/** What a blob's first FRAME_HEADER_BYTES bytes say of it. */
export type BlobHead =
  | { form: 'gzip' }
  | { form: 'brotli'; contentSize: number; streamBytes: number }
  | { form: 'unknown'; why: string };

export function readBlobHead(head: Buffer): BlobHead {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return { form: 'gzip' };
  if (head.length < FRAME_HEADER_BYTES || !head.subarray(0, 4).equals(FRAME_MAGIC)) return { form: 'unknown', why: 'neither gzip nor a brotli frame' };
  if (head.readUInt16LE(10) !== 0 || head.readUInt16LE(18) !== 0) return { form: 'unknown', why: 'a brotli frame with a damaged header' };
  return { form: 'brotli', contentSize: head.readUIntLE(4, 6), streamBytes: head.readUIntLE(12, 6) };
}

/**
 * The content of a blob read whole, of either form: at once, or in the
 * thread pool when `inPool` (then a promise). Throws (or rejects) when the
 * blob is not one, is cut short or holds more or less than its frame says.
 *
 * This function is also the helper thread's code (blobReadBack.ts puts its
 * text in the thread's source), so it names nothing from outside but its
 * parameters and node's globals.
 */
export function unpackBlob(z: typeof zlib, packed: Buffer, inPool: boolean): Buffer | Promise<Buffer> {
  const HEADER_BYTES = 20;
  if (packed.length >= 2 && packed[0] === 0x1f && packed[1] === 0x8b) {
    return inPool ? new Promise((resolve, reject) => z.gunzip(packed, (error, out) => (error ? reject(error) : resolve(out)))) : z.gunzipSync(packed);
  }
  const framed = packed.length >= HEADER_BYTES && packed[0] === 0x89 && packed[1] === 0x6d && packed[2] === 0x74 && packed[3] === 0x62;
  if (!framed || packed.readUInt16LE(10) !== 0 || packed.readUInt16LE(18) !== 0) throw new Error('neither gzip nor a brotli frame');
  const contentSize = packed.readUIntLE(4, 6);
  const streamBytes = packed.readUIntLE(12, 6);
  if (packed.length !== HEADER_BYTES + streamBytes) throw new Error(`its frame says ${streamBytes} bytes of brotli data, it holds ${packed.length - HEADER_BYTES}`);
  // Never more than the frame says: a damaged stream cannot make a bigger buffer than the content's.
  // Output in one buffer a byte larger than the content (up to 16 MiB): in chunks of the 16 KiB default, a blob of 100 KiB took seven buffers and a copy into an eighth.
  const options = { maxOutputLength: Math.max(1, contentSize), chunkSize: Math.max(64, Math.min(contentSize + 1, 16 * 1024 * 1024)) };
  const checked = (content: Buffer): Buffer => {
    if (content.length !== contentSize) throw new Error(`its frame says ${contentSize} bytes of content, it inflates to ${content.length}`);
    return content;
  };
  const stream = packed.subarray(HEADER_BYTES);
  if (!inPool) return checked(z.brotliDecompressSync(stream, options));
  return new Promise((resolve, reject) =>
    z.brotliDecompress(stream, options, (error, out) => {
      if (error) return reject(error);
      try {
        resolve(checked(out));
      } catch (sizeError) {
        reject(sizeError as Error);
      }
    }),
  );
}

/** unpackBlob at once, on this thread (checkpoint files' listings, the tests). */
export function unpackBlobSync(packed: Buffer): Buffer {
  return unpackBlob(zlib, packed, false) as Buffer;
}

/**
 * Whether the blob file is there and of the right size, from its first
 * bytes and its size on disk: a brotli frame's header holds the content's
 * size and the stream's; a gzip trailer's last 4 bytes hold the content's
 * size mod 2^32. So a missing, truncated or wrong blob shows without
 * unpacking it. `corrupt`: the blob itself is bad, not absent or unreadable.
 * Small synchronous calls: see Breather (tree.ts).
 */
export function checkBlobFile(file: string, name: string, size: number): { problem: string; corrupt: boolean } | { problem: null; storedSize: number } {
  let storedSize: number;
  let fd: number;
  try {
    // A stat first, that does not throw when the blob is missing: on a first checkpoint every blob is,
    // and the error a failed open throws (with its stack) cost more than the open.
    const stats = statSync(file, { throwIfNoEntry: false });
    if (stats === undefined) return { problem: `blob ${name} is missing`, corrupt: false };
    storedSize = stats.size;
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { problem: `blob ${name} is missing`, corrupt: false };
    return { problem: `blob ${name} cannot be opened: ${(error as Error).message}`, corrupt: false };
  }
  try {
    // The smallest gzip member is 20 bytes; a brotli frame is its header and at least one byte.
    if (storedSize < 20) return { problem: `blob ${name} is truncated (${storedSize} bytes)`, corrupt: true };
    const head = Buffer.alloc(FRAME_HEADER_BYTES);
    readSync(fd, head, 0, FRAME_HEADER_BYTES, 0);
    const found = readBlobHead(head);
    switch (found.form) {
      case 'unknown':
        return { problem: `blob ${name} is not a blob: ${found.why}`, corrupt: true };
      case 'brotli': {
        const framedSize = FRAME_HEADER_BYTES + found.streamBytes;
        if (framedSize !== storedSize) return { problem: `blob ${name} is truncated or damaged: its frame says ${framedSize} bytes, it holds ${storedSize}`, corrupt: true };
        if (found.contentSize !== size) return { problem: `blob ${name} holds ${found.contentSize} bytes, the manifest says ${size}`, corrupt: true };
        return { problem: null, storedSize };
      }
      case 'gzip': {
        const tail = Buffer.alloc(4);
        readSync(fd, tail, 0, 4, storedSize - 4);
        const recorded = tail.readUInt32LE(0);
        if (recorded !== size % 2 ** 32) return { problem: `blob ${name} holds ${recorded} bytes (mod 2^32), the manifest says ${size}`, corrupt: true };
        return { problem: null, storedSize };
      }
      default:
        return assertNever(found, 'blob form');
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads the blob file back once more and says whether its content hashes to
 * `sha256` ('good'), it is not a blob or holds other content ('bad'), or it
 * cannot be read (absent, no permission: 'unreadable', not for a caller to
 * move). A gzip blob is streamed (it may be of any size); a brotli frame
 * is read whole (a snapshot packs as frames only what it read whole: up to
 * STREAM_THRESHOLD_BYTES, more only for a file that grew while it was read).
 */
export async function readBackVerdict(file: string, sha256: string): Promise<'good' | 'bad' | 'unreadable'> {
  let head: Buffer;
  try {
    head = await readFileHead(file);
  } catch {
    return 'unreadable';
  }
  const hash = createHash('sha256');
  if (readBlobHead(head).form !== 'gzip') {
    let packed: Buffer;
    try {
      packed = await fs.readFile(file);
    } catch {
      return 'unreadable';
    }
    try {
      hash.update(await unpackBlob(zlib, packed, packed.length > 64 * 1024));
    } catch {
      return 'bad';
    }
  } else {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done();
      },
    });
    try {
      await pipeline(createReadStream(file), zlib.createGunzip(), sink);
    } catch (error) {
      // A gzip error (code Z_…) is a bad blob; a file that is absent or unreadable is not.
      return String((error as NodeJS.ErrnoException).code ?? '').startsWith('Z_') ? 'bad' : 'unreadable';
    }
  }
  return hash.digest('hex') === sha256 ? 'good' : 'bad';
}

/** The first FRAME_HEADER_BYTES bytes of a file (fewer if it is shorter): enough for readBlobHead. */
export async function readFileHead(file: string): Promise<Buffer> {
  const handle = await fs.open(file, 'r');
  try {
    const head = Buffer.alloc(FRAME_HEADER_BYTES);
    return head.subarray(0, (await handle.read(head, 0, FRAME_HEADER_BYTES, 0)).bytesRead);
  } finally {
    await handle.close();
  }
}
