// `megatest checkpoints verify`, the report's count of usable checkpoints and
// a branch's choice of checkpoint: every checkpoint checked as read() does
// (file, checksum, manifest), then every blob it names read back whole and
// checked against its sha256 (verify.ts).
//
// The read-back finds all that the quick look of read() (BlobStore.blobCheck:
// a stat, an open and a frame header per blob) finds: a missing blob, one
// cut short or not a blob at all. So the quick look is not made first; at
// 50,000 files it was about 0.6 s of a 3.3 s verify. A blob that fails either
// way makes its checkpoint unusable, and is named in `badBlobs`.

import { CheckpointInvalidError, formatCheckpointId, checkpointNumbers, readCheckpoint, type LoadedCheckpoint } from './checkpointFiles.js';
import { ListingCache } from './listingBlobs.js';
import type { BlobStore } from './blobStore.js';
import type { CheckpointBody } from './types.js';
import { describeBadBlobs, verifyEntryBlobs, type BadBlob, type BlobVerifyCache } from './verify.js';

/** What a verify found for one checkpoint: usable, or why not. */
export interface CheckpointVerification {
  id: string;
  usable: boolean;
  reason?: string;
  /** File entries of its manifest (0 when the checkpoint file itself is unusable). */
  files: number;
  /** Distinct blobs those files name. */
  blobs: number;
  /** Blobs that fail their check, missing ones too (empty when the checkpoint failed before its blobs were read). */
  badBlobs: BadBlob[];
  body?: CheckpointBody;
}

/**
 * One checkpoint: its file, checksum and manifest as read() checks them
 * (listings read through `listings`), then every blob read back, each
 * distinct one once across the calls that share `verified`.
 */
export async function verifyCheckpoint(blobs: BlobStore, id: string, verified: BlobVerifyCache, listings: ListingCache): Promise<CheckpointVerification> {
  let loaded: LoadedCheckpoint;
  try {
    // No quick look at its blobs (null): the read-back below finds what it would.
    loaded = await readCheckpoint(id, blobs, null, listings);
  } catch (error) {
    if (!(error instanceof CheckpointInvalidError)) throw error;
    return { id, usable: false, reason: error.reason, files: 0, blobs: 0, badBlobs: error.badListing === undefined ? [] : [error.badListing] };
  }
  const files = loaded.body.file_system_state.entries.filter((entry) => entry.type === 'file');
  const blobCount = new Set(files.map((entry) => entry.sha256)).size;
  const { bad } = await verifyEntryBlobs(blobs, files, { cache: verified });
  if (bad.length > 0) return { id: loaded.id, usable: false, reason: describeBadBlobs(bad), files: files.length, blobs: blobCount, badBlobs: bad, body: loaded.body };
  return { id: loaded.id, usable: true, files: files.length, blobs: blobCount, badBlobs: [], body: loaded.body };
}

/** verifyCheckpoint of every checkpoint file, sorted by number: a blob or listing named by many is read once. */
export async function verifyCheckpoints(blobs: BlobStore): Promise<CheckpointVerification[]> {
  const verified: BlobVerifyCache = new Map();
  // Its own cache of listings: a verify reads every listing from the disk, once.
  const listings = new ListingCache();
  const results: CheckpointVerification[] = [];
  for (const number of await checkpointNumbers(blobs.checkpointsDir)) {
    results.push(await verifyCheckpoint(blobs, formatCheckpointId(number), verified, listings));
  }
  return results;
}
