// checkpoints/objects/ab/cdef…: gzip of a file's content, named by the sha256
// of the content. A blob is written to a temp file, flushed, and renamed into
// place, so it is whole or absent; a blob already stored is never written again.

import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { sha256Hex } from './canonical.js';
import { errorCode, syncFile, tempSuffix, writeDurably } from './durableFiles.js';
import { forEachLimit } from './tree.js';

const gzip = promisify(zlib.gzip);

/** Files above this are hashed and compressed as streams instead of in memory. */
export const STREAM_THRESHOLD_BYTES = 32 * 1024 * 1024;
export const HASH_CONCURRENCY = 8;
export const BLOB_CHECK_CONCURRENCY = 32;

export interface StoredFile {
  sha256: string;
  contentSize: number;
  /** Bytes the blob takes in objects/; 0 when it was already stored. */
  storedBytes: number;
}

export class BlobStore {
  readonly objectsDir: string;
  /** Blobs this process wrote or saw in objects/. */
  private readonly knownBlobs = new Set<string>();
  private readonly pendingBlobs = new Map<string, Promise<number>>();
  private readonly madeDirs = new Set<string>();
  private blobListingLoaded = false;

  constructor(
    /** Blob problems are reported relative to it. */
    readonly checkpointsDir: string,
    readonly durable: boolean,
    private readonly compressionLevel: number,
  ) {
    this.objectsDir = path.join(checkpointsDir, 'objects');
  }

  /** Path of the blob holding the content whose sha256 is given. */
  blobPath(sha256: string): string {
    return path.join(this.objectsDir, sha256.slice(0, 2), sha256.slice(2));
  }

  isKnown(sha256: string): boolean {
    return this.knownBlobs.has(sha256);
  }

  /** Records a blob found whole in objects/ (a restore read it back), so no snapshot stores it again. */
  markKnown(sha256: string): void {
    this.knownBlobs.add(sha256);
  }

  /** Reads, hashes and (if new) stores a file held in memory. */
  async storeSmallFile(absolute: string): Promise<StoredFile> {
    const content = await fs.readFile(absolute);
    const sha256 = sha256Hex(content);
    const storedBytes = await this.storeBlob(sha256, async (target) => {
      const packed = await gzip(content, { level: this.compressionLevel });
      const temp = path.join(path.dirname(target), `.blob.${tempSuffix()}`);
      await writeDurably(temp, packed, this.durable);
      await fs.rename(temp, target);
      return packed.length;
    });
    return { sha256, contentSize: content.length, storedBytes };
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
      const storedBytes = await this.storeBlob(sha256, async (target) => {
        if (this.durable) await syncFile(temp);
        const { size } = await fs.stat(temp);
        await fs.rename(temp, target);
        return size;
      });
      return { sha256, contentSize, storedBytes };
    } finally {
      await fs.unlink(temp).catch(() => undefined);
    }
  }

  /**
   * Stores the blob of sha256 unless it is there; `place` writes it at the
   * given path atomically and returns its size. Returns the bytes written, 0
   * if the blob was already stored (or is being stored by a parallel task).
   */
  private storeBlob(sha256: string, place: (target: string) => Promise<number>): Promise<number> {
    if (this.knownBlobs.has(sha256)) return Promise.resolve(0);
    const pending = this.pendingBlobs.get(sha256);
    if (pending !== undefined) return pending.then(() => 0);
    const work = (async () => {
      const target = this.blobPath(sha256);
      if (await this.blobPresent(target)) return 0;
      await this.ensureDir(path.dirname(target));
      return place(target);
    })();
    this.pendingBlobs.set(sha256, work);
    return work.then(
      (written) => {
        this.pendingBlobs.delete(sha256);
        this.knownBlobs.add(sha256);
        return written;
      },
      (error: unknown) => {
        this.pendingBlobs.delete(sha256);
        throw error;
      },
    );
  }

  /** Learns which blobs objects/ holds, once per process, so unchanged files need no blob lookup. */
  async loadBlobListing(): Promise<void> {
    if (this.blobListingLoaded) return;
    const fanOut = await fs.readdir(this.objectsDir).catch(() => [] as string[]);
    await forEachLimit(
      fanOut.filter((name) => /^[0-9a-f]{2}$/.test(name)),
      16,
      async (prefix) => {
        const names = await fs.readdir(path.join(this.objectsDir, prefix)).catch(() => [] as string[]);
        for (const name of names) if (/^[0-9a-f]{62}$/.test(name)) this.knownBlobs.add(prefix + name);
      },
    );
    this.blobListingLoaded = true;
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
    const blob = this.blobPath(sha256);
    let handle;
    try {
      handle = await fs.open(blob, 'r');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return `blob ${path.relative(this.checkpointsDir, blob)} is missing`;
      return `blob ${path.relative(this.checkpointsDir, blob)} cannot be opened: ${(error as Error).message}`;
    }
    try {
      const { size: storedSize } = await handle.stat();
      if (storedSize < 20) return `blob ${path.relative(this.checkpointsDir, blob)} is truncated (${storedSize} bytes)`;
      const head = Buffer.alloc(2);
      const tail = Buffer.alloc(4);
      await handle.read(head, 0, 2, 0);
      await handle.read(tail, 0, 4, storedSize - 4);
      if (head[0] !== 0x1f || head[1] !== 0x8b) return `blob ${path.relative(this.checkpointsDir, blob)} is not gzip data`;
      const recorded = tail.readUInt32LE(0);
      if (recorded !== size % 2 ** 32) {
        return `blob ${path.relative(this.checkpointsDir, blob)} holds ${recorded} bytes (mod 2^32), the manifest says ${size}`;
      }
      return null;
    } finally {
      await handle.close();
    }
  }
}
