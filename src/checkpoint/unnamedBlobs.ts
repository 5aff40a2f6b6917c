// Blobs in objects/ that no checkpoint names: what a writer killed (kill -9,
// a power loss) between renaming a checkpoint's blobs into place and
// publishing its file left behind. Nothing else ever removes them, so each
// such crash left its checkpoint's new contents on the disk for good.
// `megatest resume`, which holds the run folder's lock and starts before any
// agent or checkpoint of its own, removes them (CheckpointKeeper.resumeFrom).

import { promises as fs } from 'node:fs';
import type { BlobStore } from './blobStore.js';
import { blobsNamedBy, CheckpointInvalidError } from './checkpointFiles.js';
import { errorCode } from './durableFiles.js';
import type { ListingCache } from './listingBlobs.js';
import { TreeListingError } from './manifestTrees.js';

/** A blob's file name in its fan-out folder: the sha256 less its first two hex digits. */
const BLOB_NAME = /^[0-9a-f]{62}$/;
const FAN_OUT = /^[0-9a-f]{2}$/;

/** The sha256 of every blob file under objectsDir (temp files and anything else left out); none without the folder. */
export async function storedBlobs(objectsDir: string): Promise<string[]> {
  let folders: string[];
  try {
    folders = await fs.readdir(objectsDir);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  }
  const found: string[] = [];
  for (const folder of folders.filter((name) => FAN_OUT.test(name)).sort()) {
    const entries = await fs.readdir(`${objectsDir}/${folder}`, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) if (entry.isFile() && BLOB_NAME.test(entry.name)) found.push(folder + entry.name);
  }
  return found;
}

/** Bytes the blob files take (their sizes), of those still there. */
export async function blobBytes(blobPaths: readonly string[]): Promise<number> {
  let bytes = 0;
  for (const file of blobPaths) bytes += (await fs.lstat(file).catch(() => null))?.size ?? 0;
  return bytes;
}

/**
 * Removes the blobs of objects/ that none of the checkpoints `ids` names
 * (CheckpointStore.removeUnnamedBlobsLeft says when). Null, and nothing
 * removed, when one of them cannot be read whole: what it names is not known.
 */
export async function removeUnnamedBlobs(ids: readonly string[], blobs: BlobStore, listings: ListingCache): Promise<{ removed: number; bytes: number } | null> {
  let named: Set<string>;
  try {
    named = await blobsNamedBy(ids, blobs, listings, true);
  } catch (error) {
    if (error instanceof CheckpointInvalidError || error instanceof TreeListingError) return null;
    throw error;
  }
  // Only the unnamed ones are looked at: a resume of a run of 50,000 blobs lstats none of them.
  const unnamed = (await storedBlobs(blobs.objectsDir)).filter((sha256) => !named.has(sha256));
  const bytes = await blobBytes(unnamed.map((sha256) => blobs.blobPath(sha256)));
  return { removed: await blobs.removeBlobs(unnamed), bytes };
}
