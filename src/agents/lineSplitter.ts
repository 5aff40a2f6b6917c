// Splitting an agent's byte stream into lines, with a bound on line length so
// a runaway agent (a 10 MB line, binary garbage without a newline) cannot eat
// the orchestrator's memory.

import { StringDecoder } from 'node:string_decoder';

/** A line longer than this is cut and delivered, so a runaway agent cannot eat memory. */
export const MAX_LINE_CHARS = 1024 * 1024;

/** Splits a byte stream into lines, holding the partial last line between chunks. */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    const text = this.partial + this.decoder.write(chunk);
    let start = 0;
    let newline = text.indexOf('\n', start);
    while (newline !== -1) {
      this.onLine(text.slice(start, newline));
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    this.partial = start === 0 ? text : text.slice(start);
    if (this.partial.length > MAX_LINE_CHARS) {
      this.onLine(this.partial);
      this.partial = '';
    }
  }

  /** Delivers what is left when the stream ends. */
  end(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest.length > 0) this.onLine(rest);
  }
}
