// Splitting an agent's byte stream into lines, with a bound on line length so
// a runaway agent (a 10 MB line, binary garbage without a newline) cannot eat
// the orchestrator's memory.
//
// A line over the bound is still one line, never several: cutting it into
// pieces made a 5 MB tool_result three lines of broken JSON (three parse
// failures, its call counted failed, the line count of an import wrong). What
// is held of it stays bounded: a JSON line is skimmed as it streams past
// (jsonSkim.ts) and handed on with its long strings cut, so the parsers still
// read its type, ids and is_error; any other line (text, broken JSON, a
// structure too big to skim) is handed on as its first characters behind a
// note naming its length (overLongNote), and the rest up to its newline is
// dropped. The whole line is always in the agent's output.log.

import { StringDecoder } from 'node:string_decoder';
import { JsonSkim } from './jsonSkim.js';

/** A line longer than this is not held whole (see above), so a runaway agent cannot eat memory. */
export const MAX_LINE_CHARS = 1024 * 1024;

/** How much of an over-long line that is not skimmed JSON is handed on, behind its note. */
export const OVER_LONG_HEAD_CHARS = 160;

const NOTE = /^\[megatest\] a line of (\d+) chars, over the (\d+)-char line limit; its first \d+ \(all of it is in output\.log\): /;

/** The line handed on for an over-long line that is not skimmed: a note naming its length, then its start. */
export function overLongNote(chars: number, head: string): string {
  return `[megatest] a line of ${chars} chars, over the ${MAX_LINE_CHARS}-char line limit; its first ${head.length} (all of it is in output.log): ${head}`;
}

/** What overLongNote said: the line's length and its start; undefined for any other line. */
export function readOverLongNote(line: string): { chars: number; head: string } | undefined {
  const match = NOTE.exec(line);
  return match ? { chars: Number(match[1]), head: line.slice(match[0].length) } : undefined;
}

/** The over-long line being read: its start, its length so far, and its skim while it may be JSON. */
class OverLongLine {
  private readonly head: string;
  private chars = 0;
  private readonly skim: JsonSkim | null;

  constructor(start: string) {
    this.head = start.slice(0, OVER_LONG_HEAD_CHARS);
    const first = start.trimStart()[0];
    this.skim = first === '{' || first === '[' ? new JsonSkim(MAX_LINE_CHARS) : null;
    this.feed(start);
  }

  feed(text: string): void {
    this.chars += text.length;
    this.skim?.feed(text);
  }

  finish(): string {
    return this.skim?.finish() ?? overLongNote(this.chars, this.head);
  }
}

/** Splits a byte stream into lines, holding the partial last line between chunks. */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  /** The line being read, once it is past MAX_LINE_CHARS: nothing of it is held beyond the bound. */
  private long: OverLongLine | null = null;

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    let text = this.decoder.write(chunk);
    if (this.long) {
      const newline = text.indexOf('\n');
      if (newline === -1) {
        this.long.feed(text);
        return;
      }
      this.long.feed(text.slice(0, newline));
      this.onLine(this.long.finish());
      this.long = null;
      text = text.slice(newline + 1);
    }
    text = this.partial + text;
    let start = 0;
    let newline = text.indexOf('\n', start);
    while (newline !== -1) {
      this.deliver(text.slice(start, newline));
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    this.partial = start === 0 ? text : text.slice(start);
    if (this.partial.length > MAX_LINE_CHARS) {
      this.long = new OverLongLine(this.partial);
      this.partial = '';
    }
  }

  /** Delivers what is left when the stream ends. */
  end(): void {
    const rest = this.decoder.end();
    if (this.long) {
      this.long.feed(rest);
      this.onLine(this.long.finish());
      this.long = null;
      return;
    }
    const last = this.partial + rest;
    this.partial = '';
    if (last.length > 0) this.deliver(last);
  }

  /** A whole line; one over the bound that came in a single chunk is treated as one that came in many. */
  private deliver(line: string): void {
    this.onLine(line.length > MAX_LINE_CHARS ? new OverLongLine(line).finish() : line);
  }
}
