// Size-capped logs, rotated the way logrotate does it: once a log passes its
// cap it is renamed <name>.1 (the older ones shifted to .2, .3 …, the oldest
// past `keep` dropped) and a new <name> starts. A run of days kept writing
// agents/<name>/output.log (120 MB an hour for a chatty agent),
// metrics/metrics.jsonl and session.log until the disk was full.
//
// Crash safety: each step is one rename, which is atomic, and the current
// file is renamed only after every byte meant for it is written. A kill -9
// between two renames leaves a gap in the numbers (.2 missing) or no current
// file for a moment; readers pass over a missing name, the next rotation
// fills the gap, and the next write (or a restart) creates the current file.
// Nothing is ever copied or truncated, so no byte is in two files or none.

import { close, fstat, open, promises as fsp, readdirSync, renameSync, statSync, unlinkSync, write } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';

/** When a log is rotated and how many older files are kept ([monitoring] log_rotate_mb, log_rotate_keep). */
export interface LogRotation {
  /** The log is rotated once it holds at least this many bytes. */
  maxBytes: number;
  /** Older files kept (<name>.1 newest … <name>.<keep> oldest), 1 or more. */
  keep: number;
}

/** The shipped defaults (config/mega_test_config.toml): 64 MiB, three older files. */
export const DEFAULT_LOG_ROTATION: LogRotation = { maxBytes: 64 * 1024 * 1024, keep: 3 };

/** [monitoring] log_rotate_mb and log_rotate_keep as a LogRotation. */
export function logRotationOf(monitoring: { log_rotate_mb: number; log_rotate_keep: number }): LogRotation {
  return { maxBytes: monitoring.log_rotate_mb * 1024 * 1024, keep: monitoring.log_rotate_keep };
}

/**
 * The steps of one rotation, highest number first, so that no rename lands on
 * a file still to be moved: the files numbered `keep` or more are deleted
 * (their place is needed, or a larger keep left them), each other <name>.n
 * becomes <name>.n+1, and <name> becomes <name>.1. Only the names that exist
 * are moved: a gap a crash left stays a gap until the shift closes it.
 */
function shiftPlan(file: string, keep: number): { from: string; to: string | null }[] {
  const plan: { from: string; to: string | null }[] = [];
  for (const { n, name } of numberedLogs(file).reverse()) plan.push({ from: name, to: n >= keep ? null : `${file}.${n + 1}` });
  plan.push({ from: file, to: `${file}.1` });
  return plan;
}

function missing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

/** Renames `file` to `file.1` (shifting the older ones, the oldest past `keep` deleted). */
export function rotateSync(file: string, keep: number): void {
  for (const { from, to } of shiftPlan(file, keep)) {
    try {
      if (to === null) unlinkSync(from);
      else renameSync(from, to);
    } catch (error) {
      if (!missing(error)) throw error;
    }
  }
}

/** rotateSync without blocking the event loop (output.log, written while agents print). */
export async function rotate(file: string, keep: number): Promise<void> {
  for (const { from, to } of shiftPlan(file, keep)) {
    try {
      if (to === null) await fsp.unlink(from);
      else await fsp.rename(from, to);
    } catch (error) {
      if (!missing(error)) throw error;
    }
  }
}

/**
 * Rotates `file` when it holds `rotation.maxBytes` or more (a log appended a
 * whole line at a time, now and then: metrics.jsonl). Called after an append,
 * so the file renamed away ends with a whole line.
 */
export function rotateIfFull(file: string, rotation: LogRotation): boolean {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return false;
  }
  if (size < rotation.maxBytes) return false;
  rotateSync(file, rotation.keep);
  return true;
}

/**
 * The older files of `file` that exist, newest first (<name>.1, <name>.2 …).
 * Found by listing the folder, not by the configured keep: a reader does not
 * know it, and a run resumed with a smaller keep leaves higher numbers.
 */
export function olderLogs(file: string): string[] {
  return numberedLogs(file).map((entry) => entry.name);
}

/** <name>.1, <name>.2 … that exist, by number (a listing of one folder: a rotation costs one, not `keep` renames). */
function numberedLogs(file: string): { n: number; name: string }[] {
  const base = path.basename(file);
  let names: string[];
  try {
    names = readdirSync(path.dirname(file));
  } catch {
    return [];
  }
  const numbered: { n: number; name: string }[] = [];
  for (const name of names) {
    const match = name.startsWith(base + '.') ? /^[1-9]\d*$/.exec(name.slice(base.length + 1)) : null;
    if (match) numbered.push({ n: Number(match[0]), name: path.join(path.dirname(file), name) });
  }
  return numbered.sort((a, b) => a.n - b.n);
}

/**
 * An append-only file stream (output.log) that rotates itself past
 * `rotation.maxBytes`. It is a Writable with fs.WriteStream's own members
 * (path, bytesWritten, pending, close), so it stands where a WriteStream did:
 * write() returns false past the high water mark and 'drain' follows, which
 * is what pauses an agent's pipes (recordOutput).
 *
 * Writes are serialised by the Writable: a rotation happens between two
 * writes, after the first has reached the old file, so every byte is in
 * exactly one file and in order. Each step is asynchronous: a rotation never
 * holds up the event loop; the writes that arrive meanwhile queue (and pause
 * the agent past the high water mark) and go to the new file.
 */
export class RotatingFileStream extends Writable {
  /** fs.WriteStream's: bytes written by this stream, all files together. */
  bytesWritten = 0;
  /** fs.WriteStream's: true until the file is open. */
  pending = true;
  private fd = -1;
  /** Bytes in the current file (what it held when opened, then what was written). */
  private size = 0;
  /** Size at which the next rotation is due: past the cap, or later again after a rotation failed. */
  private rotateAt: number;

  constructor(
    readonly path: string,
    private readonly rotation: LogRotation = DEFAULT_LOG_ROTATION,
    highWaterMark?: number,
  ) {
    super({ highWaterMark, decodeStrings: true });
    this.rotateAt = rotation.maxBytes;
  }

  /** fs.WriteStream's close(): ends the stream; `callback` runs once it closed. */
  close(callback?: (error?: NodeJS.ErrnoException | null) => void): void {
    if (callback) {
      if (this.closed) process.nextTick(callback);
      else this.once('close', () => callback());
    }
    this.end();
  }

  override _construct(callback: (error?: Error | null) => void): void {
    this.openFile((error) => {
      this.pending = false;
      callback(error);
    });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeAll(chunk, 0, callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    // Many small chunks queued during a rotation or a slow write: one write call for all of them.
    this.writeAll(Buffer.concat(chunks.map((entry) => entry.chunk)), 0, callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.fd < 0) return callback(error);
    const fd = this.fd;
    this.fd = -1;
    close(fd, (closeError) => callback(error ?? closeError));
  }

  private openFile(done: (error: NodeJS.ErrnoException | null) => void): void {
    open(this.path, 'a', (error, fd) => {
      if (error) return done(error);
      fstat(fd, (statError, stats) => {
        this.fd = fd;
        this.size = statError ? 0 : stats.size;
        this.rotateAt = this.rotation.maxBytes;
        done(null);
      });
    });
  }

  private writeAll(buffer: Buffer, offset: number, callback: (error?: Error | null) => void): void {
    write(this.fd, buffer, offset, buffer.length - offset, null, (error, written) => {
      if (error) return callback(error);
      this.bytesWritten += written;
      this.size += written;
      if (offset + written < buffer.length) return this.writeAll(buffer, offset + written, callback);
      if (this.size < this.rotateAt) return callback();
      this.rotateFile(callback);
    });
  }

  /** Renames the full file away and opens a new one; the write that filled it is acknowledged only after. */
  private rotateFile(callback: (error?: Error | null) => void): void {
    const old = this.fd;
    rotate(this.path, this.rotation.keep).then(
      () =>
        this.openFile((error) => {
          if (error) {
            // No new file (a full folder, a permission taken away): the old one is still open, under its new name.
            // Its bytes are kept there rather than lost; the error says why, as a write error would.
            this.fd = old;
            return callback(error);
          }
          close(old, () => callback());
        }),
      () => {
        // Not renamed (the folder refuses it): write on in the same file and try again one cap later.
        this.rotateAt = this.size + this.rotation.maxBytes;
        callback();
      },
    );
  }
}

/**
 * The last `maxBytes` bytes written to a rotated log: the current file's end,
 * preceded by the end of <name>.1 (and older) when the current file holds
 * less, so a log rotated a moment ago still shows its last lines. `whole` is
 * true when the bytes reach back to the first one kept (no line is cut).
 */
export async function readLogTail(file: string, maxBytes: number): Promise<{ data: Buffer; whole: boolean }> {
  const parts: Buffer[] = [];
  let left = maxBytes;
  const seen = new Set<number>();
  // The current file is opened first: a rotation after that moves it to .1, seen as the same file (its inode) and passed over.
  for (const name of [file, ...olderLogs(file)]) {
    if (left <= 0) return { data: Buffer.concat(parts.reverse()), whole: false };
    const handle = await fsp.open(name, 'r').catch(() => null);
    if (handle === null) continue; // a gap a crash left, or no current file between a rename and its successor
    try {
      const stats = await handle.stat();
      if (seen.has(stats.ino)) continue;
      seen.add(stats.ino);
      const length = Math.min(stats.size, left);
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, stats.size - length);
      parts.push(buffer.subarray(0, bytesRead));
      left -= bytesRead;
      if (length < stats.size) return { data: Buffer.concat(parts.reverse()), whole: false };
    } finally {
      await handle.close();
    }
  }
  return { data: Buffer.concat(parts.reverse()), whole: true };
}
