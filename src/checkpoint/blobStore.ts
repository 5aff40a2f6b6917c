// checkpoints/objects/ab/cdef…: a file's content packed (a brotli frame, or
// gzip for content that does not compress and for large files: blobCodec.ts),
// named by the sha256 of the content; either form reads back the same way,
// whatever level wrote it. A blob
// is written to a temp file (on a helper thread or this one, blobPacker.ts); a snapshot then flushes all its new blobs at
// once (fsync in parallel, rename into place, fsync the folders) before any
// checkpoint names them, so a blob is whole or absent; a blob already stored
// is not written again. A large batch is flushed by one sync of the file
// system instead of an fsync per blob (durableFiles.ts, syncFileSystem).
//
// Reuse is where a rotten blob would spread: every later checkpoint of an
// unchanged file would name it. So a blob this process did not write is
// reused only after a cheap check of its size (the sizes in its frame, or
// its gzip header and trailer; no unpacking); one that fails is written
// again. A blob found corrupt by a restore or by `megatest checkpoints
// verify` is set aside into checkpoints/bad-blobs/ (badBlobs.ts), so the
// next checkpoint that needs its content writes it afresh (and every
// checkpoint naming it is whole again). A process that set none aside itself
// notices them by the folder's mtime.

import { createReadStream, createWriteStream, mkdirSync, promises as fs } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import zlib from 'node:zlib';
import { syncDir } from '../io/atomic.js';
import { BadBlobs } from './badBlobs.js';
import { checkBlobFile, unpackBlob } from './blobCodec.js';
import { sha256Hex } from './canonical.js';
import { errorCode, syncFile, syncFileSystem, tempSuffix } from './durableFiles.js';
import { packToFile, readFileShared, renameAll } from './blobPacker.js';
import { openRegularFile, readRegularFile } from './projectFileOpen.js';
import { lstatAll, STAT_FIELDS, StatKind } from './statHelper.js';
import { forEachLimit } from './tree.js';

/** Files above this are hashed and compressed as streams instead of in memory. */
export const STREAM_THRESHOLD_BYTES = 32 * 1024 * 1024;
export const HASH_CONCURRENCY = 8;
export const BLOB_CHECK_CONCURRENCY = 32;
/** fsyncs in flight at once when a snapshot flushes its new blobs (the file system groups them into fewer journal commits). */
const FLUSH_CONCURRENCY = 16;
/** From this many files (or folders) to flush, one sync of the whole file system is cheaper than an fsync each (durableFiles.ts). */
export const SYNC_FILE_SYSTEM_FROM = 64;
/** Blobs up to this size are unpacked at once on this thread (a zlib stream through the thread pool costs more than inflating a few KB). */
const INFLATE_AT_ONCE_BYTES = 64 * 1024;

/**
 * Unpacks a blob read whole (blobCodec.ts): a small one at once on this
 * thread, a larger one in the thread pool, beside the hashing here.
 */
export async function inflateBlob(packed: Buffer): Promise<Buffer> {
  return unpackBlob(zlib, packed, packed.length > INFLATE_AT_ONCE_BYTES);
}

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
  /** checkpoints/bad-blobs/: blobs set aside or found missing (badBlobs.ts). */
  readonly badBlobs: BadBlobs;
  /** Blobs this process wrote, read back whole (a restore), or checked before reusing them. */
  private readonly trustedBlobs = new Set<string>();
  /** Times a blob lost this process's trust: while it stays the same, every blob trusted before still is. */
  private distrusts = 0;
  /** Bytes each blob takes in objects/, as written or checked by this process (kept in the stat cache). */
  private readonly storedSizes = new Map<string, number>();
  private readonly pendingBlobs = new Map<string, Promise<{ bytes: number; rewritten: boolean }>>();
  /** New blobs written to temp files, published by flushNewBlobs. */
  private unpublished: { sha256: string; temp: string; target: string }[] = [];
  /**
   * Blobs flushNewBlobs renamed into objects/ that no checkpoint file names
   * yet: when the checkpoint that was to name them is not written (a full
   * disk at its file), those no other checkpoint names go again
   * (removeUnnamed), else nothing would ever remove them.
   */
  private uncommitted: string[] = [];
  /** A sync of the file system started ahead (startSync) and how many of `unpublished` were written before it began. */
  private syncAhead: { covers: number; done: Promise<boolean> } | null = null;
  private readonly madeDirs = new Set<string>();
  /**
   * Fan-out folders of objects/ this process made: at 50,000 files, looking
   * for each new blob in them (each missing) took a first checkpoint 0.5 s.
   */
  private readonly createdDirs = new Set<string>();

  constructor(
    /** Blob problems are reported relative to it. */
    readonly checkpointsDir: string,
    readonly durable: boolean,
    private readonly compressionLevel: number,
  ) {
    this.objectsDir = path.join(checkpointsDir, 'objects');
    this.badBlobs = new BadBlobs(checkpointsDir, (sha256) => this.blobPath(sha256), (sha256) => this.distrust(sha256));
  }

  /** Path of the blob holding the content whose sha256 is given. */
  blobPath(sha256: string): string {
    return `${this.objectsDir}/${sha256.slice(0, 2)}/${sha256.slice(2)}`;
  }

  /** The blob may be reused without a look: this process wrote it or checked it. */
  isKnown(sha256: string): boolean {
    return this.trustedBlobs.has(sha256);
  }

  /** Records a blob found whole in objects/ (a restore read it back), so no snapshot stores it again. */
  markKnown(sha256: string, storedBytes?: number): void {
    this.trustedBlobs.add(sha256);
    if (storedBytes !== undefined) this.storedSizes.set(sha256, storedBytes);
  }

  /** How many times a blob lost this process's trust so far (see distrust). */
  get distrustCount(): number {
    return this.distrusts;
  }

  private distrust(sha256: string): void {
    this.trustedBlobs.delete(sha256);
    this.storedSizes.delete(sha256);
    this.distrusts += 1;
  }

  /** Bytes the blob takes in objects/, if this process wrote or checked it. */
  storedSize(sha256: string): number | undefined {
    return this.trustedBlobs.has(sha256) ? this.storedSizes.get(sha256) : undefined;
  }

  /**
   * A blob an earlier process stored, whose size it recorded (the stat cache):
   * trusted when the file there has that size, as the check of its frame
   * would (one lstat, taken by the caller for many blobs at once, instead of
   * an open and two reads). False otherwise; the caller then hashes the file
   * again, and storing it checks the blob.
   */
  trustIfSeenSize(sha256: string, storedBytes: number, isFile: boolean, size: number): boolean {
    if (this.trustedBlobs.has(sha256)) return true;
    if (!isFile || size !== storedBytes || storedBytes < 20) return false;
    this.markKnown(sha256, storedBytes);
    return true;
  }

  /**
   * trustIfSeenSize of every blob the stat cache recorded a size for, their
   * lstats shared with the second thread (statHelper.ts). A restart runs it
   * while that thread lstats the walk, and its snapshot then finds these
   * blobs known. One whose size is wrong stays unknown: a file naming it is
   * hashed again, and the blob written again.
   */
  async trustSeenSizes(sizes: ReadonlyMap<string, number>, breathe: () => Promise<void>): Promise<void> {
    const unknown: string[] = [];
    for (const sha256 of sizes.keys()) if (!this.trustedBlobs.has(sha256)) unknown.push(sha256);
    const stats = await lstatAll(this.objectsDir, unknown.map((sha256) => this.relativeBlobPath(sha256)), breathe);
    for (let i = 0; i < unknown.length; i += 1) {
      const at = i * STAT_FIELDS;
      this.trustIfSeenSize(unknown[i]!, sizes.get(unknown[i]!)!, stats[at] === StatKind.FILE, stats[at + 2]!);
    }
  }

  /** blobPath relative to objectsDir. */
  relativeBlobPath(sha256: string): string {
    return `${sha256.slice(0, 2)}/${sha256.slice(2)}`;
  }

  /** Reads, hashes and (if new) stores a file held in memory. */
  async storeSmallFile(absolute: string, inParallel = false): Promise<StoredFile> {
    // A synchronous read: see Breather (tree.ts). Packing runs on two threads (blobPacker.ts), which then share the memory read into.
    return this.storeContent(inParallel ? readFileShared(absolute) : readRegularFile(absolute), inParallel);
  }

  /**
   * Hashes and (if new) stores content held in memory: a small file's, or a
   * folder listing's (manifestTrees.ts), whose sha256 its caller has just
   * taken of this very buffer and passes as `sha256`.
   */
  async storeContent(content: Buffer, inParallel = false, knownSha256?: string): Promise<StoredFile> {
    const sha256 = knownSha256 ?? sha256Hex(content);
    const { bytes: storedBytes, rewritten } = await this.storeBlob(sha256, content.length, async (target) => {
      const temp = `${parentOf(target)}/.blob.${tempSuffix()}`;
      const packedBytes = await packToFile(content, this.compressionLevel, temp, inParallel);
      this.unpublished.push({ sha256, temp, target });
      return packedBytes;
    });
    return { sha256, contentSize: content.length, storedBytes, rewritten };
  }

  /**
   * Publishes the blobs written since the last flush: fsynced together (when
   * durable), renamed into place, their folders fsynced. A snapshot calls it
   * before it returns its manifest, so no checkpoint can name a blob the
   * disk has not got; a kill before it leaves only temp files, swept later.
   */
  async flushNewBlobs(): Promise<void> {
    const batch = this.unpublished;
    const ahead = this.syncAhead;
    this.unpublished = [];
    this.syncAhead = null;
    try {
      // Contents first, on disk before any blob takes its name; then the names.
      if (this.durable) {
        // The blobs written before a sync started ahead are on disk once it succeeded; the others are synced now.
        const rest = ahead !== null && (await ahead.done) ? batch.slice(ahead.covers) : batch;
        if (rest.length > 0 && !(rest.length >= SYNC_FILE_SYSTEM_FROM && (await syncFileSystem(this.objectsDir)))) {
          await forEachLimit(rest, FLUSH_CONCURRENCY, ({ temp }) => syncFile(temp, true));
        }
      }
      // Counted before the renames: one that fails part way has published some of them.
      for (const { sha256 } of batch) this.uncommitted.push(sha256);
      await renameAll(batch);
      if (this.durable && batch.length > 0) {
        const dirs = [...new Set(batch.map(({ target }) => parentOf(target))), this.objectsDir];
        if (!(dirs.length >= SYNC_FILE_SYSTEM_FROM && (await syncFileSystem(this.objectsDir)))) await forEachLimit(dirs, FLUSH_CONCURRENCY, syncDir);
      }
    } catch (error) {
      await this.abandon(batch);
      throw error;
    }
  }

  /**
   * Starts writing the new blobs' contents to disk (one sync of the file
   * system, in a child process) while this thread goes on, so that the
   * flush that publishes them waits less: a checkpoint starts it when its
   * snapshot is done and flushes once, after the body and the folder
   * listings (CheckpointStore.checkpoint). Nothing depends on it but the
   * wait: the flush syncs whatever it did not cover, or all when it failed.
   */
  startSync(): void {
    if (!this.durable || this.syncAhead !== null || this.unpublished.length < SYNC_FILE_SYSTEM_FROM) return;
    this.syncAhead = { covers: this.unpublished.length, done: syncFileSystem(this.objectsDir) };
  }

  /** The blobs published so far are named by a checkpoint file now (or belong to a caller's snapshot): none is removed. */
  forgetUncommitted(): void {
    this.uncommitted = [];
  }

  /**
   * After a checkpoint whose file was not written: removes the blobs it
   * published that `named` (the blobs of every checkpoint on disk) lacks,
   * and no longer trusts them, so a later snapshot stores them again. How
   * many went.
   */
  async removeUnnamed(named: ReadonlySet<string>): Promise<number> {
    const published = this.uncommitted;
    this.uncommitted = [];
    return this.removeBlobs([...new Set(published)].filter((sha256) => !named.has(sha256)));
  }

  /** Removes these blobs from objects/ and no longer trusts them (a later snapshot stores their content again); how many were there. */
  async removeBlobs(blobs: Iterable<string>): Promise<number> {
    let removed = 0;
    for (const sha256 of blobs) {
      this.distrust(sha256);
      await fs.unlink(this.blobPath(sha256)).then(
        () => (removed += 1),
        () => undefined,
      );
    }
    return removed;
  }

  /** Blobs published that no checkpoint file names yet (see removeUnnamed). */
  get uncommittedCount(): number {
    return this.uncommitted.length;
  }

  /** Drops the blobs written since the last flush (a snapshot that failed): their temp files go, and they are no longer trusted. */
  async abandonNewBlobs(): Promise<void> {
    const batch = this.unpublished;
    this.unpublished = [];
    this.syncAhead = null;
    await this.abandon(batch);
  }

  private async abandon(batch: readonly { sha256: string; temp: string }[]): Promise<void> {
    for (const { sha256, temp } of batch) {
      this.distrust(sha256);
      await fs.unlink(temp).catch(() => undefined);
    }
  }

  /** Large files: one streaming pass hashes and compresses into a temp file, kept only if the blob is new. */
  async storeLargeFile(absolute: string): Promise<StoredFile> {
    const temp = path.join(this.objectsDir, `.blob.${tempSuffix()}`);
    let kept = false;
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
      await pipeline(createReadStream('', { fd: openRegularFile(absolute).fd }), tap, zlib.createGzip({ level: this.compressionLevel }), createWriteStream(temp));
      const sha256 = hash.digest('hex');
      const { bytes: storedBytes, rewritten } = await this.storeBlob(sha256, contentSize, async (target) => {
        const { size } = await fs.stat(temp);
        this.unpublished.push({ sha256, temp, target });
        kept = true;
        return size;
      });
      return { sha256, contentSize, storedBytes, rewritten };
    } finally {
      if (!kept) await fs.unlink(temp).catch(() => undefined);
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
      const dir = parentOf(target);
      // Not written by this process: reused only if its size is right (cheap: header and trailer). In a
      // fan-out folder this process made, every blob is one it wrote and knows: one it does not know is not there.
      const check = this.createdDirs.has(dir) ? { problem: 'not stored', corrupt: false } : await this.blobCheck(sha256, contentSize);
      if (check === null) return { bytes: 0, rewritten: false };
      this.ensureDir(dir);
      return { bytes: await place(target), rewritten: check.corrupt };
    })();
    this.pendingBlobs.set(sha256, work);
    return work.then(
      (written) => {
        this.pendingBlobs.delete(sha256);
        this.trustedBlobs.add(sha256);
        if (written.bytes > 0) this.storedSizes.set(sha256, written.bytes);
        return written;
      },
      (error: unknown) => {
        this.pendingBlobs.delete(sha256);
        throw error;
      },
    );
  }

  private ensureDir(dir: string): void {
    if (this.madeDirs.has(dir)) return;
    try {
      mkdirSync(dir);
      this.createdDirs.add(dir);
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') mkdirSync(dir, { recursive: true });
    }
    this.madeDirs.add(dir);
  }

  /** Whether the blob is there and of the right size, without unpacking it (checkBlobFile). */
  async blobProblem(sha256: string, size: number): Promise<string | null> {
    return (await this.blobCheck(sha256, size))?.problem ?? null;
  }

  /** blobProblem, saying also whether the blob itself is bad (truncated, not a blob, the wrong size) rather than absent or unreadable. */
  async blobCheck(sha256: string, size: number): Promise<BlobCheck | null> {
    // What path.relative(checkpointsDir, blob) gives, without its cost on every blob of a first checkpoint.
    const found = checkBlobFile(this.blobPath(sha256), `objects/${this.relativeBlobPath(sha256)}`, size);
    if (found.problem !== null) return found;
    this.storedSizes.set(sha256, found.storedSize);
    return null;
  }
}

/** The folder of a path this store made (no trailing slash, not the root): path.dirname without its checks. */
function parentOf(file: string): string {
  return file.slice(0, file.lastIndexOf('/'));
}
