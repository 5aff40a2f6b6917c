// lstat of many paths, shared with a second thread. A walk of a big
// project/ is mostly lstat calls (at 50,000 files about 250-370 ms of a
// no-change checkpoint); through libuv's thread pool each call costs more
// than it saves, but a worker thread doing plain lstatSync beside this
// thread takes about half the time on two cores (helperThread.ts: started
// when needed, ended when unused; if it cannot run, this thread does all).
//
// The two threads take the paths in chunks from one shared counter and write
// into one shared result, so neither waits while the other has work: this
// thread may first do something else (`meanwhile`: a restart loads the stat
// cache while the worker lstats the walk), or turn the event loop, and the
// worker takes more. A chunk is counted done (a second counter) once its
// results are written; the worker answers when it takes no more.
//
// A walk's items read their fields where the lstat left them (StatFields).

import { lstatSync } from 'node:fs';
import { LazyHelper } from './helperThread.js';

/** Numbers per path in a result: kind, mode, size, mtimeMs, ctimeMs, ino. */
export const STAT_FIELDS = 6;

/** What a path turned out to be; ERROR means "lstat it again here to see the error". */
export const StatKind = { MISSING: 0, DIR: 1, FILE: 2, SYMLINK: 3, OTHER: 4, ERROR: 5 } as const;

/** Below this many paths the second thread costs more than it saves. */
export const PARALLEL_FROM = 4096;

/** Paths taken at once from the shared counter (and between two turns of the event loop here). */
const CHUNK = 256;

// The same as statInto below, for the worker (CommonJS, node's own modules only).
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { lstatSync } = require('node:fs');
parentPort.on('message', ({ id, root, joined, results, counters }) => {
  const paths = joined.split('\\0');
  const out = new Float64Array(results);
  const claims = new Int32Array(counters);
  const prefix = root.endsWith('/') ? root : root + '/';
  let done = 0;
  for (let start = Atomics.add(claims, 0, ${CHUNK}); start < paths.length; start = Atomics.add(claims, 0, ${CHUNK})) {
    const end = Math.min(start + ${CHUNK}, paths.length);
    for (let i = start; i < end; i += 1) {
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
    Atomics.add(claims, 1, end - start);
    done += end - start;
  }
  parentPort.postMessage({ id, value: done });
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

/**
 * The fields of an item's lstat that the index compares. A walk keeps these
 * instead of the Stats (with its four Dates): at 50,000 files the Stats held
 * to the end of a snapshot were most of its garbage-collection time.
 */
export interface ItemStat {
  mode: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

/**
 * An item's ItemStat, read where the walk's lstat left it (STAT_FIELDS
 * numbers at `at`). An object literal of the five numbers was six objects
 * an item, each double field a heap number of its own: at 50,000 files
 * making them took a no-change checkpoint about 17 ms, and they were most
 * of what its garbage collections copied. The results array lives as long
 * as the items do (about 2.6 MB at 50,000 files).
 */
export class StatFields implements ItemStat {
  constructor(
    private readonly values: Float64Array,
    private readonly at: number,
  ) {}

  get mode(): number {
    return this.values[this.at + 1]!;
  }

  get size(): number {
    return this.values[this.at + 2]!;
  }

  get mtimeMs(): number {
    return this.values[this.at + 3]!;
  }

  get ctimeMs(): number {
    return this.values[this.at + 4]!;
  }

  get ino(): number {
    return this.values[this.at + 5]!;
  }
}

const statThread = new LazyHelper(WORKER_SOURCE);

/**
 * Starts the helper thread ahead of a walk of a big tree, so its start-up
 * (~30 ms) overlaps what comes before the walk's lstats (the temp sweep,
 * the folders' listing) instead of holding the walk up.
 */
export function warmStatHelper(): void {
  statThread.get();
}

/**
 * lstat of every root/relative path: STAT_FIELDS numbers per path. From
 * PARALLEL_FROM paths they are shared with the worker, chunk by chunk, while
 * this thread first runs `meanwhile` (if given) and then takes chunks too,
 * pausing for the event loop between them (`breathe`).
 */
export async function lstatAll(root: string, paths: readonly string[], breathe: () => Promise<void>, meanwhile?: () => Promise<void>): Promise<Float64Array> {
  const helper = paths.length >= PARALLEL_FROM ? statThread.get() : null;
  const shared = helper !== null;
  const out = shared ? new Float64Array(new SharedArrayBuffer(paths.length * STAT_FIELDS * Float64Array.BYTES_PER_ELEMENT)) : new Float64Array(paths.length * STAT_FIELDS);
  // [next path to take, paths done]
  const claims = shared ? new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT)) : new Int32Array(2);
  // One string, not an array of 50,000: it is copied to the worker as one block.
  const far = shared ? helper.call<number>({ root, joined: paths.join('\0'), results: out.buffer, counters: claims.buffer }).catch(() => null) : null;
  await meanwhile?.();
  // Joined as strings, as the worker does (root is resolved, the paths walked ones): path.join's normalising cost 20 ms a walk at 50,000 files.
  const prefix = root.endsWith('/') ? root : `${root}/`;
  const statChunk = (start: number): void => {
    const end = Math.min(start + CHUNK, paths.length);
    for (let i = start; i < end; i += 1) statInto(out, i, prefix + paths[i]!);
    Atomics.add(claims, 1, end - start);
  };
  const mine = new Set<number>();
  for (let start = Atomics.add(claims, 0, CHUNK); start < paths.length; start = Atomics.add(claims, 0, CHUNK)) {
    statChunk(start);
    mine.add(start);
    await breathe();
  }
  // The worker may still be writing the chunks it took: it answers once it takes no more.
  if (far !== null && Atomics.load(claims, 1) < paths.length && (await far) === null) {
    // It ended midway: its chunks, done or not, are done again here.
    for (let start = 0; start < paths.length; start += CHUNK) if (!mine.has(start)) statChunk(start);
  }
  return out;
}
