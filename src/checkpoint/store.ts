// The checkpoint store of one run folder (DESIGN §4, §7).
//
// checkpoints/checkpoint_NNN.json  {"sha256": <hex of canonicalJson(body)>, "body": CheckpointBody}
// checkpoints/objects/ab/cdef…     gzip of a file's content, named by the sha256 of the content
//
// Write order makes a kill -9 at any instant harmless: blobs first (each to a
// temp file, flushed, renamed, so a blob is whole or absent), then the
// checkpoint file (temp, fsync, publish by link/rename, fsync the folder).
// A reader therefore finds the previous checkpoint or the new one, complete.
//
// Snapshots are incremental: an in-memory index (path -> stat + sha256) of
// the last snapshot or restore lets unchanged files be recognised by lstat
// alone, and a blob already stored is never written again.

import { createReadStream, createWriteStream, promises as fs, type Stats } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { syncDir } from '../io/atomic.js';
import { CHECKPOINT_ID_PATTERN } from '../contract/control.js';
import { canonicalJson, renderReadableJson, sha256Hex } from './canonical.js';
import { compareStrings, forEachLimit, manifestProblem, scanTree, type FoundItem } from './tree.js';
import type { CheckpointBody, FileEntry } from './types.js';

export type { CheckpointBody, FileEntry } from './types.js';
export { EXCLUDED_DIR_NAMES } from './tree.js';

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);

export interface SnapshotResult {
  entries: FileEntry[];
  /** Files (not dirs or symlinks) in the snapshot. */
  files: number;
  /** Sum of the files' sizes. */
  bytes: number;
  /** Blobs this snapshot added to objects/. */
  newBlobs: number;
  /** Bytes those blobs take in objects/ (compressed). */
  newBlobBytes: number;
  /** Excluded folders met (relative paths), for file_system_state.excluded. */
  excluded: string[];
  ms: number;
}

export interface RestoreResult {
  /** Files and symlinks whose content was written. */
  written: number;
  /** Items of project/ removed because the checkpoint does not have them (or has another kind there). */
  deleted: number;
  ms: number;
}

export interface LoadedCheckpoint {
  id: string;
  sha256: string;
  body: CheckpointBody;
}

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

/** A checkpoint that cannot be used, and why, in words a person can act on. */
export class CheckpointInvalidError extends Error {
  constructor(
    readonly id: string,
    readonly reason: string,
  ) {
    super(`checkpoint ${id} cannot be used: ${reason}`);
    this.name = 'CheckpointInvalidError';
  }
}

interface IndexRecord {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  mode: number;
  sha256: string;
  /** Bytes actually hashed (differs from size if the file changed while read). */
  contentSize: number;
  /**
   * False when the file was modified so shortly before it was hashed that a
   * later write in the same timestamp tick could leave lstat unchanged: such
   * a file is hashed again next time (git's "racily clean" problem).
   */
  trusted: boolean;
}

const CHECKPOINT_FILE_PATTERN = /^(checkpoint_(\d{1,9}))\.json$/;
/** Files above this are hashed and compressed as streams instead of in memory. */
const STREAM_THRESHOLD_BYTES = 32 * 1024 * 1024;
const HASH_CONCURRENCY = 8;
const BLOB_CHECK_CONCURRENCY = 32;

let tempCounter = 0;
function tempSuffix(): string {
  tempCounter = (tempCounter + 1) % 1_000_000_000;
  return `${process.pid}.${tempCounter}.tmp`;
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function checkpointNumber(id: string): number {
  return Number(id.slice('checkpoint_'.length));
}

export function formatCheckpointId(number: number): string {
  return `checkpoint_${String(number).padStart(3, '0')}`;
}

/**
 * Timestamps tick coarsely (a jiffy on Linux, 1-2 s on FAT or some network
 * file systems); a file changed within that long before it was hashed may be
 * changed again without lstat noticing, so it is not trusted next time.
 */
function isSettled(stats: Stats, hashedAtMs: number): boolean {
  const changed = Math.max(stats.mtimeMs, stats.ctimeMs);
  const coarse = stats.mtimeMs % 1000 === 0;
  return hashedAtMs - changed > (coarse ? 2500 : 100);
}

function sameStat(record: IndexRecord, stats: Stats): boolean {
  return (
    record.size === stats.size &&
    record.mtimeMs === stats.mtimeMs &&
    record.ctimeMs === stats.ctimeMs &&
    record.ino === stats.ino &&
    record.mode === (stats.mode & 0o7777)
  );
}

function makeRecord(stats: Stats, sha256: string, contentSize: number, hashedAtMs: number): IndexRecord {
  return {
    size: stats.size,
    mtimeMs: stats.mtimeMs,
    ctimeMs: stats.ctimeMs,
    ino: stats.ino,
    mode: stats.mode & 0o7777,
    sha256,
    contentSize,
    trusted: contentSize === stats.size && isSettled(stats, hashedAtMs),
  };
}

function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}

export class CheckpointStore {
  readonly checkpointsDir: string;
  readonly objectsDir: string;
  private readonly durable: boolean;
  private readonly compressionLevel: number;
  /** Index of the project folder last snapshotted or restored. */
  private index: { root: string; files: Map<string, IndexRecord> } = { root: '', files: new Map() };
  /** Blobs this process wrote or saw in objects/. */
  private readonly knownBlobs = new Set<string>();
  private readonly pendingBlobs = new Map<string, Promise<number>>();
  private readonly madeDirs = new Set<string>();
  private tempsSwept = false;
  private blobListingLoaded = false;
  /** snapshot, restore and write run one at a time: they share the index and the numbering. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(checkpointsDir: string, options: CheckpointStoreOptions = {}) {
    if (typeof checkpointsDir !== 'string' || checkpointsDir === '') throw new TypeError('CheckpointStore: checkpointsDir must be a non-empty path');
    const level = options.compressionLevel ?? 6;
    if (!Number.isInteger(level) || level < 1 || level > 9) throw new RangeError(`CheckpointStore: compressionLevel must be an integer 1..9, got ${level}`);
    this.checkpointsDir = path.resolve(checkpointsDir);
    this.objectsDir = path.join(this.checkpointsDir, 'objects');
    this.durable = options.durable ?? true;
    this.compressionLevel = level;
  }

  /** Path of the blob holding the content whose sha256 is given. */
  blobPath(sha256: string): string {
    return path.join(this.objectsDir, sha256.slice(0, 2), sha256.slice(2));
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  // ---------------------------------------------------------------- snapshot

  /** Stores every file of projectDir not yet in objects/ and returns the manifest. */
  snapshot(projectDir: string): Promise<SnapshotResult> {
    return this.exclusive(() => this.snapshotNow(path.resolve(projectDir)));
  }

  private async snapshotNow(root: string): Promise<SnapshotResult> {
    const started = performance.now();
    const rootStats = await fs.stat(root).catch(() => null);
    if (rootStats === null || !rootStats.isDirectory()) throw new Error(`snapshot: project folder ${root} does not exist or is not a directory`);
    await fs.mkdir(this.objectsDir, { recursive: true });
    if (!this.tempsSwept) await this.sweepDeadTemps();
    await this.loadBlobListing();

    const scan = await scanTree(root);
    const previous = this.index.root === root ? this.index.files : new Map<string, IndexRecord>();
    const nextIndex = new Map<string, IndexRecord>();
    const entries: FileEntry[] = [];
    const toHash: { item: FoundItem; entry: FileEntry }[] = [];
    for (const item of scan.items) {
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
          if (record !== undefined && record.trusted && sameStat(record, item.stats) && this.knownBlobs.has(record.sha256)) {
            entries.push({ path: item.path, type: 'file', sha256: record.sha256, size: record.contentSize, mode });
            nextIndex.set(item.path, record);
          } else {
            const entry: FileEntry = { path: item.path, type: 'file', size: 0, mode };
            entries.push(entry);
            toHash.push({ item, entry });
          }
          break;
        }
        default:
          assertUnreachable(item.type);
      }
    }

    let newBlobs = 0;
    let newBlobBytes = 0;
    const vanished = new Set<string>();
    const touchedDirs = new Set<string>();
    await forEachLimit(toHash, HASH_CONCURRENCY, async ({ item, entry }) => {
      const absolute = path.join(root, item.path);
      const hashedAt = Date.now();
      let stored: { sha256: string; contentSize: number; storedBytes: number } | null;
      try {
        stored = item.stats.size > STREAM_THRESHOLD_BYTES ? await this.storeLargeFile(absolute) : await this.storeSmallFile(absolute);
      } catch (error) {
        // gone, or replaced by a folder, since the scan: an agent is still at work; the next snapshot sees it
        const code = errorCode(error);
        if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') stored = null;
        else throw new Error(`snapshot: cannot store ${absolute}: ${(error as Error).message}`, { cause: error });
      }
      if (stored === null) {
        vanished.add(item.path);
        return;
      }
      entry.sha256 = stored.sha256;
      entry.size = stored.contentSize;
      if (stored.storedBytes > 0) {
        newBlobs += 1;
        newBlobBytes += stored.storedBytes;
        touchedDirs.add(path.dirname(this.blobPath(stored.sha256)));
      }
      nextIndex.set(item.path, makeRecord(item.stats, stored.sha256, stored.contentSize, hashedAt));
    });
    if (this.durable && touchedDirs.size > 0) {
      await forEachLimit([...touchedDirs, this.objectsDir], BLOB_CHECK_CONCURRENCY, syncDir);
    }

    const kept = vanished.size === 0 ? entries : entries.filter((entry) => !vanished.has(entry.path));
    this.index = { root, files: nextIndex };
    let files = 0;
    let bytes = 0;
    for (const entry of kept) {
      if (entry.type === 'file') {
        files += 1;
        bytes += entry.size;
      }
    }
    return { entries: kept, files, bytes, newBlobs, newBlobBytes, excluded: scan.excluded, ms: performance.now() - started };
  }

  /** Reads, hashes and (if new) stores a file held in memory. */
  private async storeSmallFile(absolute: string): Promise<{ sha256: string; contentSize: number; storedBytes: number }> {
    const content = await fs.readFile(absolute);
    const sha256 = sha256Hex(content);
    const storedBytes = await this.storeBlob(sha256, async (target) => {
      const packed = await gzip(content, { level: this.compressionLevel });
      const temp = path.join(path.dirname(target), `.blob.${tempSuffix()}`);
      await this.writeDurably(temp, packed);
      await fs.rename(temp, target);
      return packed.length;
    });
    return { sha256, contentSize: content.length, storedBytes };
  }

  /** Large files: one streaming pass hashes and compresses into a temp file, kept only if the blob is new. */
  private async storeLargeFile(absolute: string): Promise<{ sha256: string; contentSize: number; storedBytes: number }> {
    const temp = path.join(this.objectsDir, `.blob.${tempSuffix()}`);
    const hash = createHash('sha256');
    let contentSize = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        contentSize += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(createReadStream(absolute), tap, zlib.createGzip({ level: this.compressionLevel }), createWriteStream(temp));
      const sha256 = hash.digest('hex');
      const storedBytes = await this.storeBlob(sha256, async (target) => {
        if (this.durable) await syncFile(temp);
        const { size } = await fs.stat(temp);
        await fs.rename(temp, target);
        return size;
      });
      return { sha256, contentSize, storedBytes };
    } finally {
      await fs.unlink(temp).catch(() => undefined);
    }
  }

  /**
   * Stores the blob of sha256 unless it is there; `place` writes it at the
   * given path atomically and returns its size. Returns the bytes written, 0
   * if the blob was already stored (or is being stored by a parallel task).
   */
  private storeBlob(sha256: string, place: (target: string) => Promise<number>): Promise<number> {
    if (this.knownBlobs.has(sha256)) return Promise.resolve(0);
    const pending = this.pendingBlobs.get(sha256);
    if (pending !== undefined) return pending.then(() => 0);
    const work = (async () => {
      const target = this.blobPath(sha256);
      if (await this.blobPresent(target)) return 0;
      await this.ensureDir(path.dirname(target));
      return place(target);
    })();
    this.pendingBlobs.set(sha256, work);
    return work.then(
      (written) => {
        this.pendingBlobs.delete(sha256);
        this.knownBlobs.add(sha256);
        return written;
      },
      (error: unknown) => {
        this.pendingBlobs.delete(sha256);
        throw error;
      },
    );
  }

  /** Learns which blobs objects/ holds, once per process, so unchanged files need no blob lookup. */
  private async loadBlobListing(): Promise<void> {
    if (this.blobListingLoaded) return;
    const fanOut = await fs.readdir(this.objectsDir).catch(() => [] as string[]);
    await forEachLimit(
      fanOut.filter((name) => /^[0-9a-f]{2}$/.test(name)),
      16,
      async (prefix) => {
        const names = await fs.readdir(path.join(this.objectsDir, prefix)).catch(() => [] as string[]);
        for (const name of names) if (/^[0-9a-f]{62}$/.test(name)) this.knownBlobs.add(prefix + name);
      },
    );
    this.blobListingLoaded = true;
  }

  private async blobPresent(target: string): Promise<boolean> {
    try {
      return (await fs.lstat(target)).isFile();
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false;
      throw error;
    }
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.madeDirs.has(dir)) return;
    await fs.mkdir(dir, { recursive: true });
    this.madeDirs.add(dir);
  }

  private async writeDurably(file: string, data: Uint8Array | string): Promise<void> {
    const handle = await fs.open(file, 'w', 0o644);
    try {
      await handle.writeFile(data);
      if (this.durable) await handle.sync();
    } catch (error) {
      await handle.close().catch(() => undefined);
      await fs.unlink(file).catch(() => undefined);
      throw error;
    }
    await handle.close();
  }

  /** Temp files left by a process killed mid-write; those of live processes are left alone. */
  private async sweepDeadTemps(): Promise<void> {
    this.tempsSwept = true;
    const dirs = [this.checkpointsDir, this.objectsDir];
    const fanOut = await fs.readdir(this.objectsDir).catch(() => [] as string[]);
    for (const name of fanOut) if (/^[0-9a-f]{2}$/.test(name)) dirs.push(path.join(this.objectsDir, name));
    await forEachLimit(dirs, 16, async (dir) => {
      const names = await fs.readdir(dir).catch(() => [] as string[]);
      for (const name of names) {
        const match = /^\..*\.(\d+)\.\d+\.tmp$/.exec(name);
        if (match !== null && Number(match[1]) !== process.pid && !isPidAlive(Number(match[1]))) {
          await fs.unlink(path.join(dir, name)).catch(() => undefined);
        }
      }
    });
  }

  // ----------------------------------------------------------------- restore

  /**
   * Makes projectDir hold exactly the manifest: writes files whose content
   * differs, removes what the manifest lacks, fixes modes, makes dirs.
   * Excluded folders (.git, node_modules) are left as they are.
   */
  restore(projectDir: string, entries: FileEntry[]): Promise<RestoreResult> {
    return this.exclusive(() => this.restoreNow(path.resolve(projectDir), entries));
  }

  private async restoreNow(root: string, entries: FileEntry[]): Promise<RestoreResult> {
    const started = performance.now();
    const problem = manifestProblem(entries);
    if (problem !== null) throw new Error(`restore: the manifest cannot be restored safely: ${problem}`);
    await fs.mkdir(root, { recursive: true });

    const wanted = new Map(entries.map((entry) => [entry.path, entry]));
    const scan = await scanTree(root);
    const current = new Map(scan.items.map((item) => [item.path, item]));
    const previous = this.index.root === root ? this.index.files : new Map<string, IndexRecord>();
    const nextIndex = new Map<string, IndexRecord>();

    // Decide everything first, and check the blobs to be written exist, so a
    // missing blob is reported before project/ is touched.
    const toRemove: FoundItem[] = [];
    for (const item of scan.items) {
      const entry = wanted.get(item.path);
      if (entry === undefined || entry.type !== item.type) toRemove.push(item);
    }
    const removedPaths = new Set(toRemove.map((item) => item.path));
    const toCompare: { entry: FileEntry; item: FoundItem }[] = [];
    const toWrite: FileEntry[] = [];
    const toLink: FileEntry[] = [];
    const toChmod: FileEntry[] = [];
    const sorted = [...entries].sort((a, b) => compareStrings(a.path, b.path));
    for (const entry of sorted) {
      const item = removedPaths.has(entry.path) ? undefined : current.get(entry.path);
      switch (entry.type) {
        case 'dir':
          if (item === undefined || (item.stats.mode & 0o7777) !== entry.mode) toChmod.push(entry);
          break;
        case 'symlink':
          if (item === undefined || item.target !== entry.target) toLink.push(entry);
          break;
        case 'file': {
          if (item === undefined) {
            toWrite.push(entry);
            break;
          }
          const record = previous.get(entry.path);
          if (record !== undefined && record.trusted && sameStat(record, item.stats)) {
            if (record.sha256 === entry.sha256) {
              nextIndex.set(entry.path, record);
              if ((item.stats.mode & 0o7777) !== entry.mode) toChmod.push(entry);
            } else {
              toWrite.push(entry);
            }
          } else if (item.stats.size === entry.size) {
            toCompare.push({ entry, item });
          } else {
            toWrite.push(entry);
          }
          break;
        }
        default:
          assertUnreachable(entry.type);
      }
    }
    await forEachLimit(toCompare, HASH_CONCURRENCY, async ({ entry, item }) => {
      const hashedAt = Date.now();
      const { sha256, contentSize } = await hashFile(path.join(root, entry.path), item.stats.size);
      if (sha256 === entry.sha256 && contentSize === item.stats.size) {
        nextIndex.set(entry.path, makeRecord(item.stats, sha256, contentSize, hashedAt));
        if ((item.stats.mode & 0o7777) !== entry.mode) toChmod.push(entry);
      } else {
        toWrite.push(entry);
      }
    });
    const missing: string[] = [];
    await forEachLimit(toWrite, BLOB_CHECK_CONCURRENCY, async (entry) => {
      if (!(await this.blobPresent(this.blobPath(entry.sha256 as string)))) missing.push(entry.path);
    });
    if (missing.length > 0) {
      missing.sort(compareStrings);
      throw new Error(
        `restore: ${missing.length} file(s) have no blob in ${this.objectsDir} (first: ${missing.slice(0, 3).map((p) => JSON.stringify(p)).join(', ')}); project/ was not changed`,
      );
    }

    // Folders that would refuse changes inside them (no owner rwx) are opened
    // up first; the manifest's modes are set last, deepest first.
    const lockedDirs = scan.items.filter((item) => item.type === 'dir' && (item.stats.mode & 0o700) !== 0o700);
    for (const item of lockedDirs) await fs.chmod(path.join(root, item.path), (item.stats.mode & 0o7777) | 0o700);

    // A removed folder takes its contents with it.
    let deleted = 0;
    const removedDirs = new Set<string>();
    for (const item of toRemove) {
      deleted += 1;
      if (hasAncestorIn(item.path, removedDirs)) continue;
      await fs.rm(path.join(root, item.path), { recursive: true, force: true });
      if (item.type === 'dir') removedDirs.add(item.path);
    }

    const dirModesToSet = new Set(toChmod.filter((entry) => entry.type === 'dir').map((entry) => entry.path));
    for (const item of lockedDirs) if (!removedPaths.has(item.path)) dirModesToSet.add(item.path);
    for (const entry of sorted) {
      if (entry.type !== 'dir' || (current.has(entry.path) && !removedPaths.has(entry.path))) continue;
      await fs.mkdir(path.join(root, entry.path), { mode: 0o700 });
      dirModesToSet.add(entry.path);
    }

    let written = 0;
    await forEachLimit(toWrite, HASH_CONCURRENCY, async (entry) => {
      const absolute = path.join(root, entry.path);
      await this.restoreFile(entry, absolute);
      const stats = await fs.lstat(absolute);
      nextIndex.set(entry.path, makeRecord(stats, entry.sha256 as string, entry.size, Date.now()));
      written += 1;
    });
    for (const entry of toLink) {
      const absolute = path.join(root, entry.path);
      await fs.rm(absolute, { force: true });
      await fs.symlink(entry.target as string, absolute);
      written += 1;
    }
    for (const entry of toChmod) {
      if (entry.type === 'file') {
        const absolute = path.join(root, entry.path);
        await fs.chmod(absolute, entry.mode);
        // chmod moves ctime: keep the index entry matching what is on disk now
        const record = nextIndex.get(entry.path);
        if (record !== undefined) nextIndex.set(entry.path, makeRecord(await fs.lstat(absolute), record.sha256, record.contentSize, Date.now()));
      }
    }
    for (const entry of [...sorted].reverse()) {
      if (entry.type === 'dir' && dirModesToSet.has(entry.path)) await fs.chmod(path.join(root, entry.path), entry.mode);
    }

    this.index = { root, files: nextIndex };
    return { written, deleted, ms: performance.now() - started };
  }

  /** Writes a file from its blob (checked against its hash) via a temp file and rename. */
  private async restoreFile(entry: FileEntry, absolute: string): Promise<void> {
    const sha256 = entry.sha256 as string;
    const blob = this.blobPath(sha256);
    const temp = path.join(path.dirname(absolute), `.megatest-restore.${tempSuffix()}`);
    try {
      if (entry.size > STREAM_THRESHOLD_BYTES) {
        const hash = createHash('sha256');
        const tap = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            hash.update(chunk);
            done(null, chunk);
          },
        });
        await pipeline(createReadStream(blob), zlib.createGunzip(), tap, createWriteStream(temp, { mode: 0o600 }));
        const actual = hash.digest('hex');
        if (actual !== sha256) throw new Error(`restore: blob ${blob} is corrupt (its content hashes to ${actual}); ${entry.path} not restored`);
      } else {
        let content: Buffer;
        try {
          content = await gunzip(await fs.readFile(blob));
        } catch (error) {
          throw new Error(`restore: blob ${blob} for ${JSON.stringify(entry.path)} cannot be read: ${(error as Error).message}`, { cause: error });
        }
        const actual = sha256Hex(content);
        if (actual !== sha256) throw new Error(`restore: blob ${blob} is corrupt (its content hashes to ${actual}); ${entry.path} not restored`);
        await fs.writeFile(temp, content, { mode: 0o600 });
      }
      await fs.chmod(temp, entry.mode);
      await fs.rename(temp, absolute);
      this.knownBlobs.add(sha256);
    } catch (error) {
      await fs.unlink(temp).catch(() => undefined);
      throw error;
    }
  }

  // ------------------------------------------------------- checkpoint files

  /**
   * Writes the next checkpoint_NNN.json (after the highest number present,
   * valid or not). The body gets the new id; the file holds the sha256 of
   * the body's canonical JSON.
   */
  write<T extends object>(body: T): Promise<{ id: string; path: string; sha256: string }> {
    return this.exclusive(() => this.writeNow(body));
  }

  private async writeNow<T extends object>(body: T): Promise<{ id: string; path: string; sha256: string }> {
    await fs.mkdir(this.checkpointsDir, { recursive: true });
    if (!this.tempsSwept) await this.sweepDeadTemps();
    const { id: _ignored, ...rest } = body as T & { id?: unknown };
    let number = (await this.checkpointNumbers()).at(-1) ?? 0;
    for (;;) {
      number += 1;
      const id = formatCheckpointId(number);
      const fullBody = { id, ...rest };
      const sha256 = sha256Hex(canonicalJson(fullBody));
      const text = `${renderReadableJson({ sha256, body: fullBody })}\n`;
      const target = path.join(this.checkpointsDir, `${id}.json`);
      const temp = path.join(this.checkpointsDir, `.${id}.json.${tempSuffix()}`);
      await this.writeDurably(temp, text);
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
          throw error;
        }
        // a file system without hard links: rename (atomic, but may replace)
        await fs.rename(temp, target);
      }
      await fs.unlink(temp).catch(() => undefined);
      if (this.durable) await syncDir(this.checkpointsDir);
      return { id, path: target, sha256 };
    }
  }

  private async checkpointNumbers(): Promise<number[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.checkpointsDir);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw error;
    }
    const numbers: number[] = [];
    for (const name of names) {
      const match = CHECKPOINT_FILE_PATTERN.exec(name);
      if (match !== null) numbers.push(Number(match[2]));
    }
    return [...new Set(numbers)].sort((a, b) => a - b);
  }

  /** Loads and checks a checkpoint: id, JSON, checksum, manifest, and every blob it names. */
  read(id: string): Promise<LoadedCheckpoint> {
    return this.readChecked(id, new Map());
  }

  private async readChecked(id: string, blobChecks: Map<string, Promise<string | null>>): Promise<LoadedCheckpoint> {
    if (typeof id !== 'string' || !CHECKPOINT_ID_PATTERN.test(id)) {
      throw new CheckpointInvalidError(String(id), `${JSON.stringify(id)} is not a checkpoint id (allowed: "checkpoint_" followed by 1 to 9 digits, e.g. checkpoint_007)`);
    }
    const file = await this.findCheckpointFile(id);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') throw new CheckpointInvalidError(id, `no such checkpoint: ${file} not found`);
      throw new CheckpointInvalidError(id, `${file} cannot be read: ${(error as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new CheckpointInvalidError(id, `${file} is not valid JSON (truncated or damaged, ${text.length} bytes): ${(error as Error).message}`);
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
    const state = checkpoint.file_system_state;
    if (state === null || typeof state !== 'object') throw new CheckpointInvalidError(id, `${file} has no file_system_state`);
    const problem = manifestProblem(state.entries);
    if (problem !== null) throw new CheckpointInvalidError(id, `${file} has a bad manifest: ${problem}`);

    const files = state.entries.filter((entry) => entry.type === 'file');
    const blobProblems: string[] = [];
    await forEachLimit(files, BLOB_CHECK_CONCURRENCY, async (entry) => {
      const sha = entry.sha256 as string;
      let check = blobChecks.get(`${sha}:${entry.size}`);
      if (check === undefined) {
        check = this.blobProblem(sha, entry.size);
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
    return { id: checkpoint.id, sha256, body: checkpoint };
  }

  /** Accepts checkpoint_7 for checkpoint_007 (same number), as people type it. */
  private async findCheckpointFile(id: string): Promise<string> {
    const literal = path.join(this.checkpointsDir, `${id}.json`);
    const canonical = path.join(this.checkpointsDir, `${formatCheckpointId(checkpointNumber(id))}.json`);
    if (literal === canonical) return literal;
    try {
      await fs.access(literal);
      return literal;
    } catch {
      return canonical;
    }
  }

  /**
   * A blob is gzip; its trailer's last 4 bytes hold the content size mod 2^32,
   * so a missing, truncated or wrong blob shows without decompressing it.
   */
  private async blobProblem(sha256: string, size: number): Promise<string | null> {
    const blob = this.blobPath(sha256);
    let handle;
    try {
      handle = await fs.open(blob, 'r');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return `blob ${path.relative(this.checkpointsDir, blob)} is missing`;
      return `blob ${path.relative(this.checkpointsDir, blob)} cannot be opened: ${(error as Error).message}`;
    }
    try {
      const { size: storedSize } = await handle.stat();
      if (storedSize < 20) return `blob ${path.relative(this.checkpointsDir, blob)} is truncated (${storedSize} bytes)`;
      const head = Buffer.alloc(2);
      const tail = Buffer.alloc(4);
      await handle.read(head, 0, 2, 0);
      await handle.read(tail, 0, 4, storedSize - 4);
      if (head[0] !== 0x1f || head[1] !== 0x8b) return `blob ${path.relative(this.checkpointsDir, blob)} is not gzip data`;
      const recorded = tail.readUInt32LE(0);
      if (recorded !== size % 2 ** 32) {
        return `blob ${path.relative(this.checkpointsDir, blob)} holds ${recorded} bytes (mod 2^32), the manifest says ${size}`;
      }
      return null;
    } finally {
      await handle.close();
    }
  }

  /** Every checkpoint file, sorted by number, each checked as read() does. */
  async list(): Promise<CheckpointListing[]> {
    const blobChecks = new Map<string, Promise<string | null>>();
    const listings: CheckpointListing[] = [];
    for (const number of await this.checkpointNumbers()) {
      const id = formatCheckpointId(number);
      try {
        const loaded = await this.readChecked(id, blobChecks);
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
    const blobChecks = new Map<string, Promise<string | null>>();
    const numbers = (await this.checkpointNumbers()).filter((number) => number < limit).reverse();
    for (const number of numbers) {
      try {
        return await this.readChecked(formatCheckpointId(number), blobChecks);
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

function assertUnreachable(value: never): never {
  throw new Error(`unexpected entry type: ${JSON.stringify(value)}`);
}

function hasAncestorIn(relative: string, dirs: ReadonlySet<string>): boolean {
  if (dirs.size === 0) return false;
  for (let slash = relative.indexOf('/'); slash !== -1; slash = relative.indexOf('/', slash + 1)) {
    if (dirs.has(relative.slice(0, slash))) return true;
  }
  return false;
}

async function hashFile(file: string, expectedSize: number): Promise<{ sha256: string; contentSize: number }> {
  if (expectedSize <= STREAM_THRESHOLD_BYTES) {
    const content = await fs.readFile(file);
    return { sha256: sha256Hex(content), contentSize: content.length };
  }
  const hash = createHash('sha256');
  let contentSize = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    contentSize += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), contentSize };
}

async function syncFile(file: string): Promise<void> {
  const handle = await fs.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Sizes of the files under dir: their byte sizes and the blocks they occupy (as du counts). */
export async function diskUsage(dir: string): Promise<{ bytes: number; allocatedBytes: number; files: number }> {
  let bytes = 0;
  let allocatedBytes = 0;
  let files = 0;
  let level = [dir];
  while (level.length > 0) {
    const next: string[] = [];
    await forEachLimit(level, 16, async (current) => {
      let names;
      try {
        names = await fs.readdir(current, { withFileTypes: true });
      } catch (error) {
        if (errorCode(error) === 'ENOENT') return;
        throw error;
      }
      await forEachLimit(names, 64, async (dirent) => {
        const absolute = path.join(current, dirent.name);
        if (dirent.isDirectory()) {
          next.push(absolute);
          return;
        }
        const stats = await fs.lstat(absolute).catch(() => null);
        if (stats === null) return;
        files += 1;
        bytes += stats.size;
        allocatedBytes += stats.blocks * 512;
      });
    });
    level = next;
  }
  return { bytes, allocatedBytes, files };
}
