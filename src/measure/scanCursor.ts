// The lexer's core: a cursor that walks source text keeping the line number
// and marks each line as holding code and/or comment characters.

export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  // A final newline ends the last line; it does not start another.
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Every character but newlines as a space, the length kept. */
function blank(segment: string): string {
  if (!segment.includes('\n')) return ' '.repeat(segment.length);
  return segment
    .split('\n')
    .map((line) => ' '.repeat(line.length))
    .join('\n');
}

export interface LineMarks {
  code: boolean[];
  comment: boolean[];
}

export function isWhitespace(char: string): boolean {
  return char === ' ' || char === '\t' || char === '\r' || char === '\n' || char === '\f' || char === '\v' || char === '\uFEFF';
}

/** isWhitespace by character code: the scanners' inner loops test every character. */
export function isWhitespaceCode(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13) || code === 0xfeff;
}

/**
 * Walks text keeping the line number, and marks each line that holds a
 * non-whitespace character of code or of a comment.
 */
export class Cursor {
  index = 0;
  line = 0;
  /** Where comments and string contents lie, [start, end) pairs, when a mask was asked for (doc coverage reads it). */
  private readonly blanked: number[] | undefined;
  readonly blockComments: { start: number; end: number }[] = [];
  constructor(
    readonly text: string,
    readonly marks: LineMarks,
    recordMask = false,
  ) {
    this.blanked = recordMask ? [] : undefined;
  }

  get done(): boolean {
    return this.index >= this.text.length;
  }

  peek(offset = 0): string {
    return this.text[this.index + offset] ?? '';
  }

  startsWith(token: string): boolean {
    return this.text.startsWith(token, this.index);
  }

  /** Consumes `count` characters, marking them as code (strings are code) or comment. */
  take(count: number, as: 'code' | 'string' | 'comment'): void {
    const { text } = this;
    const start = this.index;
    const end = Math.min(text.length, start + Math.max(0, count));
    const lineMarks = as === 'comment' ? this.marks.comment : this.marks.code;
    for (let index = start; index < end; index++) {
      const code = text.charCodeAt(index);
      if (code === 10) this.line++;
      else if (!isWhitespaceCode(code)) lineMarks[this.line] = true;
    }
    if (this.blanked && as !== 'code' && end > start) {
      const last = this.blanked.length - 1;
      if (last > 0 && this.blanked[last] === start) this.blanked[last] = end;
      else this.blanked.push(start, end);
    }
    this.index = end;
  }

  /** The text with comments and string contents replaced by spaces, newlines kept (offsets and lines stay true); '' without a mask. */
  maskedText(): string {
    const ranges = this.blanked;
    if (!ranges) return '';
    const pieces: string[] = [];
    let position = 0;
    for (let index = 0; index < ranges.length; index += 2) {
      const start = ranges[index] as number;
      const end = ranges[index + 1] as number;
      pieces.push(this.text.slice(position, start), blank(this.text.slice(start, end)));
      position = end;
    }
    pieces.push(this.text.slice(position));
    return pieces.join('');
  }

  /** Consumes up to (not including) the next newline as a comment. */
  takeRestOfLineAsComment(): void {
    const end = this.text.indexOf('\n', this.index);
    this.take((end === -1 ? this.text.length : end) - this.index, 'comment');
  }

  /** Consumes through `close` (or to the end of the text) as a comment. */
  takeBlockComment(openLength: number, close: string): void {
    const end = this.text.indexOf(close, this.index + openLength);
    const stop = end === -1 ? this.text.length : end + close.length;
    this.blockComments.push({ start: this.index, end: stop });
    this.take(stop - this.index, 'comment');
  }

  /**
   * A `/* … *\/` comment whose inner `/*` open comments of their own, each
   * closed by its own `*\/` (Rust's: `/* a /* b *\/ still a comment *\/`).
   * C, Java, Go and JavaScript comments do not nest: takeBlockComment.
   */
  takeNestedBlockComment(): void {
    let depth = 1;
    let at = this.index + 2;
    while (depth > 0) {
      const open = this.text.indexOf('/*', at);
      const close = this.text.indexOf('*/', at);
      if (close === -1) {
        at = this.text.length;
        break;
      }
      if (open !== -1 && open < close) {
        depth += 1;
        at = open + 2;
      } else {
        depth -= 1;
        at = close + 2;
      }
    }
    this.blockComments.push({ start: this.index, end: at });
    this.take(at - this.index, 'comment');
  }

  /**
   * Consumes a quoted string starting at the opening quote, as code. A
   * backslash escapes the next character; an unescaped newline ends a string
   * that may not span lines (recovery from an unterminated string).
   */
  takeQuoted(quote: string, multiline: boolean, escapes = true): void {
    this.take(quote.length, 'code');
    while (!this.done) {
      if (escapes && this.peek() === '\\') {
        this.take(2, 'string');
        continue;
      }
      if (this.startsWith(quote)) {
        this.take(quote.length, 'code');
        return;
      }
      if (!multiline && this.peek() === '\n') return;
      this.take(1, 'string');
    }
  }
}
