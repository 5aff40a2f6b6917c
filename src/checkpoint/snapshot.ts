// Taking a snapshot of project/: walk it, recognise unchanged files by the
// index of the previous snapshot or restore (in memory, or the stat cache a
// previous process left), and store the content of the others as blobs. The
// new blobs are flushed together (fsync, rename, folders fsynced) before the
// manifest is returned, so no checkpoint can name a blob the disk has not got;
// or, for a checkpoint that writes its file next, left for that write to
// flush with the folder listings (their sync started at once).

import { assertNever } from '../contract/assertNever.js';
import { PACK_IN_PARALLEL_FROM } from './blobPacker.js';
import { HASH_CONCURRENCY, STREAM_THRESHOLD_BYTES, type BlobStore, type StoredFile } from './blobStore.js';
import { errorCode } from './durableFiles.js';
import { makeRecord, sameStat, type FileIndex, type IndexRecord } from './fileIndex.js';
import { NOT_A_REGULAR_FILE } from './projectFileOpen.js';
import { PROJECT_TEMP_PREFIX } from './restoreStaging.js';
import { lstatAll, STAT_FIELDS, StatKind } from './statHelper.js';
import { Breather, forEachLimit, scanTree, type FoundItem } from './tree.js';
import type { FileEntry } from './types.js';
import type { WalkMemo } from './walkMemo.js';

export interface SnapshotResult {
  entries: FileEntry[];
  /** Files (not dirs or symlinks) in the snapshot. */
  files: number;
  /** Files read and hashed: those the index (in memory or the stat cache) could not vouch for unchanged. */
  hashedFiles: number;
  /** Sum of the files' sizes. */
  bytes: number;
  /** Blobs this snapshot added to objects/. */
  newBlobs: number;
  /** Bytes those blobs take in objects/ (compressed). */
  newBlobBytes: number;
  /** Of the new blobs, those written again because the stored one failed its size check. */
  rewrittenBlobs: number;
  /** Excluded folders met (relative paths), for file_system_state.excluded. */
  excluded: string[];
  /** Items left out because their names are not UTF-8 (relative paths, bytes escaped as `\xe9`). */
  unnamed: string[];
  ms: number;
}

export interface SnapshotOutcome {
  result: SnapshotResult;
  /** The index of what was snapshotted, to recognise unchanged files next time. */
  index: FileIndex;
  /**
   * How the index differs from `previous`: only at the paths hashed (their
   * records new) and at the paths gone; every other record is previous's
   * own. Null when a blob was written again (a record kept may then name a
   * blob of another size).
   */
  changedFrom: { previous: FileIndex; hashed: string[] } | null;
}

/** What a snapshot starts from: the index of the last snapshot or restore of root. */
export interface PreviousIndex {
  files: FileIndex;
  /** Blob sizes the stat cache recorded for `files` (empty when they are this process's own index). */
  storedSizes: ReadonlyMap<string, number>;
  /** Every blob its trusted records name is known to this process's BlobStore (its own index, no blob distrusted since). */
  blobsKnown: boolean;
}

/**
 * Snapshots root and returns the manifest with the index of what it hashed,
 * to recognise unchanged files next time. With a walk memo, folders
 * unchanged since its walk are not read again (walkMemo.ts). `previous` may
 * be a loader (the stat cache after a restart): it then runs while the walk's
 * first lstats are on the second thread.
 */
export async function snapshotTree(
  root: string,
  blobs: BlobStore,
  previous: PreviousIndex | (() => Promise<PreviousIndex>),
  options: { startedMs: number; flush?: 'now' | 'with the checkpoint file'; walkMemo?: WalkMemo },
): Promise<SnapshotOutcome> {
  try {
    return await snapshotTreeNow(root, blobs, previous, options.startedMs, options.flush ?? 'now', options.walkMemo);
  } catch (error) {
    // No checkpoint will name what this snapshot stored: its unpublished blobs go.
    await blobs.abandonNewBlobs();
    throw error;
  }
}

async function snapshotTreeNow(
  root: string,
  blobs: BlobStore,
  previousOrLoad: PreviousIndex | (() => Promise<PreviousIndex>),
  startedMs: number,
  flush: 'now' | 'with the checkpoint file',
  walkMemo: WalkMemo | undefined,
): Promise<SnapshotOutcome> {
  let loaded: PreviousIndex | null = typeof previousOrLoad === 'function' ? null : previousOrLoad;
  const scan = await scanTree(root, walkMemo, typeof previousOrLoad === 'function' ? async () => void (loaded = await previousOrLoad()) : undefined);
  if (loaded === null) throw new Error('snapshot: the index of the previous snapshot was not loaded');
  const { files: previous, storedSizes, blobsKnown }: PreviousIndex = loaded;
  // The items whose record is previous's own (keptRecord[i] = 1) and the records made anew: the new index is made of them at the end.
  const keptRecord = new Uint8Array(scan.items.length);
  let keptCount = 0;
  const fresh: FileIndex = new Map();
  const entries: FileEntry[] = [];
  const toHash: { item: FoundItem; entry: FileEntry }[] = [];
  /** Unchanged by the stat cache of an earlier process, whose blob is still to be found whole. */
  const toTrust: { item: FoundItem; at: number; entry: FileEntry; record: IndexRecord; storedBytes: number }[] = [];
  for (let at = 0; at < scan.items.length; at += 1) {
    const item = scan.items[at]!;
    // What a restore killed mid-way left in project/ (restoreStaging.ts) is no project content: the next restore removes it.
    if (item.path.includes(PROJECT_TEMP_PREFIX) && isRestoreLeftover(item.path)) continue;
    const mode = item.stats.mode & 0o7777;
    switch (item.type) {
      case 'dir':
        entries.push({ path: item.path, type: 'dir', size: 0, mode });
        break;
      case 'symlink': {
        const target = item.target ?? '';
        entries.push({ path: item.path, type: 'symlink', size: Buffer.byteLength(target), mode, target });
        break;
      }
      case 'file': {
        const record = previous.get(item.path);
        const unchanged = record !== undefined && record.trusted && sameStat(record, item.stats);
        // With every blob of previous known, an unchanged record's is: no lookup in a set of every blob (50,000 of them took 25 ms).
        if (unchanged && (blobsKnown || blobs.isKnown(record.sha256))) {
          entries.push({ path: item.path, type: 'file', sha256: record.sha256, size: record.contentSize, mode });
          keptRecord[at] = 1;
          keptCount += 1;
          break;
        }
        const entry: FileEntry = { path: item.path, type: 'file', size: 0, mode };
        entries.push(entry);
        const storedBytes = unchanged ? storedSizes.get(record.sha256) : undefined;
        if (unchanged && storedBytes !== undefined) toTrust.push({ item, at, entry, record, storedBytes });
        else toHash.push({ item, entry });
        break;
      }
      default:
        assertNever(item.type, 'entry type');
    }
  }

  const breather = new Breather();
  // After a restart every blob the stat cache vouches for is looked at (its size), one lstat each, before it is reused: the store has
  // looked at them already while the walk ran (BlobStore.trustSeenSizes); what is left here is a blob it found of the wrong size.
  const blobStats = await lstatAll(blobs.objectsDir, toTrust.map(({ record }) => blobs.relativeBlobPath(record.sha256)), () => breather.breathe());
  for (const [index, { item, at, entry, record, storedBytes }] of toTrust.entries()) {
    const statAt = index * STAT_FIELDS;
    if (blobs.trustIfSeenSize(record.sha256, storedBytes, blobStats[statAt] === StatKind.FILE, blobStats[statAt + 2]!)) {
      entry.sha256 = record.sha256;
      entry.size = record.contentSize;
      keptRecord[at] = 1;
      keptCount += 1;
    } else {
      toHash.push({ item, entry });
    }
    if (index % 256 === 255) await breather.breathe();
  }

  let newBlobs = 0;
  let newBlobBytes = 0;
  let rewrittenBlobs = 0;
  const vanished = new Set<string>();
  const inParallel = toHash.length >= PACK_IN_PARALLEL_FROM;
  await forEachLimit(toHash, HASH_CONCURRENCY, async ({ item, entry }) => {
    // A turn of the event loop now and then: the orchestrator answers a person meanwhile, and the packing helper's answers come in.
    await breather.breathe();
    // root is resolved and item.path a walked relative path: joined as strings (path.join's normalising cost 0.1 s at 50,000 files).
    const absolute = root.endsWith('/') ? `${root}${item.path}` : `${root}/${item.path}`;
    const hashedAt = Date.now();
    let stored: StoredFile | null;
    try {
      stored = item.stats.size > STREAM_THRESHOLD_BYTES ? await blobs.storeLargeFile(absolute) : await blobs.storeSmallFile(absolute, inParallel);
    } catch (error) {
      // gone, or replaced by a folder, a symlink or a FIFO (projectFileOpen.ts), since the scan: an agent is still at work; the next snapshot sees it
      const code = errorCode(error);
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'ELOOP' || code === NOT_A_REGULAR_FILE) stored = null;
      else throw new Error(`snapshot: cannot store ${absolute}: ${(error as Error).message}`, { cause: error });
    }
    if (stored === null) {
      vanished.add(item.path);
      return;
    }
    entry.sha256 = stored.sha256;
    entry.size = stored.contentSize;
    if (stored.rewritten) rewrittenBlobs += 1;
    if (stored.storedBytes > 0) {
      newBlobs += 1;
      newBlobBytes += stored.storedBytes;
    }
    fresh.set(item.path, makeRecord(item.stats, stored.sha256, stored.contentSize, hashedAt));
  });
  if (flush === 'now') await blobs.flushNewBlobs();
  else blobs.startSync();

  const kept = vanished.size === 0 ? entries : entries.filter((entry) => !vanished.has(entry.path));
  let files = 0;
  let bytes = 0;
  for (const entry of kept) {
    if (entry.type === 'file') {
      files += 1;
      bytes += entry.size;
    }
  }
  const result = { entries: kept, files, hashedFiles: toHash.length, bytes, newBlobs, newBlobBytes, rewrittenBlobs, excluded: scan.excluded, unnamed: scan.unnamed, ms: performance.now() - startedMs };
  // A record not hashed came from `previous`, at the same path.
  const hashed = toHash.filter(({ item }) => !vanished.has(item.path)).map(({ item }) => item.path);
  return { result, index: indexAfter(previous, scan.items, keptRecord, keptCount, fresh), changedFrom: rewrittenBlobs === 0 ? { previous, hashed } : null };
}

/**
 * The index of a snapshot: previous's records of the kept items and the
 * fresh ones. When nothing was hashed and every record of previous was kept
 * (a checkpoint with nothing changed), that is previous itself: no map of
 * every file made again (about 20 ms at 50,000 files). An index is never
 * changed once made, so the two snapshots can share it.
 */
function indexAfter(previous: FileIndex, items: readonly FoundItem[], kept: Uint8Array, keptCount: number, fresh: FileIndex): FileIndex {
  // The kept items' paths are distinct keys of previous: as many as it has, they are all of them.
  if (fresh.size === 0 && keptCount === previous.size) return previous;
  const next: FileIndex = new Map();
  for (let at = 0; at < items.length; at += 1) if (kept[at] === 1) next.set(items[at]!.path, previous.get(items[at]!.path)!);
  for (const [relative, record] of fresh) next.set(relative, record);
  return next;
}

/** A path in or of a restore's own temp item in project/ (a landing folder, a copy beside its target, a probe). */
function isRestoreLeftover(relative: string): boolean {
  return relative.split('/').some((part) => part.startsWith(PROJECT_TEMP_PREFIX));
}
