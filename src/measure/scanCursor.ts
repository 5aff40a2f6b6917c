// The lexer's core: a cursor that walks source text keeping the line number
// and marks each line as holding code and/or comment characters.

export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  // A final newline ends the last line; it does not start another.
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export interface LineMarks {
  code: boolean[];
  comment: boolean[];
}

export function isWhitespace(char: string): boolean {
  return char === ' ' || char === '\t' || char === '\r' || char === '\n' || char === '\f' || char === '\v' || char === '\uFEFF';
}

/**
 * Walks text keeping the line number, and marks each line that holds a
 * non-whitespace character of code or of a comment.
 */
export class Cursor {
  index = 0;
  line = 0;
  /** The text with comments and string contents blanked, when asked for (doc coverage reads it). */
  readonly mask: string[] | undefined;
  readonly blockComments: { start: number; end: number }[] = [];
  constructor(
    readonly text: string,
    readonly marks: LineMarks,
    recordMask = false,
  ) {
    this.mask = recordMask ? [] : undefined;
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
    for (let step = 0; step < count && this.index < this.text.length; step++) {
      const char = this.text[this.index] as string;
      if (char === '\n') this.line++;
      else if (!isWhitespace(char)) {
        if (as === 'comment') this.marks.comment[this.line] = true;
        else this.marks.code[this.line] = true;
      }
      this.mask?.push(as === 'code' || char === '\n' ? char : ' ');
      this.index++;
    }
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
