// session.log as of a moment: the last n lines written at or before a time,
// found with a seek and a short read. Lines are `<ISO time> <LEVEL>
// [<source>] <message>` (src/io/eventLog.ts); the index samples the time of
// the first line starting after every SAMPLE_EVERY bytes (a few thousand
// small reads for a GB of log, never the whole file) and keeps the running
// maximum, so a lookup reads at most one sample interval forward and the n
// lines back. A line without a time (a raw output line, a legacy log) takes
// the time of the line before it; lines before any timed line are shown at
// every time.

import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { isoTimeMs } from './isoTime.js';
import { scanLines } from './lineScan.js';

export const LOG_FILE = 'session.log';
const SAMPLE_EVERY = 128 * 1024;
const SAMPLE_READ = 8 * 1024;
const LOG_ENTRY_CAP = 65_536;
/** The most bytes read back for one logLinesAt, whatever n is. */
const MAX_BACK_BYTES = 4 << 20;

export interface LogIndexData {
  /** Bytes covered: the end of the last complete line when last sampled. */
  end: number;
  every: number;
  /** Line starts sampled, and the running maximum of their times (ms). */
  offsets: number[];
  maxMs: number[];
}

/** The time at the start of a session.log line, or NaN. */
export function lineTimeMs(line: string): number {
  if (line.length < 20 || line.charCodeAt(4) !== 45 /* - */ || line.charCodeAt(10) !== 84 /* T */) return NaN;
  const space = line.indexOf(' ', 19);
  return isoTimeMs(space < 0 ? line : line.slice(0, space));
}

export class LogIndex {
  end: number;
  every: number;
  offsets: number[];
  maxMs: number[];

  constructor(data?: LogIndexData) {
    this.end = data?.end ?? 0;
    this.every = data?.every ?? SAMPLE_EVERY;
    this.offsets = data?.offsets ?? [];
    this.maxMs = data?.maxMs ?? [];
  }

  toJSON(): LogIndexData {
    return { end: this.end, every: this.every, offsets: this.offsets, maxMs: this.maxMs };
  }

  /** Samples the log from where the index stopped up to the last complete line before `size`. */
  extend(fd: number, size: number): void {
    const end = lastLineEnd(fd, this.end, size);
    if (end <= this.end) return;
    const buffer = Buffer.allocUnsafe(SAMPLE_READ);
    let running = this.maxMs.length > 0 ? this.maxMs[this.maxMs.length - 1]! : -Infinity;
    const last = this.offsets.length > 0 ? this.offsets[this.offsets.length - 1]! : -1;
    let point = last < 0 ? 0 : (Math.floor(last / this.every) + 1) * this.every;
    for (; point < end; point += this.every) {
      // The first line starting at or after `point`: read from the byte before it.
      const from = Math.max(0, point - 1);
      const got = readSync(fd, buffer, 0, Math.min(SAMPLE_READ, end - from), from);
      const text = buffer.toString('latin1', 0, got);
      let start = point === 0 ? 0 : text.indexOf('\n') + 1;
      if (start <= 0 && point !== 0) continue; // a line longer than the read: the next sample finds its end
      // The first line with a time at or after there (a few tries within the read).
      for (let tries = 0; tries < 8 && start < text.length; tries++) {
        const newline = text.indexOf('\n', start);
        const line = text.slice(start, newline < 0 ? undefined : newline);
        const ms = lineTimeMs(line);
        if (!Number.isNaN(ms)) {
          running = Math.max(running, ms);
          this.offsets.push(from + start);
          this.maxMs.push(running);
          break;
        }
        if (newline < 0) break;
        start = newline + 1;
      }
      if (this.offsets.length > LOG_ENTRY_CAP) this.halve();
    }
    this.end = end;
  }

  private halve(): void {
    this.offsets = this.offsets.filter((_, i) => i % 2 === 0);
    this.maxMs = this.maxMs.filter((_, i) => i % 2 === 0);
    this.every *= 2;
  }

  /** The last n lines written at or before ms (oldest first). */
  async linesAt(handle: FileHandle, ms: number, n: number): Promise<string[]> {
    if (n <= 0 || this.end === 0) return [];
    // The last sample at or before ms; read forward from it to the first line past ms.
    let lo = 0;
    let hi = this.maxMs.length - 1;
    let sample = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.maxMs[mid]! <= ms) {
        sample = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const from = sample < 0 ? 0 : this.offsets[sample]!;
    let running = sample < 0 ? -Infinity : this.maxMs[sample]!;
    let cut = this.end;
    await scanLines(
      handle,
      from,
      this.end,
      (text, start) => {
        const at = text === null ? NaN : lineTimeMs(text);
        if (!Number.isNaN(at)) running = Math.max(running, at);
        if (running > ms) {
          cut = start;
          return false;
        }
        return true;
      },
      { chunkBytes: 64 * 1024 },
    );
    return readLinesBefore(handle, cut, n);
  }
}

/** The byte after the last '\n' in [from, size), or `from` when there is none. */
function lastLineEnd(fd: number, from: number, size: number): number {
  const block = Buffer.allocUnsafe(64 * 1024);
  let to = size;
  while (to > from) {
    const start = Math.max(from, to - block.length);
    const got = readSync(fd, block, 0, to - start, start);
    const newline = block.subarray(0, got).lastIndexOf(10);
    if (newline >= 0) return start + newline + 1;
    to = start;
  }
  return from;
}

/** The last n complete lines ending at byte `end` (a line start), oldest first. */
async function readLinesBefore(handle: FileHandle, end: number, n: number): Promise<string[]> {
  const parts: Buffer[] = [];
  let newlines = 0;
  let at = end;
  let read = 0;
  while (at > 0 && newlines <= n && read < MAX_BACK_BYTES) {
    const size = Math.min(64 * 1024, at);
    const chunk = Buffer.allocUnsafe(size);
    const { bytesRead } = await handle.read(chunk, 0, size, at - size);
    const got = chunk.subarray(0, bytesRead);
    for (let i = 0; i < got.length; i++) if (got[i] === 10) newlines += 1;
    parts.unshift(got);
    at -= size;
    read += size;
  }
  const lines = Buffer.concat(parts).toString('utf8').split('\n');
  lines.pop(); // what follows the last newline: nothing, as `end` is a line start
  // Without the start of the file in the read, the first piece may be a partial line.
  if (at > 0) lines.shift();
  return lines.slice(Math.max(0, lines.length - n));
}
