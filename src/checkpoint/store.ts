// The checkpoint store of one run folder (DESIGN §4, §7): a facade over its parts.
//
// checkpoints/checkpoint_NNN.json  {"sha256": <hex of canonicalJson(body)>, "body": CheckpointBody}  (checkpointFiles.ts)
// checkpoints/objects/ab/cdef…     a file's content packed, named by the sha256 of the content     (blobStore.ts, blobCodec.ts)
//                                  or of a folder's listing, the manifest split per folder     (manifestTrees.ts)
//
// Write order makes a kill -9 at any instant harmless: blobs first (each to a
// temp file, flushed, renamed, so a blob is whole or absent), then the
// checkpoint file (temp, fsync, publish by link/rename, fsync the folder).
// A reader therefore finds the previous checkpoint or the new one, complete.
//
// Snapshots are incremental: an index (path -> stat + sha256) of the last
// snapshot or restore (fileIndex.ts) lets unchanged files be recognised by
// lstat alone, and a blob already stored is never written again. The index
// is kept in memory and, for the next process, in checkpoints/stat-cache.json
// (projectIndex.ts, statCache.ts), where what changed is appended. Folders whose stamp did
// not change since the last walk are not read again (walkMemo.ts).

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CHECKPOINT_ID_PATTERN } from '../contract/control.js';
import { READ_IN_PARALLEL_FROM, warmReadHelper } from './blobReadBack.js';
import { BAD_BLOBS_DIR } from './badBlobs.js';
import { BlobStore } from './blobStore.js';
import {
  blobsNamedBy,
  CheckpointInvalidError,
  checkpointNumber,
  checkpointNumbers,
  formatCheckpointId,
  publishCheckpoint,
  readCheckpoint,
  type BlobCheckCache,
  type LoadedCheckpoint,
  type WrittenCheckpoint,
} from './checkpointFiles.js';
import { diskUsage } from './diskUsage.js';
import { ListingCache, withManifestTree } from './listingBlobs.js';
import { TreeMemo } from './manifestTrees.js';
import { sweepDeadTemps } from './durableFiles.js';
import { statCacheMayHold } from './statCache.js';
import { PARALLEL_FROM, warmStatHelper } from './statHelper.js';
import { restoreTree, type RestoreResult } from './restore.js';
import { snapshotTree, type SnapshotOutcome, type SnapshotResult } from './snapshot.js';
import type { CheckpointBody, FileEntry } from './types.js';
import { BadBlobsError } from './verify.js';
import { verifyCheckpoint, verifyCheckpoints, type CheckpointVerification } from './verifyCheckpoints.js';
import { WalkMemo } from './walkMemo.js';
import { ProjectIndex } from './projectIndex.js';
import { removeUnnamedBlobs } from './unnamedBlobs.js';

export type { CheckpointBody, FileEntry } from './types.js';
export { EXCLUDED_DIR_NAMES } from './tree.js';
export { CheckpointInvalidError, formatCheckpointId, type LoadedCheckpoint } from './checkpointFiles.js';
export { diskUsage } from './diskUsage.js';
export type { RestoreResult } from './restore.js';
export type { SnapshotResult } from './snapshot.js';
export type { WrittenCheckpoint } from './checkpointFiles.js';
export { BadBlobsError, type BadBlob } from './verify.js';
export type { CheckpointVerification } from './verifyCheckpoints.js';

export interface CheckpointListing {
  id: string;
  valid: boolean;
  reason?: string;
  body?: CheckpointBody;
  /** sha256 of the folder listings its manifest took (manifestTrees.ts). */
  listings?: string[];
}

export interface CheckpointStoreOptions {
  /**
   * fsync blobs and folders before a checkpoint file names them, so a power
   * loss cannot leave a checkpoint pointing at blobs the disk never got.
   * kill -9 safety does not depend on it. Default true.
   */
  durable?: boolean;
  /**
   * How hard blobs are packed, 1 (fast) .. 9 (small): the brotli quality of
   * a blob's frame is this plus 1, the gzip level of a file above
   * STREAM_THRESHOLD_BYTES this (blobCodec.ts). Default 1: brotli quality 2
   * packs source and data files about 1% smaller than gzip level 1 in half
   * its time. Blobs of any level and either form read the same way.
   */
  compressionLevel?: number;
}

/** Items of folder listings a store keeps read between calls (a few MB; a 50,000-file manifest is 50,000 items). */
const LISTING_ITEMS_CACHED = 200_000;

export class CheckpointStore {
  readonly checkpointsDir: string;
  readonly objectsDir: string;
  private readonly durable: boolean;
  private readonly blobs: BlobStore;
  /** The index of the project folder last snapshotted or restored, and the stat cache on disk (projectIndex.ts). */
  private readonly projectIndex: ProjectIndex;
  private tempsSwept: 'none' | 'staging' | 'all' = 'none';
  /** Folder listings read and checked (manifestTrees.ts), shared by the checkpoints read through this store. */
  private readonly listings = new ListingCache(LISTING_ITEMS_CACHED);
  /** The folder listings of the last checkpoint written, so the next passes over folders that did not change. */
  private readonly trees = new TreeMemo();
  /** What the last walk of the project folder read of each folder, so the next reads only those whose stamp changed. */
  private readonly walkMemo = new WalkMemo();
  /** snapshot, restore and write run one at a time: they share the index and the numbering. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(checkpointsDir: string, options: CheckpointStoreOptions = {}) {
    if (typeof checkpointsDir !== 'string' || checkpointsDir === '') throw new TypeError('CheckpointStore: checkpointsDir must be a non-empty path');
    const level = options.compressionLevel ?? 1;
    if (!Number.isInteger(level) || level < 1 || level > 9) throw new RangeError(`CheckpointStore: compressionLevel must be an integer 1..9, got ${level}`);
    this.checkpointsDir = path.resolve(checkpointsDir);
    this.durable = options.durable ?? true;
    this.blobs = new BlobStore(this.checkpointsDir, this.durable, level);
    this.objectsDir = this.blobs.objectsDir;
    this.projectIndex = new ProjectIndex(this.checkpointsDir, this.blobs);
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

  /** sweepDeadTemps once per store: of checkpoints/ alone for a restore ('staging'), of objects/ too before writing blobs ('all'). */
  private async sweepDeadTempsOnce(scope: 'staging' | 'all'): Promise<void> {
    if (this.tempsSwept === 'all' || this.tempsSwept === scope) return;
    this.tempsSwept = scope;
    await sweepDeadTemps(this.checkpointsDir, scope === 'all' ? this.objectsDir : null);
  }

  /** Stores every file of projectDir not yet in objects/ and returns the manifest. */
  snapshot(projectDir: string): Promise<SnapshotResult> {
    return this.exclusive(() => this.snapshotNow(path.resolve(projectDir)));
  }

  /**
   * snapshot() then write() of the body made from the snapshot, with nothing
   * else run on the store in between, and one flush instead of two: the
   * snapshot's new blobs start syncing to disk at once (while the body is
   * made and the folder listings are packed) and are published with the
   * listings, before the checkpoint file names any of them. If making the
   * body or writing fails, the snapshot's new blobs go with the listings.
   */
  checkpoint<T extends object>(projectDir: string, makeBody: (snapshot: SnapshotResult) => T | Promise<T>): Promise<{ snapshot: SnapshotResult; body: T; written: WrittenCheckpoint }> {
    const root = path.resolve(projectDir);
    return this.exclusive(async () => {
      // Blobs an earlier snapshot() published belong to its caller's manifest: this checkpoint's failure leaves them.
      this.blobs.forgetUncommitted();
      const { result, index, changedFrom, distrustsAt } = await this.snapshotTreeOf(root, 'with the checkpoint file');
      let body: T;
      let written: WrittenCheckpoint;
      try {
        body = await makeBody(result);
        written = await this.writeNow(body);
      } catch (error) {
        await this.blobs.abandonNewBlobs();
        await this.removeUnnamedBlobs();
        throw error;
      }
      await this.projectIndex.keepIndex(root, index, true, distrustsAt, changedFrom);
      return { snapshot: result, body, written };
    });
  }

  /**
   * The blobs a checkpoint published before its file failed (a full disk at
   * the commit point) that no checkpoint on disk names go: each failed try
   * left them in objects/ for good, on a disk already full. One named by a
   * checkpoint stays; when a checkpoint cannot be read whole (file and
   * listings), all stay: what it names is not known.
   */
  private async removeUnnamedBlobs(): Promise<void> {
    if (this.blobs.uncommittedCount === 0) return;
    try {
      await this.blobs.removeUnnamed(await blobsNamedBy(await this.ids(), this.blobs, this.listings, true));
    } catch {
      this.blobs.forgetUncommitted();
    }
  }

  private async snapshotNow(root: string): Promise<SnapshotResult> {
    const { result, index, changedFrom, distrustsAt } = await this.snapshotTreeOf(root, 'now');
    await this.projectIndex.keepIndex(root, index, true, distrustsAt, changedFrom);
    return result;
  }

  private async snapshotTreeOf(root: string, flush: 'now' | 'with the checkpoint file'): Promise<SnapshotOutcome & { distrustsAt: number }> {
    const started = performance.now();
    const rootStats = await fs.stat(root).catch(() => null);
    if (rootStats === null || !rootStats.isDirectory()) throw new Error(`snapshot: project folder ${root} does not exist or is not a directory`);
    // A big tree's walk lstats on two threads: the second starts now, its start-up overlapping the sweep and the folders' listing.
    if (this.projectIndex.last.root === root ? this.projectIndex.last.files.size >= PARALLEL_FROM : await statCacheMayHold(this.checkpointsDir, PARALLEL_FROM)) warmStatHelper();
    await fs.mkdir(this.objectsDir, { recursive: true });
    await this.sweepDeadTempsOnce('all');
    // A blob a verify elsewhere set aside is written again if this snapshot needs it.
    await this.blobs.badBlobs.noticeSetAside();
    const distrustsAt = this.blobs.distrustCount;
    // After a restart the stat cache is loaded, and the blobs it vouches for looked at, while the second thread starts on the walk's lstats.
    const previous = this.projectIndex.last.root === root ? await this.projectIndex.indexOf(root) : () => this.projectIndex.loadIndexAndTrustBlobs(root);
    return { ...(await snapshotTree(root, this.blobs, previous, { startedMs: started, flush, walkMemo: this.walkMemo })), distrustsAt };
  }

  /**
   * Makes projectDir hold exactly the manifest: writes files whose content
   * differs, removes what the manifest lacks, fixes modes, makes dirs.
   * Excluded folders (.git, node_modules) are left as they are. The contents
   * to be written are staged in checkpoints/ (or stageIn, a folder on the
   * same file system as projectDir) while every blob is checked.
   */
  restore(projectDir: string, entries: FileEntry[], options: { checkpointId?: string; stageIn?: string } = {}): Promise<RestoreResult> {
    const root = path.resolve(projectDir);
    return this.exclusive(async () => {
      try {
        // A staging folder a killed restore left behind goes first (restoreStaging.ts).
        if (entries.length >= READ_IN_PARALLEL_FROM) warmReadHelper();
        if (options.stageIn === undefined) await this.sweepDeadTempsOnce('staging');
        const previous = await this.projectIndex.indexOf(root);
        const distrustsAt = this.blobs.distrustCount;
        const { result, index } = await restoreTree(root, entries, this.blobs, previous.files, options.stageIn ?? this.checkpointsDir, this.walkMemo);
        // Every blob of the manifest was read back whole: later snapshots may reuse them without a look.
        for (const entry of entries) if (entry.type === 'file') this.blobs.markKnown(entry.sha256 as string);
        await this.projectIndex.keepIndex(root, index, previous.known, distrustsAt);
        return result;
      } catch (error) {
        // Every blob is read back and checked before the folder is touched: name the checkpoint and the blob.
        if (error instanceof BadBlobsError) {
          // The rotten ones go aside, so the next checkpoint writes their content again.
          const setAside = await this.setAsideCorrupt(error.bad);
          const aside = setAside > 0 ? `; ${setAside} corrupt ${setAside === 1 ? 'blob' : 'blobs'} set aside into checkpoints/${BAD_BLOBS_DIR}/, the next checkpoint writes them again` : '';
          const reason = `${error.message}; ${path.basename(root)}/ was not changed${aside}`;
          throw options.checkpointId === undefined ? new Error(`restore refused: ${reason}`, { cause: error }) : new CheckpointInvalidError(options.checkpointId, reason);
        }
        throw error;
      }
    });
  }

  /** Checks one checkpoint as read() does, then reads back every blob it names against its sha256 (verifyCheckpoints.ts). */
  async verify(id: string): Promise<CheckpointVerification> {
    return verifyCheckpoint(this.blobs, id, new Map(), new ListingCache());
  }

  /**
   * verify() of every checkpoint file, sorted by number; a blob named by many
   * is read once. With setAsideBad, the corrupt blobs found (not the missing
   * ones) are moved into checkpoints/bad-blobs/ afterwards (see
   * BadBlobs.setAside) and counted in `setAside`: the next checkpoint writes
   * their content again.
   */
  async verifyAll(options: { setAsideBad?: boolean } = {}): Promise<CheckpointVerification[] & { setAside?: number }> {
    const results: CheckpointVerification[] & { setAside?: number } = await verifyCheckpoints(this.blobs);
    if (options.setAsideBad) results.setAside = await this.setAsideCorrupt(results.flatMap((result) => result.badBlobs));
    return results;
  }

  /**
   * Moves the blobs among `bad` that are really corrupt aside; how many were
   * moved. Those missing are marked missing (BadBlobs.noteIfMissing), so
   * that the next checkpoint writes them again, here or in the orchestrator.
   */
  private async setAsideCorrupt(bad: readonly { sha256: string }[]): Promise<number> {
    let moved = 0;
    for (const sha256 of new Set(bad.map((b) => b.sha256))) {
      if (await this.blobs.badBlobs.setAsideIfCorrupt(sha256).catch(() => false)) moved += 1;
      else await this.blobs.badBlobs.noteIfMissing(sha256).catch(() => false);
    }
    return moved;
  }

  /**
   * Writes the next checkpoint_NNN.json (after the highest number present,
   * valid or not). The body gets the new id; the file holds the sha256 of
   * the body's canonical JSON.
   */
  write<T extends object>(body: T): Promise<WrittenCheckpoint> {
    return this.exclusive(() => this.writeNow(body));
  }

  private async writeNow<T extends object>(body: T): Promise<WrittenCheckpoint> {
    await fs.mkdir(this.checkpointsDir, { recursive: true });
    await this.sweepDeadTempsOnce('all');
    await fs.mkdir(this.objectsDir, { recursive: true });
    // A listing a verify elsewhere set aside is written again if this checkpoint names it.
    await this.blobs.badBlobs.noticeSetAside();
    // The new listings (and the blobs a checkpoint() snapshot left) are flushed before the checkpoint file, the commit point, names them;
    // those blobs also when the body has no manifest to store as listings (withManifestTree leaves it as it is).
    const stored = await withManifestTree(body, this.blobs, this.trees);
    await this.blobs.flushNewBlobs();
    const written = await publishCheckpoint(this.checkpointsDir, stored, this.durable);
    this.blobs.forgetUncommitted();
    return written;
  }

  /**
   * Loads and checks a checkpoint: id, JSON, checksum, manifest, and every
   * blob it names by a quick look (BlobStore.blobProblem). With `blobs: 'read
   * back next'` the blobs are not looked at, for a caller whose next step is
   * restore(), which reads every one back before it changes anything (the
   * quick look took 0.6 s at 50,000 files).
   */
  read(id: string, options: { blobs?: 'looked at' | 'read back next' } = {}): Promise<LoadedCheckpoint> {
    return this.setAsideBadListing(readCheckpoint(id, this.blobs, options.blobs === 'read back next' ? null : new Map(), this.listings));
  }

  /** A folder listing found corrupt goes aside as a bad file blob does, so the next checkpoint writes it again. */
  private async setAsideBadListing(reading: Promise<LoadedCheckpoint>): Promise<LoadedCheckpoint> {
    try {
      return await reading;
    } catch (error) {
      if (error instanceof CheckpointInvalidError && error.badListing !== undefined) await this.setAsideCorrupt([error.badListing]);
      throw error;
    }
  }

  /** Ids of the checkpoint files present, ascending, valid or not (one readdir). */
  async ids(): Promise<string[]> {
    return (await checkpointNumbers(this.checkpointsDir)).map(formatCheckpointId);
  }

  /**
   * Every checkpoint file, sorted by number, each checked as far as its own
   * file goes: JSON, checksum, id and manifest. No blob is opened: read(),
   * newestValid() and restore() check the blobs of the checkpoint they use,
   * verify() reads them back.
   */
  async list(): Promise<CheckpointListing[]> {
    const listings: CheckpointListing[] = [];
    for (const number of await checkpointNumbers(this.checkpointsDir)) {
      const id = formatCheckpointId(number);
      try {
        const loaded = await readCheckpoint(id, this.blobs, null, this.listings);
        listings.push({ id: loaded.id, valid: true, body: loaded.body, listings: loaded.listings });
      } catch (error) {
        if (!(error instanceof CheckpointInvalidError)) throw error;
        listings.push({ id, valid: false, reason: error.reason });
      }
    }
    return listings;
  }

  /** The blobs (files' and folder listings') of the checkpoints `ids` that read as list() reads them, each listing gone through once: what a branch links. */
  blobsNamedBy(ids: readonly string[]): Promise<Set<string>> {
    return blobsNamedBy(ids, this.blobs, this.listings);
  }

  /**
   * Removes the blobs in objects/ that no checkpoint names (unnamedBlobs.ts:
   * a writer killed before its checkpoint file left them), for a caller that
   * holds the run folder and writes no checkpoint meanwhile. Null, and
   * nothing removed, when a checkpoint cannot be read whole: what it names
   * is not known.
   */
  removeUnnamedBlobsLeft(): Promise<{ removed: number; bytes: number } | null> {
    return this.exclusive(async () => removeUnnamedBlobs(await this.ids(), this.blobs, this.listings));
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
        return await this.setAsideBadListing(readCheckpoint(formatCheckpointId(number), this.blobs, blobChecks, this.listings));
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
