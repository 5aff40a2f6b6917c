// Folder listings as blobs (manifestTrees.ts): a checkpoint's manifest
// written as listings before its file is published, and listings read back,
// checked against their names, and cached by sha256 while a store reads
// many checkpoints that share most of them.

import { readFileSync } from 'node:fs';
import { sha256Hex } from './canonical.js';
import { PACK_IN_PARALLEL_FROM } from './blobPacker.js';
import { BLOB_CHECK_CONCURRENCY, inflateBlob, type BlobStore } from './blobStore.js';
import { errorCode, notWritten } from './durableFiles.js';
import { buildTreesInTurns, parseListing, TreeListingError, UnlistableManifestError, type BuiltTrees, type TreeItem, type TreeMemo } from './manifestTrees.js';
import { Breather, forEachLimit } from './tree.js';
import type { FileEntry } from './types.js';
import { MISSING_BLOB } from './verify.js';

/**
 * Folder listings read and checked, by sha256: checkpoints share most of
 * theirs, so a listing is read once. Bounded by the items held: past
 * `maxItems` it starts again empty (a store lives as long as its session).
 * A failed read is not kept, so a listing written again is read afresh.
 */
export class ListingCache {
  private readonly listings = new Map<string, Promise<TreeItem[]>>();
  private items = 0;

  constructor(private readonly maxItems = Number.POSITIVE_INFINITY) {}

  read(blobs: BlobStore, sha256: string, folder: string): Promise<TreeItem[]> {
    let reading = this.listings.get(sha256);
    if (reading === undefined) {
      if (this.items > this.maxItems) {
        this.listings.clear();
        this.items = 0;
      }
      reading = readListing(blobs, sha256, folder);
      this.listings.set(sha256, reading);
      reading.then(
        (items) => {
          this.items += items.length + 1;
        },
        () => this.listings.delete(sha256),
      );
    }
    return reading;
  }
}

/**
 * The body to publish for `body`: its manifest (file_system_state.entries)
 * stored as folder listings, new ones written as blobs and flushed, and
 * replaced by the root listing's name (the memo passes over folders that
 * did not change since its last build). A manifest that fails
 * manifestProblem (buildTrees checks what it builds) is refused: published,
 * it would be a checkpoint no restore can read (a name the check refused
 * made every later checkpoint unusable while each said it was created). A
 * body whose entries are not objects is left inline, for readCheckpoint to
 * refuse as before.
 */
export async function withManifestTree<T extends object>(body: T, blobs: BlobStore, memo?: TreeMemo): Promise<T> {
  const state = (body as { file_system_state?: unknown }).file_system_state as { entries?: unknown; tree?: unknown } | undefined;
  if (state === null || typeof state !== 'object' || !Array.isArray(state.entries)) return body;
  const { entries, ...rest } = state as { entries: FileEntry[] };
  let built: BuiltTrees;
  try {
    const breather = new Breather();
    built = await buildTreesInTurns(entries, memo, () => breather.breathe());
  } catch (error) {
    if (error instanceof UnlistableManifestError) throw new Error(`checkpoint not written: its manifest could not be read back (${error.message})`, { cause: error });
    // Not a manifest: an entry that is not an object throws a TypeError on its way to the check.
    if (error instanceof TypeError) return body;
    throw error;
  }
  try {
    // Most folders did not change: their listings are known blobs, passed over without a promise each.
    const unknown = [...built.listings].filter(([sha256]) => !blobs.isKnown(sha256));
    const inParallel = unknown.length >= PACK_IN_PARALLEL_FROM;
    await forEachLimit(unknown, BLOB_CHECK_CONCURRENCY, async ([sha256, text]) => {
      // buildTrees named each listing by the sha256 of this text.
      await blobs.storeContent(text, inParallel, sha256);
    });
    await blobs.flushNewBlobs();
  } catch (error) {
    await blobs.abandonNewBlobs();
    throw notWritten('checkpoint not written: its new blobs and folder listings could not be stored', error);
  }
  return { ...body, file_system_state: { ...rest, tree: built.root } };
}

/** Reads a folder listing's blob, checks it hashes to its name and parses it. */
export async function readListing(blobs: BlobStore, sha256: string, folder: string): Promise<TreeItem[]> {
  let packed: Buffer;
  try {
    packed = readFileSync(blobs.blobPath(sha256));
  } catch (error) {
    throw new TreeListingError(sha256, folder, errorCode(error) === 'ENOENT' ? MISSING_BLOB : `cannot be read: ${(error as Error).message}`);
  }
  let text: Buffer;
  try {
    text = await inflateBlob(packed);
  } catch (error) {
    throw new TreeListingError(sha256, folder, `is not a valid blob (${(error as Error).message})`);
  }
  const actual = sha256Hex(text);
  if (actual !== sha256) throw new TreeListingError(sha256, folder, `hashes to ${actual}, not to its name (the blob is corrupt)`);
  let items: TreeItem[];
  try {
    items = parseListing(text.toString('utf8'));
  } catch (error) {
    throw new TreeListingError(sha256, folder, (error as Error).message);
  }
  blobs.markKnown(sha256, packed.length);
  return items;
}
