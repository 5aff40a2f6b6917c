// The checkpoint store of one run folder (DESIGN §4, §7): a facade over its parts.
//
// checkpoints/checkpoint_NNN.json  {"sha256": <hex of canonicalJson(body)>, "body": CheckpointBody}  (checkpointFiles.ts)
// checkpoints/objects/ab/cdef…     gzip of a file's content, named by the sha256 of the content    (blobStore.ts)
//
// Write order makes a kill -9 at any instant harmless: blobs first (each to a
// temp file, flushed, renamed, so a blob is whole or absent), then the
// checkpoint file (temp, fsync, publish by link/rename, fsync the folder).
// A reader therefore finds the previous checkpoint or the new one, complete.
//
// Snapshots are incremental: an in-memory index (path -> stat + sha256) of
// the last snapshot or restore (fileIndex.ts) lets unchanged files be
// recognised by lstat alone, and a blob already stored is never written again.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CHECKPOINT_ID_PATTERN } from '../contract/control.js';
import { BlobStore } from './blobStore.js';
import {
  CheckpointInvalidError,
  checkpointNumber,
  checkpointNumbers,
  formatCheckpointId,
  publishCheckpoint,
  readCheckpoint,
  type BlobCheckCache,
  type LoadedCheckpoint,
} from './checkpointFiles.js';
import { diskUsage } from './diskUsage.js';
import { sweepDeadTemps } from './durableFiles.js';
import type { FileIndex } from './fileIndex.js';
import { restoreTree, type RestoreResult } from './restore.js';
import { snapshotTree, type SnapshotResult } from './snapshot.js';
import type { CheckpointBody, FileEntry } from './types.js';

export type { CheckpointBody, FileEntry } from './types.js';
export { EXCLUDED_DIR_NAMES } from './tree.js';
export { CheckpointInvalidError, formatCheckpointId, type LoadedCheckpoint } from './checkpointFiles.js';
export { diskUsage } from './diskUsage.js';
export type { RestoreResult } from './restore.js';
export type { SnapshotResult } from './snapshot.js';

export interface CheckpointListing {
  id: string;
  valid: boolean;
  reason?: string;
  body?: CheckpointBody;
}

export interface CheckpointStoreOptions {
  /**
   * fsync blobs and folders before a checkpoint file names them, so a power
   * loss cannot leave a checkpoint pointing at blobs the disk never got.
   * kill -9 safety does not depend on it. Default true.
   */
  durable?: boolean;
  /** gzip level of blobs, 1 (fast) .. 9 (small). Default 6. */
  compressionLevel?: number;
}

export class CheckpointStore {
  readonly checkpointsDir: string;
  readonly objectsDir: string;
  private readonly durable: boolean;
  private readonly blobs: BlobStore;
  /** Index of the project folder last snapshotted or restored. */
  private index: { root: string; files: FileIndex } = { root: '', files: new Map() };
  private tempsSwept = false;
  /** snapshot, restore and write run one at a time: they share the index and the numbering. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(checkpointsDir: string, options: CheckpointStoreOptions = {}) {
    if (typeof checkpointsDir !== 'string' || checkpointsDir === '') throw new TypeError('CheckpointStore: checkpointsDir must be a non-empty path');
    const level = options.compressionLevel ?? 6;
    if (!Number.isInteger(level) || level < 1 || level > 9) throw new RangeError(`CheckpointStore: compressionLevel must be an integer 1..9, got ${level}`);
    this.checkpointsDir = path.resolve(checkpointsDir);
    this.durable = options.durable ?? true;
    this.blobs = new BlobStore(this.checkpointsDir, this.durable, level);
    this.objectsDir = this.blobs.objectsDir;
  }

  /** Path of the blob holding the content whose sha256 is given. */
  blobPath(sha256: string): string {
    return this.blobs.blobPath(sha256);
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The index of root's last snapshot or restore by this store, or an empty one. */
  private indexOf(root: string): FileIndex {
    return this.index.root === root ? this.index.files : new Map();
  }

  private async sweepDeadTempsOnce(): Promise<void> {
    if (this.tempsSwept) return;
    this.tempsSwept = true;
    await sweepDeadTemps(this.checkpointsDir, this.objectsDir);
  }

  /** Stores every file of projectDir not yet in objects/ and returns the manifest. */
  snapshot(projectDir: string): Promise<SnapshotResult> {
    return this.exclusive(() => this.snapshotNow(path.resolve(projectDir)));
  }

  private async snapshotNow(root: string): Promise<SnapshotResult> {
    const started = performance.now();
    const rootStats = await fs.stat(root).catch(() => null);
    if (rootStats === null || !rootStats.isDirectory()) throw new Error(`snapshot: project folder ${root} does not exist or is not a directory`);
    await fs.mkdir(this.objectsDir, { recursive: true });
    await this.sweepDeadTempsOnce();
    await this.blobs.loadBlobListing();
    const { result, index } = await snapshotTree(root, this.blobs, this.indexOf(root), started);
    this.index = { root, files: index };
    return result;
  }

  /**
   * Makes projectDir hold exactly the manifest: writes files whose content
   * differs, removes what the manifest lacks, fixes modes, makes dirs.
   * Excluded folders (.git, node_modules) are left as they are.
   */
  restore(projectDir: string, entries: FileEntry[]): Promise<RestoreResult> {
    const root = path.resolve(projectDir);
    return this.exclusive(async () => {
      const { result, index } = await restoreTree(root, entries, this.blobs, this.indexOf(root));
      this.index = { root, files: index };
      return result;
    });
  }

  /**
   * Writes the next checkpoint_NNN.json (after the highest number present,
   * valid or not). The body gets the new id; the file holds the sha256 of
   * the body's canonical JSON.
   */
  write<T extends object>(body: T): Promise<{ id: string; path: string; sha256: string }> {
    return this.exclusive(async () => {
      await fs.mkdir(this.checkpointsDir, { recursive: true });
      await this.sweepDeadTempsOnce();
      return publishCheckpoint(this.checkpointsDir, body, this.durable);
    });
  }

  /** Loads and checks a checkpoint: id, JSON, checksum, manifest, and every blob it names. */
  read(id: string): Promise<LoadedCheckpoint> {
    return readCheckpoint(id, this.blobs, new Map());
  }

  /** Every checkpoint file, sorted by number, each checked as read() does. */
  async list(): Promise<CheckpointListing[]> {
    const blobChecks: BlobCheckCache = new Map();
    const listings: CheckpointListing[] = [];
    for (const number of await checkpointNumbers(this.checkpointsDir)) {
      const id = formatCheckpointId(number);
      try {
        const loaded = await readCheckpoint(id, this.blobs, blobChecks);
        listings.push({ id: loaded.id, valid: true, body: loaded.body });
      } catch (error) {
        if (!(error instanceof CheckpointInvalidError)) throw error;
        listings.push({ id, valid: false, reason: error.reason });
      }
    }
    return listings;
  }

  /** The newest checkpoint that passes read(), optionally older than beforeId; null if none. */
  async newestValid(beforeId?: string): Promise<LoadedCheckpoint | null> {
    let limit = Number.POSITIVE_INFINITY;
    if (beforeId !== undefined) {
      if (!CHECKPOINT_ID_PATTERN.test(beforeId)) {
        throw new CheckpointInvalidError(String(beforeId), `${JSON.stringify(beforeId)} is not a checkpoint id (allowed: "checkpoint_" followed by 1 to 9 digits)`);
      }
      limit = checkpointNumber(beforeId);
    }
    const blobChecks: BlobCheckCache = new Map();
    const numbers = (await checkpointNumbers(this.checkpointsDir)).filter((number) => number < limit).reverse();
    for (const number of numbers) {
      try {
        return await readCheckpoint(formatCheckpointId(number), this.blobs, blobChecks);
      } catch (error) {
        if (!(error instanceof CheckpointInvalidError)) throw error;
      }
    }
    return null;
  }

  /** Bytes of all files under checkpoints/ (their sizes, not the blocks they occupy). */
  async storageBytes(): Promise<number> {
    return (await diskUsage(this.checkpointsDir)).bytes;
  }
}
