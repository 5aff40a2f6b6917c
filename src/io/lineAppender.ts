// Appends whole lines to a file in batches (one write call a batch, every few
// milliseconds): thousands of lines a second cost a few syscalls, and a kill
// -9 loses at most the last unflushed batch, never half a line.
//
// A batch the disk refuses (full, over quota, failing) is never left half
// written: the file is cut back to its last whole line, the lines stay queued
// in memory, the writer reports itself stalled, and it retries with backoff
// until the disk takes them, in their order (docs/recovery.md, "A full disk").

import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import type { WriteHealth } from './writeHealth.js';

const FLUSH_INTERVAL_MS = 20;
const FLUSH_BYTES = 256 * 1024;
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5_000;

export interface LineAppenderOptions {
  /** Where a stalled writer reports; without it, a failed write still never tears a line. */
  health?: WriteHealth;
  /** Name in health reports (events.jsonl, session.log). */
  name?: string;
  /**
   * Bytes kept queued while the disk refuses them; past it, the oldest queued
   * lines are dropped and counted (session.log), or nothing is dropped (0:
   * events, which the session pauses for).
   */
  maxQueuedBytes?: number;
  /** The line that says how many were dropped, put where they were. */
  droppedLine?: (count: number) => string;
  /** The write call, for tests that play a full disk. */
  write?: (fd: number, buffer: Buffer, offset: number) => number;
}

export class LineAppender {
  private fd: number;
  private pending: string[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Size of the file up to its last line written whole. */
  private committedBytes: number;
  private stalledSince: number | null = null;
  private retryMs = RETRY_FIRST_MS;
  private dropped = 0;
  private readonly write: (fd: number, buffer: Buffer, offset: number) => number;

  constructor(
    readonly file: string,
    private readonly options: LineAppenderOptions = {},
  ) {
    this.fd = openSync(file, 'a');
    this.committedBytes = fstatSync(this.fd).size;
    this.write = options.write ?? ((fd, buffer, offset) => writeSync(fd, buffer, offset));
  }

  /** The disk refused the last batch and the lines wait in memory. */
  get stalled(): boolean {
    return this.stalledSince !== null;
  }

  append(line: string): void {
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (this.stalled) {
      this.bound();
      return;
    }
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
    else this.schedule(FLUSH_INTERVAL_MS);
  }

  /** Writes what is queued; returns false when the disk refused it (the lines stay queued). */
  flush(): boolean {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.length === 0 || this.fd < 0) return true;
    // Lines dropped while the disk was full are said where they were.
    const marker = this.dropped > 0 ? (this.options.droppedLine?.(this.dropped) ?? '') : '';
    const chunk = Buffer.from(marker + this.pending.join(''));
    try {
      let offset = 0;
      while (offset < chunk.length) offset += this.write(this.fd, chunk, offset);
    } catch (error) {
      this.refused(error);
      return false;
    }
    this.pending = [];
    this.pendingBytes = 0;
    this.dropped = 0;
    this.committedBytes += chunk.length;
    if (this.stalled) {
      this.stalledSince = null;
      this.retryMs = RETRY_FIRST_MS;
      this.options.health?.ok(this.name);
    }
    return true;
  }

  close(): void {
    this.flush();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private get name(): string {
    return this.options.name ?? this.file;
  }

  private refused(error: unknown): void {
    // Cut a partly written batch back to the last whole line; the batch stays queued.
    try {
      if (fstatSync(this.fd).size !== this.committedBytes) ftruncateSync(this.fd, this.committedBytes);
    } catch {
      // the next successful write starts at the end of the file; repairEventLog drops a torn tail on restart
    }
    if (this.stalledSince === null) this.stalledSince = Date.now();
    this.options.health?.fail(this.name, error);
    this.bound();
    this.schedule(this.retryMs);
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
  }

  private bound(): void {
    const max = this.options.maxQueuedBytes ?? 0;
    if (max <= 0 || this.pendingBytes <= max) return;
    while (this.pendingBytes > max / 2 && this.pending.length > 1) {
      this.pendingBytes -= this.pending.shift()!.length;
      this.dropped += 1;
    }
  }

  private schedule(ms: number): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, ms);
    this.timer.unref();
  }
}

/**
 * Appends one whole line at once (a file written now and then): a torn last
 * line (a write cut short by a full disk or a power cut) is cut off first,
 * and a refused write is cut back to the last whole line and thrown, so the
 * file holds whole lines only.
 */
export function appendWholeLine(file: string, line: string): void {
  const fd = openSync(file, 'a+');
  try {
    let before = fstatSync(fd).size;
    if (before > 0) {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, before - 1);
      if (last[0] !== 0x0a) {
        const text = Buffer.alloc(before);
        readSync(fd, text, 0, before, 0);
        before = text.lastIndexOf(0x0a) + 1;
        ftruncateSync(fd, before);
      }
    }
    const buffer = Buffer.from(line);
    try {
      let offset = 0;
      while (offset < buffer.length) offset += writeSync(fd, buffer, offset);
    } catch (error) {
      try {
        ftruncateSync(fd, before);
      } catch {
        // a reader skips a torn last line, and the next append cuts it off
      }
      throw error;
    }
  } finally {
    closeSync(fd);
  }
}
