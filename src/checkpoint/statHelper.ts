// lstat of many paths, half of them on a second thread. A walk of a big
// project/ is mostly lstat calls (at 50,000 files about 250-370 ms of a
// no-change checkpoint); through libuv's thread pool each call costs more
// than it saves, but a worker thread doing plain lstatSync over half the
// list while this thread does the other half takes about half the time on
// two cores. The worker's code is a string (no file to find from the
// bundle, the build or the sources), it does not keep the process alive,
// and it ends after a while unused; if it cannot run, this thread does all.

import { lstatSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

/** Numbers per path in a result: kind, mode, size, mtimeMs, ctimeMs, ino. */
export const STAT_FIELDS = 6;

/** What a path turned out to be; ERROR means "lstat it again here to see the error". */
export const StatKind = { MISSING: 0, DIR: 1, FILE: 2, SYMLINK: 3, OTHER: 4, ERROR: 5 } as const;

/** Below this many paths the second thread costs more than it saves. */
export const PARALLEL_FROM = 4096;
/** The worker ends after this long without work (a snapshot every few minutes pays its start-up, ~30 ms, again). */
const IDLE_MS = 60_000;

// The same loop as statInto below, for the worker (CommonJS, node's own modules only).
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { lstatSync } = require('node:fs');
parentPort.on('message', ({ id, root, paths }) => {
  const out = new Float64Array(paths.length * ${STAT_FIELDS});
  const prefix = root.endsWith('/') ? root : root + '/';
  for (let i = 0; i < paths.length; i += 1) {
    const at = i * ${STAT_FIELDS};
    let s;
    try {
      s = lstatSync(prefix + paths[i], { throwIfNoEntry: false });
    } catch (error) {
      out[at] = error.code === 'ENOENT' || error.code === 'ENOTDIR' ? ${StatKind.MISSING} : ${StatKind.ERROR};
      continue;
    }
    if (s === undefined) { out[at] = ${StatKind.MISSING}; continue; }
    out[at] = s.isDirectory() ? ${StatKind.DIR} : s.isFile() ? ${StatKind.FILE} : s.isSymbolicLink() ? ${StatKind.SYMLINK} : ${StatKind.OTHER};
    out[at + 1] = s.mode; out[at + 2] = s.size; out[at + 3] = s.mtimeMs; out[at + 4] = s.ctimeMs; out[at + 5] = s.ino;
  }
  parentPort.postMessage({ id, out }, [out.buffer]);
});
`;

/** lstat of root/relative into out at index i (STAT_FIELDS numbers). */
export function statInto(out: Float64Array, i: number, absolute: string): void {
  const at = i * STAT_FIELDS;
  let stats;
  try {
    stats = lstatSync(absolute, { throwIfNoEntry: false });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    out[at] = code === 'ENOENT' || code === 'ENOTDIR' ? StatKind.MISSING : StatKind.ERROR;
    return;
  }
  if (stats === undefined) {
    out[at] = StatKind.MISSING;
    return;
  }
  out[at] = stats.isDirectory() ? StatKind.DIR : stats.isFile() ? StatKind.FILE : stats.isSymbolicLink() ? StatKind.SYMLINK : StatKind.OTHER;
  out[at + 1] = stats.mode;
  out[at + 2] = stats.size;
  out[at + 3] = stats.mtimeMs;
  out[at + 4] = stats.ctimeMs;
  out[at + 5] = stats.ino;
}

class StatWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (out: Float64Array) => void; reject: (error: Error) => void }>();
  private nextId = 0;
  private idle: NodeJS.Timeout | null = null;
  broken = false;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.unref();
    this.worker.on('message', ({ id, out }: { id: number; out: Float64Array }) => {
      this.pending.get(id)?.resolve(out);
      this.pending.delete(id);
      this.armIdle();
    });
    const fail = (error: Error): void => {
      this.broken = true;
      for (const { reject } of this.pending.values()) reject(error);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', () => fail(new Error('the stat worker ended')));
  }

  lstatMany(root: string, paths: string[]): Promise<Float64Array> {
    if (this.idle !== null) clearTimeout(this.idle);
    this.idle = null;
    // Held while it works: a process with nothing else to do would otherwise exit before the answer came.
    this.worker.ref();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, root, paths });
    });
  }

  private armIdle(): void {
    if (this.pending.size > 0) return;
    this.worker.unref();
    this.idle = setTimeout(() => {
      if (this.pending.size > 0) return;
      this.broken = true;
      if (shared === this) shared = null;
      void this.worker.terminate();
    }, IDLE_MS);
    this.idle.unref();
  }
}

let shared: StatWorker | null = null;

function worker(): StatWorker | null {
  if (shared !== null && !shared.broken) return shared;
  try {
    shared = new StatWorker();
  } catch {
    shared = null;
  }
  return shared;
}

/**
 * lstat of every root/relative path: STAT_FIELDS numbers per path. From
 * PARALLEL_FROM paths, the second half goes to the worker while this thread
 * does the first, pausing for the event loop every so often (`breathe`).
 */
export async function lstatAll(root: string, paths: readonly string[], breathe: () => Promise<void>): Promise<Float64Array> {
  const out = new Float64Array(paths.length * STAT_FIELDS);
  const helper = paths.length >= PARALLEL_FROM ? worker() : null;
  const half = helper === null ? paths.length : paths.length >> 1;
  const far = helper?.lstatMany(root, paths.slice(half)).catch(() => null) ?? Promise.resolve(null);
  for (let i = 0; i < half; i += 1) {
    statInto(out, i, path.join(root, paths[i]!));
    if (i % 256 === 255) await breathe();
  }
  const theirs = await far;
  if (theirs !== null) {
    out.set(theirs, half * STAT_FIELDS);
  } else {
    for (let i = half; i < paths.length; i += 1) {
      statInto(out, i, path.join(root, paths[i]!));
      if (i % 256 === 255) await breathe();
    }
  }
  return out;
}
