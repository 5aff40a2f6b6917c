// checkpoints/objects/ab/cdef…: gzip of a file's content, named by the sha256
// of the content. A blob is written to a temp file, flushed, and renamed into
// place, so it is whole or absent; a blob already stored is not written again.
//
// Reuse is where a rotten blob would spread: every later checkpoint of an
// unchanged file would name it. So a blob this process did not write is
// reused only after a cheap check of its size (its gzip header and trailer,
// no inflating); one that fails is written again. A blob found corrupt by a
// restore or by `megatest checkpoints verify` is set aside into
// checkpoints/bad-blobs/, so the next checkpoint that needs its content
// writes it afresh (and every checkpoint naming it is whole again). A
// process that set none aside itself notices them by the folder's mtime.

import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, Writable } from 'node:stream';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { sha256Hex } from './canonical.js';
import { errorCode, syncFile, tempSuffix, writeDurably } from './durableFiles.js';

const gzip = promisify(zlib.gzip);

/** Files above this are hashed and compressed as streams instead of in memory. */
export const STREAM_THRESHOLD_BYTES = 32 * 1024 * 1024;
export const HASH_CONCURRENCY = 8;
export const BLOB_CHECK_CONCURRENCY = 32;

/** Where blobs found corrupt are kept, out of objects/ (relative to the checkpoints folder). */
export const BAD_BLOBS_DIR = 'bad-blobs';

/** What a quick look at a stored blob found wrong, and whether the blob itself is bad (not just absent or unreadable). */
export interface BlobCheck {
  problem: string;
  corrupt: boolean;
}

export interface StoredFile {
  sha256: string;
  contentSize: number;
  /** Bytes the blob takes in objects/; 0 when it was already stored. */
  storedBytes: number;
  /** A blob was stored already but failed its size check, and was written again. */
  rewritten: boolean;
}

export class BlobStore {
  readonly objectsDir: string;
  readonly badBlobsDir: string;
  /** Blobs this process wrote, read back whole (a restore), or checked before reusing them. */
  private readonly trustedBlobs = new Set<string>();
  private readonly pendingBlobs = new Map<string, Promise<{ bytes: number; rewritten: boolean }>>();
  private readonly madeDirs = new Set<string>();
  /** bad-blobs/'s mtime when this process last read it. */
  private badBlobsSeenMs = Number.NaN;

  constructor(
    /** Blob problems are reported relative to it. */
    readonly checkpointsDir: string,
    readonly durable: boolean,
    private readonly compressionLevel: number,
  ) {
    this.objectsDir = path.join(checkpointsDir, 'objects');
    this.badBlobsDir = path.join(checkpointsDir, BAD_BLOBS_DIR);
  }

  /** Path of the blob holding the content whose sha256 is given. */
  blobPath(sha256: string): string {
    return path.join(this.objectsDir, sha256.slice(0, 2), sha256.slice(2));
  }

  /** The blob may be reused without a look: this process wrote it or checked it. */
  isKnown(sha256: string): boolean {
    return this.trustedBlobs.has(sha256);
  }

  /** Records a blob found whole in objects/ (a restore read it back), so no snapshot stores it again. */
  markKnown(sha256: string): void {
    this.trustedBlobs.add(sha256);
  }

  /**
   * Moves a blob found corrupt out of objects/ into bad-blobs/ (kept for a
   * person to look at), so the next snapshot that needs its content writes it
   * again. False when it was not there to move.
   */
  async setAside(sha256: string): Promise<boolean> {
    this.trustedBlobs.delete(sha256);
    await fs.mkdir(this.badBlobsDir, { recursive: true });
    try {
      await fs.rename(this.blobPath(sha256), path.join(this.badBlobsDir, `${sha256}.${Date.now()}.gz`));
      return true;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false;
      throw error;
    }
  }

  /**
   * Sets the blob aside (setAside) only if it is really bad: there, and not
   * gzip or its content not hashing to its name. A blob that is missing or
   * cannot be read stays where it is. Reads the blob once more, streamed.
   */
  async setAsideIfCorrupt(sha256: string): Promise<boolean> {
    const hash = createHash('sha256');
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done();
      },
    });
    try {
      await pipeline(createReadStream(this.blobPath(sha256)), zlib.createGunzip(), sink);
    } catch (error) {
      // A gzip error (code Z_…) is a bad blob; a file that is absent or unreadable is not for us to move.
      if (!String(errorCode(error) ?? '').startsWith('Z_')) return false;
      return this.setAside(sha256);
    }
    return hash.digest('hex') === sha256 ? false : this.setAside(sha256);
  }

  /** Blobs another process (a verify) set aside since the last look are no longer trusted: one stat when nothing changed. */
  async noticeSetAside(): Promise<void> {
    const stats = await fs.stat(this.badBlobsDir).catch(() => null);
    if (stats === null || stats.mtimeMs === this.badBlobsSeenMs) return;
    this.badBlobsSeenMs = stats.mtimeMs;
    for (const name of await fs.readdir(this.badBlobsDir).catch(() => [] as string[])) {
      const match = /^([0-9a-f]{64})\./.exec(name);
      if (match) this.trustedBlobs.delete(match[1]!);
    }
  }

  /** Reads, hashes and (if new) stores a file held in memory. */
  async storeSmallFile(absolute: string): Promise<StoredFile> {
    const content = await fs.readFile(absolute);
    const sha256 = sha256Hex(content);
    const { bytes: storedBytes, rewritten } = await this.storeBlob(sha256, content.length, async (target) => {
      const packed = await gzip(content, { level: this.compressionLevel });
      const temp = path.join(path.dirname(target), `.blob.${tempSuffix()}`);
      await writeDurably(temp, packed, this.durable);
      await fs.rename(temp, target);
      return packed.length;
    });
    return { sha256, contentSize: content.length, storedBytes, rewritten };
  }

  /** Large files: one streaming pass hashes and compresses into a temp file, kept only if the blob is new. */
  async storeLargeFile(absolute: string): Promise<StoredFile> {
    const temp = path.join(this.objectsDir, `.blob.${tempSuffix()}`);
    const hash = createHash('sha256');
    let contentSize = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        contentSize += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(createReadStream(absolute), tap, zlib.createGzip({ level: this.compressionLevel }), createWriteStream(temp));
      const sha256 = hash.digest('hex');
      const { bytes: storedBytes, rewritten } = await this.storeBlob(sha256, contentSize, async (target) => {
        if (this.durable) await syncFile(temp);
        const { size } = await fs.stat(temp);
        await fs.rename(temp, target);
        return size;
      });
      return { sha256, contentSize, storedBytes, rewritten };
    } finally {
      await fs.unlink(temp).catch(() => undefined);
    }
  }

  /**
   * Stores the blob of sha256 unless a good one is there; `place` writes it
   * at the given path atomically (replacing a bad one) and returns its size.
   * Returns the bytes written, 0 if the blob was already stored (or is being
   * stored by a parallel task), and whether a stored one failed its check.
   */
  private storeBlob(sha256: string, contentSize: number, place: (target: string) => Promise<number>): Promise<{ bytes: number; rewritten: boolean }> {
    if (this.trustedBlobs.has(sha256)) return Promise.resolve({ bytes: 0, rewritten: false });
    const pending = this.pendingBlobs.get(sha256);
    if (pending !== undefined) return pending.then(() => ({ bytes: 0, rewritten: false }));
    const work = (async () => {
      const target = this.blobPath(sha256);
      // Not written by this process: reused only if its size is right (cheap: header and trailer).
      const check = await this.blobCheck(sha256, contentSize);
      if (check === null) return { bytes: 0, rewritten: false };
      await this.ensureDir(path.dirname(target));
      return { bytes: await place(target), rewritten: check.corrupt };
    })();
    this.pendingBlobs.set(sha256, work);
    return work.then(
      (written) => {
        this.pendingBlobs.delete(sha256);
        this.trustedBlobs.add(sha256);
        return written;
      },
      (error: unknown) => {
        this.pendingBlobs.delete(sha256);
        throw error;
      },
    );
  }

  async blobPresent(target: string): Promise<boolean> {
    try {
      return (await fs.lstat(target)).isFile();
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false;
      throw error;
    }
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.madeDirs.has(dir)) return;
    await fs.mkdir(dir, { recursive: true });
    this.madeDirs.add(dir);
  }

  /**
   * A blob is gzip; its trailer's last 4 bytes hold the content size mod 2^32,
   * so a missing, truncated or wrong blob shows without decompressing it.
   */
  async blobProblem(sha256: string, size: number): Promise<string | null> {
    return (await this.blobCheck(sha256, size))?.problem ?? null;
  }

  /** blobProblem, saying also whether the blob itself is bad (truncated, not gzip, the wrong size) rather than absent or unreadable. */
  async blobCheck(sha256: string, size: number): Promise<BlobCheck | null> {
    const blob = this.blobPath(sha256);
    const name = path.relative(this.checkpointsDir, blob);
    let handle;
    try {
      handle = await fs.open(blob, 'r');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return { problem: `blob ${name} is missing`, corrupt: false };
      return { problem: `blob ${name} cannot be opened: ${(error as Error).message}`, corrupt: false };
    }
    try {
      const { size: storedSize } = await handle.stat();
      if (storedSize < 20) return { problem: `blob ${name} is truncated (${storedSize} bytes)`, corrupt: true };
      const head = Buffer.alloc(2);
      const tail = Buffer.alloc(4);
      await handle.read(head, 0, 2, 0);
      await handle.read(tail, 0, 4, storedSize - 4);
      if (head[0] !== 0x1f || head[1] !== 0x8b) return { problem: `blob ${name} is not gzip data`, corrupt: true };
      const recorded = tail.readUInt32LE(0);
      if (recorded !== size % 2 ** 32) {
        return { problem: `blob ${name} holds ${recorded} bytes (mod 2^32), the manifest says ${size}`, corrupt: true };
      }
      return null;
    } finally {
      await handle.close();
    }
  }
}
