// One output stream of a command (runCommand.ts): its last bytes, and the
// lines its reader needs from before them (a test runner's summary lines), so
// that memory stays bounded however much the command prints.

/**
 * What a stream's text holds: all of it (`whole`); the lines `keepLines`
 * chose from the part before the last maxOutputBytes, in order, then those
 * last bytes from their first whole line (`lines`); or only the last
 * maxOutputBytes (`tail`: no keepLines, or it chose more than
 * maxKeptLineBytes of lines).
 */
export interface OutputKept {
  kept: 'whole' | 'lines' | 'tail';
  /** Bytes the stream carried. */
  totalBytes: number;
}

/**
 * Which lines of a stream its reader needs. `compact`: the fewer it can do
 * with when those are too many to keep (node:test's plan and totals lines,
 * without its test points): the lines kept so far are cut down to them, and
 * only they are kept from then on.
 */
export type LineChooser = ((line: string) => boolean) & { compact?: (line: string) => boolean };

/** keepLines sees this much of a line at most: a summary line is short, and a line of megabytes is not held whole. */
const MAX_LINE_BYTES = 64 * 1024;

/**
 * One output stream: its last `limit` bytes, and, when `keep` is given, the
 * lines it chooses (at most `maxKeptBytes` of them), each with its offset,
 * so that those before the tail can be put in front of it.
 */
export class StreamKeeper {
  private readonly tail: TailBuffer;
  private total = 0;
  /** The line being read: its first MAX_LINE_BYTES. */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private lineStart = 0;
  private kept: { start: number; text: string }[] = [];
  private keptBytes = 0;
  private overflowed = false;

  constructor(
    private readonly limit: number,
    private keep: LineChooser | undefined,
    private readonly maxKeptBytes: number,
  ) {
    this.tail = new TailBuffer(limit);
  }

  push(chunk: Buffer): void {
    this.tail.push(chunk);
    if (this.keep !== undefined && !this.overflowed) {
      let from = 0;
      for (let newline = chunk.indexOf(10); newline !== -1; newline = chunk.indexOf(10, from)) {
        // Most lines lie within one chunk: read where they are, not copied.
        const whole = this.partialBytes === 0 ? chunk.subarray(from, Math.min(newline, from + MAX_LINE_BYTES)) : undefined;
        if (whole === undefined) this.addToLine(chunk.subarray(from, newline));
        this.endLine(this.total + newline + 1, whole);
        from = newline + 1;
      }
      this.addToLine(chunk.subarray(from));
    }
    this.total += chunk.length;
  }

  private addToLine(bytes: Buffer): void {
    const room = MAX_LINE_BYTES - this.partialBytes;
    if (room <= 0 || bytes.length === 0) return;
    const part = bytes.length > room ? bytes.subarray(0, room) : bytes;
    // A copy: the chunk's memory is not held for a line's sake.
    this.partial.push(Buffer.from(part));
    this.partialBytes += part.length;
  }

  /** The line that started at lineStart ends before `next`; `whole` is all of it when it lay in one chunk. */
  private endLine(next: number, whole?: Buffer): void {
    const line = (whole ?? Buffer.concat(this.partial, this.partialBytes)).toString('utf8').replace(/\r$/, '');
    this.partial = [];
    this.partialBytes = 0;
    const start = this.lineStart;
    this.lineStart = next;
    if (this.overflowed || !(this.keep as (line: string) => boolean)(line)) return;
    this.kept.push({ start, text: line });
    this.keptBytes += Buffer.byteLength(line) + 1;
    if (this.keptBytes > this.maxKeptBytes) this.overflow();
  }

  /** Too many lines to keep: down to the compact ones where the reader can do with them, else none (the tail alone). */
  private overflow(): void {
    const compact = this.keep?.compact;
    if (compact !== undefined) {
      this.keep = compact;
      this.kept = this.kept.filter((line) => compact(line.text));
      this.keptBytes = this.kept.reduce((bytes, line) => bytes + Buffer.byteLength(line.text) + 1, 0);
      if (this.keptBytes <= this.maxKeptBytes) return;
    }
    this.overflowed = true;
    this.kept = [];
  }

  result(): { text: string; kept: OutputKept } {
    if (this.total <= this.limit) return { text: this.tail.text(), kept: { kept: 'whole', totalBytes: this.total } };
    if (this.keep === undefined || this.overflowed) return { text: this.tail.text(), kept: { kept: 'tail', totalBytes: this.total } };
    // A last line with no newline.
    if (this.lineStart < this.total) this.endLine(this.total);
    const tailBytes = this.tail.bytes();
    const firstNewline = tailBytes.indexOf(10);
    // The tail from its first whole line; the kept lines that start before it.
    const tailFrom = firstNewline === -1 ? tailBytes.length : firstNewline + 1;
    const tailStart = this.total - tailBytes.length + tailFrom;
    const before = this.kept.filter((line) => line.start < tailStart).map((line) => `${line.text}\n`);
    return { text: before.join('') + tailBytes.subarray(tailFrom).toString('utf8'), kept: { kept: 'lines', totalBytes: this.total } };
  }
}

/** Keeps the last `limit` bytes written to it. */
class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.limit && this.chunks.length > 1) {
      this.size -= (this.chunks.shift() as Buffer).length;
    }
  }

  /** The last `limit` bytes. */
  bytes(): Buffer {
    const bytes = Buffer.concat(this.chunks);
    return bytes.length > this.limit ? bytes.subarray(bytes.length - this.limit) : bytes;
  }

  text(): string {
    let bytes = Buffer.concat(this.chunks);
    if (bytes.length > this.limit) {
      bytes = bytes.subarray(bytes.length - this.limit);
      // Do not start in the middle of a UTF-8 character.
      let start = 0;
      while (start < bytes.length && start < 3 && ((bytes[start] as number) & 0xc0) === 0x80) start++;
      bytes = bytes.subarray(start);
    }
    return bytes.toString('utf8');
  }
}
