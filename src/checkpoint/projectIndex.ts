// The index (path -> stat + sha256) of the project folder a store last
// snapshotted or restored, which lets the next snapshot recognise unchanged
// files by lstat alone: kept in memory, and for the next process as
// checkpoints/stat-cache.json (statCache.ts), where each save appends what
// changed. A new process trusts the blobs the cache vouches for only after
// a size check of each.

import type { BlobStore } from './blobStore.js';
import type { FileIndex } from './fileIndex.js';
import type { PreviousIndex, SnapshotOutcome } from './snapshot.js';
import { loadStatCache, saveStatCache, type StatCacheOnDisk } from './statCache.js';
import { Breather } from './tree.js';

export class ProjectIndex {
  /**
   * Index of the project folder last snapshotted or restored, and the
   * BlobStore's distrustCount when that began: every blob a trusted record
   * names was trusted once it ended (stored, checked or read back), and
   * still is while no blob has been distrusted since.
   */
  last: { root: string; files: FileIndex; distrustsAt: number } = { root: '', files: new Map(), distrustsAt: -1 };
  /** What the stat cache on disk holds, as last saved or loaded: the next save appends what changed since. Null when unknown (a save failed). */
  private cacheOnDisk: StatCacheOnDisk | null = null;

  constructor(
    private readonly checkpointsDir: string,
    private readonly blobs: BlobStore,
  ) {}

  /**
   * The index of root's last snapshot or restore by this store; else the
   * stat cache an earlier process left for root, with the blob sizes it
   * recorded; else an empty one.
   */
  async indexOf(root: string): Promise<PreviousIndex & { known: boolean }> {
    if (this.last.root === root) return { files: this.last.files, storedSizes: new Map(), blobsKnown: this.last.distrustsAt === this.blobs.distrustCount, known: true };
    const cached = await loadStatCache(this.checkpointsDir, root);
    if (cached === null) return { files: new Map(), storedSizes: new Map(), blobsKnown: false, known: false };
    this.cacheOnDisk = cached.onDisk;
    return { files: cached.files, storedSizes: cached.storedSizes, blobsKnown: false, known: true };
  }

  /** indexOf, then the size check of every blob the stat cache vouches for (issue 11.3), before any is reused. */
  async loadIndexAndTrustBlobs(root: string): Promise<PreviousIndex & { known: boolean }> {
    const previous = await this.indexOf(root);
    const breather = new Breather();
    await this.blobs.trustSeenSizes(previous.storedSizes, () => breather.breathe());
    return previous;
  }

  /**
   * Keeps the new index, and saves it as the stat cache when it changed and
   * `cache` allows: a snapshot always (what it snapshots is the run's
   * project), a restore only into a folder the store or the cache already
   * knew (an export into another folder leaves the run's cache as it is).
   */
  async keepIndex(root: string, files: FileIndex, cache: boolean, distrustsAt: number, changedFrom: SnapshotOutcome['changedFrom'] = null): Promise<void> {
    this.last = { root, files, distrustsAt };
    if (!cache) return;
    const onDisk = this.cacheOnDisk?.root === root ? this.cacheOnDisk : null;
    // A snapshot of the index the cache on disk holds says where the two can differ: only there are they compared (nothing hashed nor gone: the same).
    const changedAt = onDisk !== null && changedFrom !== null && onDisk.files === changedFrom.previous ? changedFrom.hashed : undefined;
    if (onDisk !== null && changedAt?.length === 0 && files.size === onDisk.files.size) {
      this.cacheOnDisk = { ...onDisk, files };
      return;
    }
    // Unknown until the save succeeds: one that failed midway is followed by a whole one. A cache that failed to save costs the next process some hashing, nothing more.
    this.cacheOnDisk = null;
    this.cacheOnDisk = await saveStatCache(this.checkpointsDir, root, files, (sha256) => this.blobs.storedSize(sha256), onDisk, changedAt).catch(() => null);
  }
}
