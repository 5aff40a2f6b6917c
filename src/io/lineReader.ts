// Reads the complete lines appended to one file since the last read, the
// file held open between reads (the console's tail of events.jsonl and
// session.log: tail.ts). A partial last line waits for its newline; a file
// truncated, rewritten in place or replaced starts over from its beginning.

import { promises as fs } from 'node:fs';

const CHUNK_BYTES = 1024 * 1024;
/** What a busy run appends in a read gap fits in one read of this size. */
const FIRST_READ_BYTES = 64 * 1024;
/** Bytes before the offset remembered to notice a file truncated or rewritten in place. */
const FINGERPRINT_BYTES = 64;
const NEWLINE = 0x0a;

/**
 * Reads the complete lines appended to one file since the last call. The
 * file stays open between reads: a busy run appends every few
 * milliseconds, and an open, a stat and a close per read were a tenth of the
 * console's time. A read is one read call of what was appended, with the few
 * bytes before it that tell a file truncated or rewritten in place. A file
 * replaced (renamed over) or removed is noticed when `checkPath` asks: the
 * tail asks on the folder's rename notices and on its backup poll.
 */
export class IncrementalLineReader {
  private offset = 0;
  private inode: number | null = null;
  private partial: Buffer = Buffer.alloc(0);
  private fingerprint: Buffer = Buffer.alloc(0);
  private handle: fs.FileHandle | null = null;
  private pathToCheck = false;
  /** Reused for every read: it grows (to CHUNK_BYTES) only while a long history is read. */
  private buffer: Buffer = Buffer.allocUnsafe(FIRST_READ_BYTES);

  constructor(readonly file: string) {}

  /** Skips what the file holds now: later reads return only new lines (an unfinished last line arrives whole once finished). */
  async skipToEnd(): Promise<void> {
    await this.place((handle, size) => findLastLineStart(handle, size));
  }

  /** Starts reading at byte `offset`, the start of a line (lines before it are never delivered). */
  async startAt(offset: number): Promise<void> {
    await this.place(async (_handle, size) => Math.min(offset, size));
  }

  /** Places the reader at the line start `where` picks; the bytes before it are remembered to notice a rewrite. */
  private async place(where: (handle: fs.FileHandle, size: number) => Promise<number>): Promise<void> {
    const handle = await this.open();
    if (handle === null) return;
    const stat = await handle.stat();
    const offset = await where(handle, stat.size);
    this.inode = stat.ino;
    this.offset = offset;
    this.partial = Buffer.alloc(0);
    this.fingerprint = await readAt(handle, Math.max(0, offset - FINGERPRINT_BYTES), Math.min(offset, FINGERPRINT_BYTES));
  }

  /** The next read also checks that the path still names the file held open. */
  checkPath(): void {
    this.pathToCheck = true;
  }

  /**
   * Delivers new complete lines in chunks (a big file never sits in memory
   * whole). `onReset` runs before any line when the file started over.
   */
  async read(onLines: (lines: string[]) => void, onReset: () => void): Promise<void> {
    if (this.handle !== null && this.pathToCheck) await this.dropIfReplaced();
    this.pathToCheck = false;
    let handle = this.handle;
    if (handle === null) {
      handle = await this.open();
      if (handle === null) return; // not yet made, or mid-replacement
      const { ino } = await handle.stat();
      if (this.inode !== null && ino !== this.inode) this.startOver(onReset);
      this.inode = ino;
    }
    // Each read starts at the fingerprint's bytes before the offset: fewer of
    // them (truncated) or others (rewritten in place) mean the file started over.
    let before = this.fingerprint.length;
    for (;;) {
      const { bytesRead } = await handle.read(this.buffer, 0, this.buffer.length, this.offset - before);
      if (before > 0 && (bytesRead < before || !this.buffer.subarray(0, before).equals(this.fingerprint))) {
        this.startOver(onReset);
        before = 0;
        continue;
      }
      const chunk = this.buffer.subarray(before, bytesRead);
      if (chunk.length > 0) this.take(chunk, onLines);
      if (bytesRead < this.buffer.length) return;
      // A full buffer: more is waiting (a long history); read on in bigger reads.
      if (this.buffer.length < CHUNK_BYTES) this.buffer = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, this.buffer.length * 4));
      before = 0;
    }
  }

  /** The lines `chunk` completes; it is a view of the reused read buffer, so nothing keeps it. */
  private take(chunk: Buffer, onLines: (lines: string[]) => void): void {
    this.offset += chunk.length;
    this.fingerprint = lastBytes(chunk.length >= FINGERPRINT_BYTES ? chunk : Buffer.concat([this.fingerprint, chunk]), FINGERPRINT_BYTES);
    const data = this.partial.length > 0 ? Buffer.concat([this.partial, chunk]) : chunk;
    const end = data.lastIndexOf(NEWLINE);
    // Split on bytes so a multi-byte character cut by the chunk edge stays whole.
    this.partial = Buffer.from(data.subarray(end + 1));
    if (end < 0) return;
    const lines = data.subarray(0, end).toString('utf8').split('\n');
    const complete: string[] = [];
    for (const line of lines) {
      const text = line.endsWith('\r') ? line.slice(0, -1) : line;
      if (text !== '') complete.push(text);
    }
    if (complete.length > 0) onLines(complete);
  }

  /** Closes the file held open (a later read opens it again). */
  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    if (handle !== null) await handle.close();
  }

  private startOver(onReset: () => void): void {
    this.offset = 0;
    this.partial = Buffer.alloc(0);
    this.fingerprint = Buffer.alloc(0);
    onReset();
  }

  private async open(): Promise<fs.FileHandle | null> {
    if (this.handle !== null) return this.handle;
    try {
      this.handle = await fs.open(this.file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return this.handle;
  }

  /** Closes the file held open when the path names another one, or none. */
  private async dropIfReplaced(): Promise<void> {
    let inode: number | null;
    try {
      inode = (await fs.stat(this.file)).ino;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      inode = null;
    }
    if (inode !== this.inode) await this.close();
  }
}

async function readAt(handle: fs.FileHandle, position: number, length: number): Promise<Buffer> {
  if (length <= 0) return Buffer.alloc(0);
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

function lastBytes(buffer: Buffer, count: number): Buffer {
  return buffer.length <= count ? buffer : Buffer.from(buffer.subarray(buffer.length - count));
}

async function findLastLineStart(handle: fs.FileHandle, size: number): Promise<number> {
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - 64 * 1024);
    const block = await readAt(handle, start, end - start);
    const index = block.lastIndexOf(NEWLINE);
    if (index >= 0) return start + index + 1;
    end = start;
  }
  return 0;
}
