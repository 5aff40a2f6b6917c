// Reads a file's lines from a byte offset in fixed-size chunks: never the
// whole file in one string, however long the run. Each line reaches the sink
// with its byte range, so a seek index can record where events begin and a
// reader can start again from any of them.

import type { FileHandle } from 'node:fs/promises';

/**
 * One complete line (its '\n' seen): text without the newline, or null for a
 * line longer than maxLineBytes (not decoded; no event is that long).
 * start is its first byte, end the byte after its '\n'. Return false to stop.
 */
export type LineSink = (text: string | null, start: number, end: number) => boolean | void;

export interface ScanEnd {
  /** The byte after the last complete line handed to the sink. */
  end: number;
  /** The sink asked to stop. */
  stopped: boolean;
  /** Bytes after `end`, up to `to`, with no newline: a line still being written, or torn. */
  tailBytes: number;
}

export interface ScanOptions {
  chunkBytes?: number;
  maxLineBytes?: number;
  /** Called after each chunk with the file offset reached. */
  onChunk?: (offset: number) => void;
}

const NEWLINE = 10;

export async function scanLines(handle: FileHandle, from: number, to: number, sink: LineSink, options: ScanOptions = {}): Promise<ScanEnd> {
  const maxLine = options.maxLineBytes ?? 16 << 20;
  let buffer = Buffer.allocUnsafe(Math.min(options.chunkBytes ?? 1 << 20, Math.max(4096, to - from)));
  /** File offset of buffer[0]; buffer[0..filled) holds the unfinished line and what follows it. */
  let base = from;
  let filled = 0;
  let searchFrom = 0;
  /** Start of an overlong line being skipped, or -1. */
  let skipStart = -1;
  while (base + filled < to) {
    if (filled === buffer.length) {
      if (buffer.length >= maxLine) {
        // No newline in maxLine bytes: not an event. Skip to its end without keeping it.
        if (skipStart < 0) skipStart = base;
        base += filled;
        filled = 0;
        searchFrom = 0;
      } else {
        const bigger = Buffer.allocUnsafe(Math.min(maxLine, buffer.length * 2));
        buffer.copy(bigger, 0, 0, filled);
        buffer = bigger;
      }
    }
    const want = Math.min(buffer.length - filled, to - (base + filled));
    const { bytesRead } = await handle.read(buffer, filled, want, base + filled);
    if (bytesRead === 0) break; // the file is shorter than `to` (truncated meanwhile)
    filled += bytesRead;
    const view = buffer.subarray(0, filled);
    let lineStart = 0;
    let newline = view.indexOf(NEWLINE, searchFrom);
    while (newline >= 0) {
      const start = skipStart >= 0 ? skipStart : base + lineStart;
      const text = skipStart >= 0 ? null : view.toString('utf8', lineStart, newline);
      skipStart = -1;
      lineStart = newline + 1;
      if (sink(text, start, base + lineStart) === false) return { end: base + lineStart, stopped: true, tailBytes: 0 };
      newline = view.indexOf(NEWLINE, lineStart);
    }
    if (lineStart > 0) {
      buffer.copy(buffer, 0, lineStart, filled);
      base += lineStart;
      filled -= lineStart;
    }
    searchFrom = filled;
    options.onChunk?.(base + filled);
  }
  const end = skipStart >= 0 ? skipStart : base;
  return { end, stopped: false, tailBytes: base + filled - end };
}
