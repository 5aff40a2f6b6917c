// The file-level crash guarantees of the store: every file is written to a
// temp name carrying the writer's pid, flushed when durable, and only then
// published (rename or link) by its caller; temps a killed writer left
// behind are swept by the next process.

import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isPidAlive } from '../io/processAlive.js';
import { SyncChild } from './syncChild.js';
import { forEachLimit } from './tree.js';

let tempCounter = 0;
/** `<pid>.<counter>.tmp`: unique within the process, and tells sweepDeadTemps whose temp it is. */
export function tempSuffix(): string {
  tempCounter = (tempCounter + 1) % 1_000_000_000;
  return `${process.pid}.${tempCounter}.tmp`;
}

export function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Writes file (a temp name, never the published one) and, when durable, fsyncs it before closing. */
/**
 * The error of a write the disk refused, said as what was not written: a
 * bare "ENOSPC: no space left on device, write" named neither the
 * checkpoint nor the part. The code stays, for those who tell a full disk by it.
 */
export function notWritten(what: string, error: unknown): Error {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return Object.assign(new Error(`${what} (${code !== undefined && !message.startsWith(code) ? `${code}: ` : ''}${message})`, { cause: error }), code === undefined ? {} : { code });
}

export async function writeDurably(file: string, data: Uint8Array | string, durable: boolean): Promise<void> {
  const handle = await fs.open(file, 'w', 0o644);
  try {
    await handle.writeFile(data);
    if (durable) await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fs.unlink(file).catch(() => undefined);
    throw error;
  }
  await handle.close();
}

/** fsync (or, with dataOnly, fdatasync: the content and its size, not the times) of a file written before. */
export async function syncFile(file: string, dataOnly = false): Promise<void> {
  const handle = await fs.open(file, 'r');
  try {
    await (dataOnly ? handle.datasync() : handle.sync());
  } finally {
    await handle.close();
  }
}

/** Whether `sync -f` worked in this process (null: not tried yet); once it fails, per-file fsync is used from then on. */
let fileSystemSyncWorks: boolean | null = null;

/** The shell that runs `sync -f` for this process (syncChild.ts). */
const syncChild = new SyncChild();

/**
 * syncfs(2) of the file system holding `anyPath`, through coreutils'
 * `sync -f` (Node has no binding): every file written there is on disk when
 * it resolves true. One call costs what the journal takes to commit once;
 * an fsync per file commits once per file (5,000 new blobs: 1.2 s of fsyncs
 * one by one, 16 at a time, against 70 ms for one syncfs on this machine).
 * Run by a shell kept for it (syncChild.ts), or started from here when that
 * shell cannot answer. Resolves false, for the caller to fsync file by
 * file, where `sync` is missing, lacks -f, or reports an error (Linux 5.8+
 * passes write-back errors to syncfs; the caller's own fsyncs then meet
 * them again).
 */
export async function syncFileSystem(anyPath: string): Promise<boolean> {
  if (fileSystemSyncWorks === false) return false;
  // Not to be read as an option.
  const target = anyPath.startsWith('-') ? `./${anyPath}` : anyPath;
  const status = await syncChild.run(target);
  const worked = status !== null ? status === 0 : await runSync(target);
  // Once missing or refused, not tried again; a failure of the sync itself may pass, so it is tried next time.
  if (worked) fileSystemSyncWorks = true;
  else if (status === 127 || status === 126 || fileSystemSyncWorks === null) fileSystemSyncWorks = false;
  return worked;
}

/** `sync -f anyPath` started from this process; whether it succeeded. */
function runSync(anyPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('sync', ['-f', anyPath], { windowsHide: true }, (error) => {
      if (error !== null && errorCode(error) === 'ENOENT') fileSystemSyncWorks = false;
      resolve(error === null);
    });
  });
}

/**
 * Temp files (and restore staging folders) left by a process killed
 * mid-write; those of live processes are left alone. With objectsDir null,
 * only checkpointsDir is looked at (where checkpoint files and staging
 * folders are written): a restore needs no more, and objects/ takes a
 * listing per sub-folder.
 */
export async function sweepDeadTemps(checkpointsDir: string, objectsDir: string | null): Promise<void> {
  const dirs = [checkpointsDir];
  if (objectsDir !== null) {
    dirs.push(objectsDir);
    const fanOut = await fs.readdir(objectsDir).catch(() => [] as string[]);
    for (const name of fanOut) if (/^[0-9a-f]{2}$/.test(name)) dirs.push(path.join(objectsDir, name));
  }
  await forEachLimit(dirs, 16, async (dir) => {
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const match = /^\..*\.(\d+)\.\d+\.tmp$/.exec(name);
      if (match !== null && Number(match[1]) !== process.pid && !isPidAlive(Number(match[1]))) {
        await fs.rm(path.join(dir, name), { recursive: true, force: true }).catch(() => undefined);
      }
    }
  });
}
