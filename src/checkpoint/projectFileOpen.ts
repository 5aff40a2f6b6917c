// Opening a file of project/ to store it. The walk saw a regular file, but
// an agent works on meanwhile: by the time it is read, the path may be a
// symlink (opened through, its target's content was stored as the project
// file) or a FIFO (opened, the read waited for a writer that never came,
// and the store, which runs one job at a time, held every later checkpoint
// and restore behind it). The open follows no link and waits for no writer,
// and anything but a regular file counts as gone since the walk: the next
// snapshot sees what is there now.

import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';

/** errorCode of a path that is no longer a regular file; the snapshot treats it as vanished since the walk, as ENOENT. */
export const NOT_A_REGULAR_FILE = 'ENOTREG';

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** A descriptor of the regular file at `absolute`, and its size; throws NOT_A_REGULAR_FILE (or ELOOP for a symlink) otherwise. */
export function openRegularFile(absolute: string): { fd: number; size: number } {
  const fd = openSync(absolute, OPEN_FLAGS);
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw Object.assign(new Error(`${absolute}: no longer a regular file`), { code: NOT_A_REGULAR_FILE });
    return { fd, size: stats.size };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** The whole content of the regular file at `absolute` (see openRegularFile). */
export function readRegularFile(absolute: string): Buffer {
  const { fd } = openRegularFile(absolute);
  try {
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}
