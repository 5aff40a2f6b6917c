// Reading blobs back and checking each against its name, the sha256 of the
// uncompressed content. The gzip framing alone does not catch a bit flip
// inside the data (it may still inflate, to other bytes), so a restore reads
// and hashes every blob its manifest names before it touches the target
// folder, and `megatest checkpoints verify` does the same for every checkpoint.

import { createReadStream, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import zlib from 'node:zlib';
import { sha256Hex } from './canonical.js';
import { inflateBlob, STREAM_THRESHOLD_BYTES, type BlobStore } from './blobStore.js';
import { errorCode } from './durableFiles.js';
import { compareStrings, forEachLimit } from './tree.js';
import type { FileEntry } from './types.js';


/**
 * Verified contents a restore keeps in memory between its check and its
 * writes, so each blob is inflated once; blobs beyond it are inflated again
 * when written (and hashed again then).
 */
export const HELD_CONTENT_BUDGET_BYTES = 128 * 1024 * 1024;

/** Blobs read back at once: reads and inflating run in the thread pool while the main thread hashes. */
const VERIFY_CONCURRENCY = 16;

/** A blob that fails its check, and the manifest paths that name it. */
export interface BadBlob {
  /** objects/ab/cdef…, relative to the checkpoints folder. */
  blob: string;
  sha256: string;
  paths: string[];
  problem: string;
}

/** Blobs of a manifest that fail their sha256 check; thrown before anything is written. */
export class BadBlobsError extends Error {
  constructor(readonly bad: BadBlob[]) {
    super(describeBadBlobs(bad));
    this.name = 'BadBlobsError';
  }
}

/** `2 blob(s) fail their sha256 check: objects/ab/… (for "src/a.js"): its content hashes to …; …`, at most three shown. */
export function describeBadBlobs(bad: readonly BadBlob[]): string {
  const shown = bad.slice(0, 3).map((b) => {
    const more = b.paths.length > 1 ? ` and ${b.paths.length - 1} more file(s)` : '';
    return `${b.blob} (for ${JSON.stringify(b.paths[0])}${more}): ${b.problem}`;
  });
  const rest = bad.length > 3 ? `; and ${bad.length - 3} more` : '';
  return `${bad.length} blob(s) fail their sha256 check: ${shown.join('; ')}${rest}`;
}

export interface BlobReadBack {
  /** Why the blob cannot give back the content it is named after, or null. */
  problem: string | null;
  /** The verified content, when asked for and small enough to hold. */
  content: Buffer | null;
}

/** The problem of a blob that is not there. */
export const MISSING_BLOB = 'is missing';

/** Reads the blob of sha256, inflates it and checks its size and hash; keeps the content when asked. */
export async function readBlobBack(blobs: BlobStore, sha256: string, size: number, keep: boolean): Promise<BlobReadBack> {
  const file = blobs.blobPath(sha256);
  if (size > STREAM_THRESHOLD_BYTES) return { problem: await streamedProblem(file, sha256, size), content: null };
  let packed: Buffer;
  try {
    // One synchronous call (see Breather, tree.ts); inflating runs in the thread pool.
    packed = readFileSync(file);
  } catch (error) {
    return { problem: errorCode(error) === 'ENOENT' ? MISSING_BLOB : `cannot be read: ${(error as Error).message}`, content: null };
  }
  let content: Buffer;
  try {
    content = await inflateBlob(packed);
  } catch (error) {
    return { problem: `is not valid gzip data (${(error as Error).message})`, content: null };
  }
  const problem = contentProblem(sha256Hex(content), content.length, sha256, size);
  // Read back whole: no snapshot of this process needs to look at it again.
  if (problem === null) blobs.markKnown(sha256, packed.length);
  return { problem, content: problem === null && keep ? content : null };
}

/** A large blob is inflated and hashed as a stream, nothing kept. */
async function streamedProblem(file: string, sha256: string, size: number): Promise<string | null> {
  const hash = createHash('sha256');
  let contentSize = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      contentSize += chunk.length;
      done();
    },
  });
  try {
    await pipeline(createReadStream(file), zlib.createGunzip(), sink);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return MISSING_BLOB;
    return `cannot be read back (${(error as Error).message})`;
  }
  return contentProblem(hash.digest('hex'), contentSize, sha256, size);
}

function contentProblem(actual: string, actualSize: number, sha256: string, size: number): string | null {
  if (actual !== sha256) return `its content hashes to ${actual}, not to its name (the blob is corrupt)`;
  if (actualSize !== size) return `holds ${actualSize} bytes, the manifest says ${size}`;
  return null;
}

/** Check results by `sha256:size`, shared by the checkpoints of one verify so a blob is read once. */
export type BlobVerifyCache = Map<string, Promise<string | null>>;

/**
 * Reads back every blob the file entries name (each distinct one once) and
 * checks it. Contents of the blobs in `keep` are returned for the writes
 * that follow, up to HELD_CONTENT_BUDGET_BYTES in all.
 */
export async function verifyEntryBlobs(
  blobs: BlobStore,
  entries: readonly FileEntry[],
  keep: ReadonlySet<string> = new Set(),
  cache?: BlobVerifyCache,
): Promise<{ bad: BadBlob[]; kept: Map<string, Buffer> }> {
  const byBlob = new Map<string, { sha256: string; size: number; paths: string[] }>();
  for (const entry of entries) {
    if (entry.type !== 'file') continue;
    const sha256 = entry.sha256 as string;
    const key = `${sha256}:${entry.size}`;
    const known = byBlob.get(key);
    if (known) known.paths.push(entry.path);
    else byBlob.set(key, { sha256, size: entry.size, paths: [entry.path] });
  }
  const kept = new Map<string, Buffer>();
  const bad: BadBlob[] = [];
  let heldBytes = 0;
  await forEachLimit([...byBlob.entries()], VERIFY_CONCURRENCY, async ([key, { sha256, size, paths }]) => {
    let problem: string | null;
    const cached = cache?.get(key);
    if (cached !== undefined && !keep.has(sha256)) {
      problem = await cached;
    } else {
      // Reserve before reading, so parallel reads cannot overshoot the budget.
      const hold = keep.has(sha256) && !kept.has(sha256) && heldBytes + size <= HELD_CONTENT_BUDGET_BYTES;
      if (hold) heldBytes += size;
      const reading = readBlobBack(blobs, sha256, size, hold);
      cache?.set(key, reading.then((r) => r.problem));
      const result = await reading;
      problem = result.problem;
      if (result.content !== null) kept.set(sha256, result.content);
      else if (hold) heldBytes -= size;
    }
    if (problem !== null) {
      paths.sort(compareStrings);
      bad.push({ blob: path.relative(blobs.checkpointsDir, blobs.blobPath(sha256)), sha256, paths, problem });
    }
  });
  bad.sort((a, b) => compareStrings(a.paths[0]!, b.paths[0]!));
  return { bad, kept };
}
