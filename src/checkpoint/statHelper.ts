// lstat of many paths, half of them on a second thread. A walk of a big
// project/ is mostly lstat calls (at 50,000 files about 250-370 ms of a
// no-change checkpoint); through libuv's thread pool each call costs more
// than it saves, but a worker thread doing plain lstatSync over half the
// list while this thread does the other half takes about half the time on
// two cores (helperThread.ts: started when needed, ended when unused; if it
// cannot run, this thread does all).

import { lstatSync } from 'node:fs';
import { LazyHelper } from './helperThread.js';

/** Numbers per path in a result: kind, mode, size, mtimeMs, ctimeMs, ino. */
export const STAT_FIELDS = 6;

/** What a path turned out to be; ERROR means "lstat it again here to see the error". */
export const StatKind = { MISSING: 0, DIR: 1, FILE: 2, SYMLINK: 3, OTHER: 4, ERROR: 5 } as const;

/** Below this many paths the second thread costs more than it saves. */
export const PARALLEL_FROM = 4096;

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
  parentPort.postMessage({ id, value: out }, [out.buffer]);
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

const statThread = new LazyHelper(WORKER_SOURCE);

/**
 * Starts the helper thread ahead of a walk of a big tree, so its start-up
 * (~30 ms) overlaps what comes before the walk's lstats (the temp sweep, the
 * stat cache's load, the folders' listing) instead of holding the walk up.
 */
export function warmStatHelper(): void {
  statThread.get();
}

/**
 * lstat of every root/relative path: STAT_FIELDS numbers per path. From
 * PARALLEL_FROM paths, the second half goes to the worker while this thread
 * does the first, pausing for the event loop every so often (`breathe`).
 */
export async function lstatAll(root: string, paths: readonly string[], breathe: () => Promise<void>): Promise<Float64Array> {
  const out = new Float64Array(paths.length * STAT_FIELDS);
  const helper = paths.length >= PARALLEL_FROM ? statThread.get() : null;
  const half = helper === null ? paths.length : paths.length >> 1;
  const far = helper?.call<Float64Array>({ root, paths: paths.slice(half) }).catch(() => null) ?? Promise.resolve(null);
  // Joined as strings, as the worker does (root is resolved, the paths walked ones): path.join's normalising cost 20 ms a walk at 50,000 files.
  const prefix = root.endsWith('/') ? root : `${root}/`;
  for (let i = 0; i < half; i += 1) {
    statInto(out, i, prefix + paths[i]!);
    if (i % 256 === 255) await breathe();
  }
  const theirs = await far;
  if (theirs !== null) {
    out.set(theirs, half * STAT_FIELDS);
  } else {
    for (let i = half; i < paths.length; i += 1) {
      statInto(out, i, prefix + paths[i]!);
      if (i % 256 === 255) await breathe();
    }
  }
  return out;
}
