// Reading blobs back and checking each against its name, the sha256 of the
// uncompressed content. A blob's framing (blobCodec.ts) alone does not catch
// a bit flip inside the data (it may still inflate, to other bytes), so a restore reads
// and hashes every blob its manifest names before it touches the target
// folder, and `megatest checkpoints verify` does the same for every checkpoint.

import { chmodSync, createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, Writable } from 'node:stream';
import zlib from 'node:zlib';
import { assertNever } from '../contract/assertNever.js';
import { FRAME_HEADER_BYTES, readBlobHead, readFileHead } from './blobCodec.js';
import { currentUmask, readBackAll, READ_IN_PARALLEL_FROM, type ReadBackFinding } from './blobReadBack.js';
import { STREAM_THRESHOLD_BYTES, type BlobStore } from './blobStore.js';
import { errorCode } from './durableFiles.js';
import { compareStrings, forEachLimit } from './tree.js';
import type { FileEntry } from './types.js';


/** Blobs handed to a thread at once (one message to the helper, blobReadBack.ts). */
const CHUNK = 8;
/** Chunks read back at once: on two threads (blobReadBack.ts), and large blobs inflated in the thread pool. */
const VERIFY_LANES = 4;

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

/**
 * `2 blobs fail their sha256 check: objects/ab/… (for "src/a.js"): its
 * content hashes to …; …` (`1 blob fails its sha256 check`), at most three
 * shown; "missing" instead when every one is, "missing or failing their
 * sha256 check" when some are.
 */
export function describeBadBlobs(bad: readonly BadBlob[]): string {
  const shown = bad.slice(0, 3).map((b) => {
    const others = b.paths.length - 1;
    const more = others > 0 ? ` and ${others} more ${others === 1 ? 'file' : 'files'}` : '';
    return `${b.blob} (for ${JSON.stringify(b.paths[0])}${more}): ${b.problem}`;
  });
  const rest = bad.length > 3 ? `; and ${bad.length - 3} more` : '';
  const missing = bad.filter((b) => b.problem === MISSING_BLOB).length;
  const one = bad.length === 1;
  const what = missing === 0 ? (one ? 'fails its sha256 check' : 'fail their sha256 check') : missing === bad.length ? 'missing' : 'missing or failing their sha256 check';
  return `${bad.length} ${one ? 'blob' : 'blobs'} ${what}: ${shown.join('; ')}${rest}`;
}

/** The problem of a blob that is not there. */
export const MISSING_BLOB = 'is missing';

/** A blob to read back and check, and where to stage its content if it passes. */
export interface BlobRead {
  sha256: string;
  size: number;
  stageTo: StageTarget | null;
}

/**
 * Reads the blob of sha256, inflates it and checks its size and hash: why it
 * cannot give back the content it is named after, or null. With stageTo, a
 * verified content is also written to that file (a restore's staging,
 * restoreStaging.ts) and given its mode, so it is inflated once; a failure
 * to write it rejects.
 * `inParallel` (many blobs to read: READ_IN_PARALLEL_FROM): on two threads
 * (blobReadBack.ts).
 */
export async function readBlobBack(blobs: BlobStore, sha256: string, size: number, stageTo: StageTarget | null = null, inParallel = false): Promise<string | null> {
  return readBlobsBack(blobs, [{ sha256, size, stageTo }], inParallel)[0]!;
}

/**
 * readBlobBack of each read, one promise each: large blobs streamed one by
 * one, the others read back whole together (one message to the helper
 * thread, or all here: blobReadBack.ts).
 */
export function readBlobsBack(blobs: BlobStore, reads: readonly BlobRead[], inParallel: boolean, umask: number | null = null): Promise<string | null>[] {
  const whole = reads.filter((read) => read.size <= STREAM_THRESHOLD_BYTES);
  const requests = whole.map(({ sha256, size, stageTo }) => ({ file: blobs.blobPath(sha256), sha256, size, stageTo: stageTo?.path ?? null, stageMode: stageTo?.mode ?? 0o600 }));
  const found = whole.length === 0 ? Promise.resolve([]) : readBackAll(requests, inParallel, umask);
  let next = 0;
  return reads.map((read) => {
    if (read.size > STREAM_THRESHOLD_BYTES) return streamedProblem(blobs.blobPath(read.sha256), read.sha256, read.size, read.stageTo);
    const at = next++;
    return found.then((findings) => problemOf(blobs, read, findings[at]!));
  });
}

function problemOf(blobs: BlobStore, { sha256, size }: BlobRead, found: ReadBackFinding): string | null {
  switch (found.fault) {
    case null:
      // Read back whole: no snapshot of this process needs to look at it again.
      blobs.markKnown(sha256, found.packedBytes);
      return null;
    case 'missing':
      return MISSING_BLOB;
    case 'unreadable':
      return `cannot be read: ${found.message}`;
    case 'not-a-blob':
      return `is not a valid blob (${found.message})`;
    case 'content':
      return contentProblem(found.actualSha256, found.actualSize, sha256, size);
    default:
      return assertNever(found, 'read-back finding');
  }
}

/**
 * A large blob is unpacked and hashed as a stream, written to stageTo as it
 * goes (removed again if it fails its check). Large blobs are gzip streams,
 * but a file that grew past STREAM_THRESHOLD_BYTES while a snapshot read it
 * was packed whole, as a brotli frame: both forms are streamed.
 */
async function streamedProblem(file: string, sha256: string, size: number, stageTarget: StageTarget | null): Promise<string | null> {
  let head: Buffer;
  let storedSize: number;
  try {
    head = await readFileHead(file);
    storedSize = (await fs.stat(file)).size;
  } catch (error) {
    return errorCode(error) === 'ENOENT' ? MISSING_BLOB : `cannot be read: ${(error as Error).message}`;
  }
  const found = readBlobHead(head);
  if (found.form === 'unknown') return `is not a valid blob (${found.why})`;
  if (found.form === 'brotli' && FRAME_HEADER_BYTES + found.streamBytes !== storedSize) {
    return `is not a valid blob (its frame says ${found.streamBytes} bytes of brotli data, it holds ${storedSize - FRAME_HEADER_BYTES})`;
  }
  const stageTo = stageTarget?.path ?? null;
  const hash = createHash('sha256');
  let contentSize = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      contentSize += chunk.length;
      done(null, stageTo === null ? undefined : chunk);
    },
  });
  const sink = stageTo === null ? new Writable({ write: (_chunk, _encoding, done) => done() }) : createWriteStream(stageTo, { mode: 0o600 });
  let stagingFailed = false;
  sink.on('error', () => {
    stagingFailed = true;
  });
  try {
    if (found.form === 'brotli') await pipeline(createReadStream(file, { start: FRAME_HEADER_BYTES }), zlib.createBrotliDecompress(), tap, sink);
    else await pipeline(createReadStream(file), zlib.createGunzip(), tap, sink);
  } catch (error) {
    if (stageTo !== null) await fs.rm(stageTo, { force: true });
    // A staged write that failed (a full disk) is the caller's to report; the rest is the blob's problem.
    if (stagingFailed) throw error;
    if (errorCode(error) === 'ENOENT') return MISSING_BLOB;
    return `cannot be read back (${(error as Error).message})`;
  }
  const problem = contentProblem(hash.digest('hex'), contentSize, sha256, size);
  if (problem !== null && stageTo !== null) await fs.rm(stageTo, { force: true });
  if (problem === null && stageTarget !== null && stageTarget.mode !== 0o600) chmodSync(stageTarget.path, stageTarget.mode);
  return problem;
}

function contentProblem(actual: string, actualSize: number, sha256: string, size: number): string | null {
  if (actual !== sha256) return `its content hashes to ${actual}, not to its name (the blob is corrupt)`;
  if (actualSize !== size) return `holds ${actualSize} bytes, the manifest says ${size}`;
  return null;
}

/** Check results by `sha256:size`, shared by the checkpoints of one verify so a blob is read once. */
export type BlobVerifyCache = Map<string, Promise<string | null>>;

/** A file a restore writes a verified content to, and the mode it gets. */
export interface StageTarget {
  path: string;
  mode: number;
}

/** Where a restore stages the verified content of a blob it is about to write, or null for a blob only to be checked. */
export type StagePath = (sha256: string) => StageTarget | null;

/**
 * Reads back every blob the file entries name (each distinct one once) and
 * checks it. Blobs `stageAt` gives a path for are written there once
 * verified (see readBlobBack); `staged` names them. A staged write that
 * fails rejects, once every read in flight has ended.
 */
export async function verifyEntryBlobs(
  blobs: BlobStore,
  entries: readonly FileEntry[],
  options: { stageAt?: StagePath; cache?: BlobVerifyCache } = {},
): Promise<{ bad: BadBlob[]; staged: Set<string> }> {
  const { stageAt, cache } = options;
  const byBlob = new Map<string, { sha256: string; size: number; paths: string[] }>();
  for (const entry of entries) {
    if (entry.type !== 'file') continue;
    const sha256 = entry.sha256 as string;
    const key = `${sha256}:${entry.size}`;
    const known = byBlob.get(key);
    if (known) known.paths.push(entry.path);
    else byBlob.set(key, { sha256, size: entry.size, paths: [entry.path] });
  }
  const staged = new Set<string>();
  const bad: BadBlob[] = [];
  let stagingError: unknown = null;
  const inParallel = byBlob.size >= READ_IN_PARALLEL_FROM;
  const umask = stageAt === undefined ? null : currentUmask();
  const noteProblem = (sha256: string, paths: string[], problem: string | null): void => {
    if (problem === null) return;
    paths.sort(compareStrings);
    bad.push({ blob: path.relative(blobs.checkpointsDir, blobs.blobPath(sha256)), sha256, paths, problem });
  };
  const work = [...byBlob.entries()];
  const chunks: (typeof work)[] = [];
  for (let at = 0; at < work.length; at += CHUNK) chunks.push(work.slice(at, at + CHUNK));
  await forEachLimit(chunks, VERIFY_LANES, async (chunk) => {
    if (stagingError !== null) return;
    const waits: Promise<void>[] = [];
    const reads: (BlobRead & { key: string; paths: string[] })[] = [];
    for (const [key, { sha256, size, paths }] of chunk) {
      const stageTo = staged.has(sha256) ? null : (stageAt?.(sha256) ?? null);
      const cached = cache?.get(key);
      if (cached !== undefined && stageTo === null) waits.push(cached.then((problem) => noteProblem(sha256, paths, problem)));
      else reads.push({ key, sha256, size, stageTo, paths });
    }
    const readings = readBlobsBack(blobs, reads, inParallel, umask);
    for (const [index, reading] of readings.entries()) {
      const { key, sha256, stageTo, paths } = reads[index]!;
      cache?.set(key, reading.catch(() => 'cannot be read back'));
      waits.push(
        reading.then(
          (problem) => {
            if (problem === null && stageTo !== null) staged.add(sha256);
            noteProblem(sha256, paths, problem);
          },
          (error: unknown) => {
            stagingError ??= error;
          },
        ),
      );
    }
    await Promise.all(waits);
  });
  if (stagingError !== null) throw stagingError;
  bad.sort((a, b) => compareStrings(a.paths[0]!, b.paths[0]!));
  return { bad, staged };
}
