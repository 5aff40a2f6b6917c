// checkpoints/checkpoint_NNN.json  {"sha256": <hex of canonicalJson(body)>, "body": CheckpointBody}
//
// The body's manifest is stored as folder listings in objects/
// (manifestTrees.ts; written and read by listingBlobs.ts): file_system_state
// names the root listing's sha256 instead of holding every entry, so the
// checksum, the file and its fsync cost what a checkpoint's own fields
// cost, not the size of project/.
// Checkpoint files of earlier versions hold their entries inline; both read
// the same way.
//
// Publishing one: temp file, fsync, link (or rename) to its name, fsync the
// folder, so a reader finds the previous checkpoint or the new one, complete.
// Reading one checks everything a restore relies on: JSON, checksum, manifest
// and every blob it names.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { assertNever } from '../contract/assertNever.js';
import { syncDir } from '../io/atomic.js';
import { CHECKPOINT_ID_PATTERN } from '../contract/control.js';
import { canonicalJson, renderReadableJson, sha256Hex } from './canonical.js';
import { BLOB_CHECK_CONCURRENCY, type BlobStore } from './blobStore.js';
import { errorCode, notWritten, tempSuffix, writeDurably } from './durableFiles.js';
import { expandTrees, TreeListingError } from './manifestTrees.js';
import { Breather, compareStrings, forEachLimit, manifestProblem, SHA256_PATTERN } from './tree.js';
import type { CheckpointBody } from './types.js';
import { MISSING_BLOB, type BadBlob } from './verify.js';
import { ListingCache } from './listingBlobs.js';
import { jsonProblem } from '../io/jsonProblem.js';
import { RunFileReadError } from '../io/readError.js';

export interface LoadedCheckpoint {
  id: string;
  sha256: string;
  /** file_system_state.entries always holds the manifest, expanded from its listings when the file names a tree. */
  body: CheckpointBody;
  /** sha256 of every folder listing the manifest took (none for a manifest held inline). */
  listings: string[];
}

/** A checkpoint that cannot be used, and why, in words a person can act on. */
export class CheckpointInvalidError extends Error {
  constructor(
    readonly id: string,
    readonly reason: string,
    /** A folder listing found corrupt, to be set aside as a bad file blob is. */
    readonly badListing?: BadBlob,
  ) {
    super(`checkpoint ${id} cannot be used: ${reason}`);
    this.name = 'CheckpointInvalidError';
  }
}

/** Blob checks already made (or running) by `sha256:size`, shared while reading many checkpoints that name the same blobs. */
export type BlobCheckCache = Map<string, Promise<string | null>>;

const CHECKPOINT_FILE_PATTERN = /^(checkpoint_(\d{1,9}))\.json$/;

export function checkpointNumber(id: string): number {
  return Number(id.slice('checkpoint_'.length));
}

export function formatCheckpointId(number: number): string {
  return `checkpoint_${String(number).padStart(3, '0')}`;
}

/** A checkpoint file as published: its id, path and the sha256 of its body. */
export interface WrittenCheckpoint {
  id: string;
  path: string;
  sha256: string;
}

/**
 * Publishes body as the checkpoint after the highest number present in
 * checkpointsDir (which must exist), valid or not. The body gets the new id;
 * the file holds the sha256 of the body's canonical JSON.
 */

export async function publishCheckpoint<T extends object>(checkpointsDir: string, body: T, durable: boolean): Promise<WrittenCheckpoint> {
  const { id: _ignored, ...rest } = body as T & { id?: unknown };
  let number = (await checkpointNumbers(checkpointsDir)).at(-1) ?? 0;
  for (;;) {
    number += 1;
    const id = formatCheckpointId(number);
    const fullBody = { id, ...rest };
    const sha256 = sha256Hex(canonicalJson(fullBody));
    const text = `${renderReadableJson({ sha256, body: fullBody })}\n`;
    const target = path.join(checkpointsDir, `${id}.json`);
    const temp = path.join(checkpointsDir, `.${id}.json.${tempSuffix()}`);
    try {
      await writeDurably(temp, text, durable);
    } catch (error) {
      throw notWritten(`checkpoint not written: its file ${id}.json could not be written`, error);
    }
    try {
      // link refuses to replace a file another writer published under the same number
      await fs.link(temp, target);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'EEXIST') {
        await fs.unlink(temp).catch(() => undefined);
        continue;
      }
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') {
        await fs.unlink(temp).catch(() => undefined);
        throw notWritten(`checkpoint not written: its file ${id}.json could not be published`, error);
      }
      // a file system without hard links: rename (atomic, but may replace)
      await fs.rename(temp, target);
    }
    await fs.unlink(temp).catch(() => undefined);
    if (durable) await syncDir(checkpointsDir);
    return { id, path: target, sha256 };
  }
}

/**
 * Numbers of the checkpoint files present, ascending, valid or not; none
 * without a checkpoints folder. One that cannot be listed (a file where the
 * folder should be, EIO) is said in one line, not as a stack trace.
 */
export async function checkpointNumbers(checkpointsDir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await fs.readdir(checkpointsDir);
  } catch (error) {
    const code = errorCode(error) ?? String(error);
    if (code === 'ENOENT') return [];
    const what = code === 'ENOTDIR' ? 'is a file, not a folder' : `cannot be listed (${code})`;
    throw new RunFileReadError(`${checkpointsDir}: ${what}; no checkpoint of the run can be read`, checkpointsDir, code);
  }
  const numbers: number[] = [];
  for (const name of names) {
    const match = CHECKPOINT_FILE_PATTERN.exec(name);
    if (match !== null) numbers.push(Number(match[2]));
  }
  return [...new Set(numbers)].sort((a, b) => a - b);
}

/**
 * Loads and checks a checkpoint of blobs.checkpointsDir: id, JSON, checksum,
 * manifest, and (unless blobChecks is null: its own file only) every blob it
 * names, by the quick look of BlobStore.blobCheck.
 */
export async function readCheckpoint(id: string, blobs: BlobStore, blobChecks: BlobCheckCache | null, listingCache: ListingCache = new ListingCache()): Promise<LoadedCheckpoint> {
  const { file, sha256, body: checkpoint } = await readCheckpointBody(id, blobs.checkpointsDir);
  const state = checkpoint.file_system_state;
  if (state === null || typeof state !== 'object') throw new CheckpointInvalidError(id, `${file} has no file_system_state`);
  let listings: string[] = [];
  if (state.entries === undefined && state.tree !== undefined) {
    if (typeof state.tree !== 'string' || !SHA256_PATTERN.test(state.tree)) throw new CheckpointInvalidError(id, `${file} has a bad manifest: file_system_state.tree must be 64 lowercase hex digits`);
    try {
      const expanded = await expandTrees(state.tree, (sha, folder) => listingCache.read(blobs, sha, folder));
      // In memory only: the checksum above covers the root listing's name, and every listing was checked against its own.
      state.entries = expanded.entries;
      listings = expanded.listings;
    } catch (error) {
      throw listingProblem(id, blobs, error);
    }
  }
  const problem = manifestProblem(state.entries);
  if (problem !== null) throw new CheckpointInvalidError(id, `${file} has a bad manifest: ${problem}`);

  if (blobChecks === null) return { id: checkpoint.id, sha256, body: checkpoint, listings };
  const files = state.entries.filter((entry) => entry.type === 'file');
  const blobProblems: string[] = [];
  // Each look is synchronous calls (a stat, an open, a read): with no turn of the event loop between them the orchestrator
  // answered nothing (a person's pause, the API, its agents' output) for the whole check, 0.6-0.8 s at 30,000 files.
  const breather = new Breather();
  await forEachLimit(files, BLOB_CHECK_CONCURRENCY, async (entry) => {
    await breather.breathe();
    const sha = entry.sha256 as string;
    let check = blobChecks.get(`${sha}:${entry.size}`);
    if (check === undefined) {
      check = blobs.blobProblem(sha, entry.size);
      blobChecks.set(`${sha}:${entry.size}`, check);
    }
    const found = await check;
    if (found !== null) blobProblems.push(`${JSON.stringify(entry.path)}: ${found}`);
  });
  if (blobProblems.length > 0) {
    blobProblems.sort(compareStrings);
    const shown = blobProblems.slice(0, 3).join('; ');
    const more = blobProblems.length > 3 ? `; and ${blobProblems.length - 3} more` : '';
    throw new CheckpointInvalidError(id, `${blobProblems.length} of its ${files.length} files cannot be restored: ${shown}${more}`);
  }
  return { id: checkpoint.id, sha256, body: checkpoint, listings };
}

/**
 * The blobs the checkpoints `ids` name, of those that read as far as their
 * own file and their folder listings go (each listing read back against its
 * name, as list() reads them): their files' blobs and their listings. A
 * listing many checkpoints share is gone through once and no manifest is
 * expanded or checked as a whole (list() of 20 checkpoints of 50,000 files
 * took 3.3 s, most of it that). A checkpoint that does not read adds nothing
 * of its own; with `allRead`, it throws instead (a caller about to remove
 * what no checkpoint names cannot know what a damaged one names).
 */
export async function blobsNamedBy(ids: readonly string[], blobs: BlobStore, listingCache: ListingCache, allRead = false): Promise<Set<string>> {
  const named = new Set<string>();
  /** Listings gone through for checkpoints that read whole: all they name, down to their files, is in `named`. */
  const done = new Set<string>();
  for (const id of ids) {
    let state: { entries?: unknown; tree?: unknown } | null;
    try {
      state = (await readCheckpointBody(id, blobs.checkpointsDir)).body.file_system_state as typeof state;
    } catch (error) {
      if (error instanceof CheckpointInvalidError && !allRead) continue;
      throw error;
    }
    if (state === null || typeof state !== 'object') continue;
    if (Array.isArray(state.entries)) {
      for (const entry of state.entries as { sha256?: unknown }[]) if (typeof entry?.sha256 === 'string' && SHA256_PATTERN.test(entry.sha256)) named.add(entry.sha256);
      continue;
    }
    if (typeof state.tree !== 'string' || !SHA256_PATTERN.test(state.tree)) continue;
    const walked = new Set<string>();
    const files: string[] = [];
    const pending = [{ sha256: state.tree, folder: '' }];
    try {
      while (pending.length > 0) {
        const { sha256, folder } = pending.pop()!;
        if (done.has(sha256) || walked.has(sha256)) continue;
        walked.add(sha256);
        for (const item of await listingCache.read(blobs, sha256, folder)) {
          switch (item.type) {
            case 'file':
              files.push(item.sha256);
              break;
            case 'dir':
              pending.push({ sha256: item.tree, folder: folder === '' ? item.name : `${folder}/${item.name}` });
              break;
            case 'symlink':
              break;
            default:
              assertNever(item, 'tree item');
          }
        }
      }
    } catch (error) {
      if (error instanceof TreeListingError && !allRead) continue;
      throw error;
    }
    for (const sha256 of walked) {
      done.add(sha256);
      named.add(sha256);
    }
    for (const sha256 of files) named.add(sha256);
  }
  return named;
}

/** A TreeListingError met reading a checkpoint's listings, as the CheckpointInvalidError naming its blob (a corrupt one to be set aside); anything else as it is. */
function listingProblem(id: string, blobs: BlobStore, error: unknown): unknown {
  if (!(error instanceof TreeListingError)) return error;
  const blob = path.relative(blobs.checkpointsDir, blobs.blobPath(error.sha256));
  const badListing = error.problem === MISSING_BLOB ? undefined : { blob, sha256: error.sha256, paths: [error.folder === '' ? '.' : error.folder], problem: error.problem };
  return new CheckpointInvalidError(id, `its manifest cannot be read: ${error.message.replace(`(blob ${error.sha256})`, `(${blob})`)}`, badListing);
}

/** A checkpoint's file read and checked as far as itself goes: id, JSON, checksum, and the id its body holds. */
async function readCheckpointBody(id: string, checkpointsDir: string): Promise<{ file: string; sha256: string; body: CheckpointBody }> {
  if (typeof id !== 'string' || !CHECKPOINT_ID_PATTERN.test(id)) {
    throw new CheckpointInvalidError(String(id), `${JSON.stringify(id)} is not a checkpoint id (allowed: "checkpoint_" followed by 1 to 9 digits, e.g. checkpoint_007)`);
  }
  const file = await findCheckpointFile(checkpointsDir, id);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') throw new CheckpointInvalidError(id, `no such checkpoint: ${file} not found; ${await checkpointsThere(checkpointsDir)}`);
    throw new CheckpointInvalidError(id, `${file} cannot be read: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CheckpointInvalidError(id, `${file} is not valid JSON (truncated or damaged, ${text.length} bytes): ${jsonProblem(error)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CheckpointInvalidError(id, `${file} is not a checkpoint: expected {"sha256": …, "body": {…}}`);
  }
  const { sha256, body } = parsed as { sha256?: unknown; body?: unknown };
  if (typeof sha256 !== 'string' || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new CheckpointInvalidError(id, `${file} is not a checkpoint: expected {"sha256": "<hex>", "body": {…}}`);
  }
  const actual = sha256Hex(canonicalJson(body));
  if (actual !== sha256) {
    throw new CheckpointInvalidError(id, `checksum mismatch in ${file}: the file records sha256 ${sha256} but its body hashes to ${actual} (the file was altered or damaged)`);
  }
  const checkpoint = body as CheckpointBody;
  if (checkpoint.id !== path.basename(file, '.json')) {
    throw new CheckpointInvalidError(id, `${file} holds the body of ${JSON.stringify(checkpoint.id)}, not of ${path.basename(file, '.json')}`);
  }
  return { file, sha256, body: checkpoint };
}

/** What a person asking for a missing checkpoint can ask for instead: the ids there are (the first two and last three of many). */
async function checkpointsThere(checkpointsDir: string): Promise<string> {
  const ids = (await checkpointNumbers(checkpointsDir).catch(() => [])).map(formatCheckpointId);
  if (ids.length === 0) return 'there is none yet';
  if (ids.length <= 5) return `there ${ids.length === 1 ? 'is' : 'are'} ${ids.join(', ')}`;
  return `there are ${ids.length}: ${[...ids.slice(0, 2), '…', ...ids.slice(-3)].join(', ')}`;
}

/** The file of checkpoint `id`; accepts checkpoint_7 for checkpoint_007 (same number), as people type it. */
async function findCheckpointFile(checkpointsDir: string, id: string): Promise<string> {
  const literal = path.join(checkpointsDir, `${id}.json`);
  const canonical = path.join(checkpointsDir, `${formatCheckpointId(checkpointNumber(id))}.json`);
  if (literal === canonical) return literal;
  try {
    await fs.access(literal);
    return literal;
  } catch {
    return canonical;
  }
}
