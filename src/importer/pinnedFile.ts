// A recorded file as the import found it when it began. A file still being
// written (an agent's log tailed mid-run) grew between the passes an import
// makes over it (the kind check, the survey that counts its lines, the copy
// to output.log, the parse): config.json said one line count, output.log,
// documented as the file byte for byte, held more, and the events came from
// more still. So the import takes the file's size and modification time once,
// every pass reads those bytes and no more, and at the end the file is looked
// at again: when it changed the import says so (changeSince). A file that
// shrank under the import (rewritten, truncated) cannot be read as it was,
// and the import stops, naming it.

import { closeSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { UsageError } from '../config/errors.js';
import { countOf, groupDigits } from '../state/groupDigits.js';

export interface PinnedFile {
  path: string;
  /** The file's size when the import began: what every pass reads. */
  bytes: number;
  /** Its modification time then, whole ms. */
  mtimeMs: number;
}

const COPY_CHUNK_BYTES = 1024 * 1024;

export async function pinFile(file: string): Promise<PinnedFile> {
  const info = await stat(file);
  return { path: file, bytes: info.size, mtimeMs: Math.floor(info.mtimeMs) };
}

/** The error of a pass that found fewer bytes than the import began with. */
export function shrankError(file: PinnedFile, at: number): UsageError {
  return new UsageError(
    `megatest import: FILE ${file.path}: it shrank while being imported (${countOf(file.bytes, 'byte')} when the import began, ${groupDigits(at)} read when it ended); import it once it is written`,
  );
}

/** Copies the pinned bytes of `file` to `target`, byte for byte, whatever was written to it since. */
export function copyPinned(file: PinnedFile, target: string): void {
  const source = openSync(file.path, 'r');
  try {
    const out = openSync(target, 'w', 0o644);
    try {
      const buffer = Buffer.allocUnsafe(Math.min(COPY_CHUNK_BYTES, Math.max(1, file.bytes)));
      let at = 0;
      while (at < file.bytes) {
        const read = readSync(source, buffer, 0, Math.min(buffer.length, file.bytes - at), at);
        if (read === 0) throw shrankError(file, at);
        writeSync(out, buffer, 0, read);
        at += read;
      }
    } finally {
      closeSync(out);
    }
  } finally {
    closeSync(source);
  }
}

/** How the file differs now from when it was pinned, in words; null when it has not changed. */
export function changeSince(file: PinnedFile): string | null {
  let now: { size: number; mtimeMs: number };
  try {
    now = statSync(file.path);
  } catch (error) {
    return `it is gone now (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
  if (now.size === file.bytes && Math.floor(now.mtimeMs) === file.mtimeMs) return null;
  const size = now.size === file.bytes ? `still ${countOf(file.bytes, 'byte')}, modified again` : `${countOf(file.bytes, 'byte')} when the import began, ${countOf(now.size, 'byte')} now`;
  return `it changed while it was imported (${size}): the import read its first ${countOf(file.bytes, 'byte')}, as they were then; import it again once it is written for the rest`;
}
