// Reads a recorded agent file line by line, as a stream: a fixed-size chunk
// at a time, never the whole file, however large. Lines are split the way a
// live agent's output is (LineSplitter): a line longer than MAX_LINE_CHARS is
// still one line, skimmed or cut to its start, so a 10 MB line or binary
// garbage without a newline cannot eat memory here either.

import { open } from 'node:fs/promises';
import { LineSplitter } from '../agents/lineSplitter.js';
import { shrankError, type PinnedFile } from './pinnedFile.js';

/** Bytes read at a time. */
export const READ_CHUNK_BYTES = 256 * 1024;

/** The UTF-8 byte order mark some Windows tools (PowerShell's Out-File, Notepad) put first in a file. */
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * UTF-16 by its byte order mark: what Windows PowerShell 5's `>` writes
 * (`claude -p … > run.ndjson`). Read as it was, every other byte a zero, no
 * line was JSON and the file was refused as "no line of it is claude-code
 * output". Decoded to UTF-8 as it is read, the mark dropped.
 */
function utf16Of(start: Buffer): 'utf-16le' | 'utf-16be' | null {
  if (start.length < 2) return null;
  if (start[0] === 0xff && start[1] === 0xfe) return 'utf-16le';
  if (start[0] === 0xfe && start[1] === 0xff) return 'utf-16be';
  return null;
}

/** The bytes the line splitter is given for each chunk read: UTF-8, without a byte order mark. */
function chunkDecoder(first: Buffer): (chunk: Buffer, last: boolean) => Buffer {
  const utf16 = utf16Of(first);
  if (utf16 !== null) {
    // The decoder drops the mark, and holds a character split between two chunks until the next.
    const decoder = new TextDecoder(utf16);
    return (chunk, last) => Buffer.from(decoder.decode(chunk, { stream: !last }), 'utf8');
  }
  // A byte order mark is no part of the first line: left on, it made that line unreadable JSON (Claude's init
  // line a parse failure) and a file of one such line "not claude-code output". Not a line of its own either.
  let skip = first.length >= UTF8_BOM.length && first.subarray(0, UTF8_BOM.length).equals(UTF8_BOM) ? UTF8_BOM.length : 0;
  return (chunk) => {
    const rest = chunk.subarray(skip);
    skip = 0;
    return rest;
  };
}

/**
 * The file's lines in order, without their '\n' (a '\r' before it is left to the parsers, as live):
 * of its first `file.bytes` only, the size it had when the import began, however it grows meanwhile.
 */
export async function* readLines(file: PinnedFile, chunkBytes = READ_CHUNK_BYTES): AsyncGenerator<string> {
  const handle = await open(file.path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(chunkBytes);
    let ready: string[] = [];
    const splitter = new LineSplitter((line) => ready.push(line));
    let decode: ((chunk: Buffer, last: boolean) => Buffer) | null = null;
    let at = 0;
    while (at < file.bytes) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, file.bytes - at), at);
      if (bytesRead === 0) throw shrankError(file, at);
      at += bytesRead;
      const chunk = buffer.subarray(0, bytesRead);
      decode ??= chunkDecoder(chunk);
      splitter.push(decode(chunk, at >= file.bytes));
      // At most one chunk's lines are held at a time.
      const lines = ready;
      ready = [];
      yield* lines;
    }
    splitter.end();
    yield* ready;
  } finally {
    await handle.close();
  }
}

/** A line that is one JSON object, as an object; undefined for any other line (text, an array, broken JSON). */
export function jsonObjectLine(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return value === null || typeof value !== 'object' || Array.isArray(value) ? undefined : (value as Record<string, unknown>);
}
