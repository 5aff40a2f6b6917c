// Per-syntax scanners: each walks a file's text with a Cursor and marks
// which lines hold code and which hold comments. Comment markers inside
// strings (and JavaScript regex literals) are not comments.

import type { CDialect } from './languages.js';
import { Cursor, isWhitespace, isWhitespaceCode, splitLines, type LineMarks } from './scanCursor.js';

const REGEX_PRECEDING_KEYWORDS = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
]);

/** Whether a `/` at `index` starts a regex literal rather than being division. */
function slashStartsRegex(text: string, index: number): boolean {
  let before = index - 1;
  while (before >= 0 && isWhitespace(text[before] as string)) before--;
  if (before < 0) return true;
  const char = text[before] as string;
  if (/[\w$]/.test(char)) {
    let start = before;
    while (start > 0 && /[\w$]/.test(text[start - 1] as string)) start--;
    return REGEX_PRECEDING_KEYWORDS.has(text.slice(start, before + 1));
  }
  return !(char === ')' || char === ']' || char === '"' || char === "'" || char === '`');
}

/** Consumes a regex literal if one starts here (same line only); returns false if it does not. */
function takeRegexLiteral(cursor: Cursor): boolean {
  const { text } = cursor;
  let position = cursor.index + 1;
  let inClass = false;
  while (position < text.length) {
    const char = text[position] as string;
    if (char === '\n') return false;
    if (char === '\\') position += 2;
    else {
      if (char === '[') inClass = true;
      else if (char === ']') inClass = false;
      else if (char === '/' && !inClass) break;
      position++;
    }
  }
  if (position >= text.length) return false;
  position++;
  while (position < text.length && /[a-z]/i.test(text[position] as string)) position++;
  cursor.take(position - cursor.index, 'string');
  return true;
}

/** What doc coverage needs from a JavaScript/TypeScript or Rust file. */
export interface ScannedSource {
  /** The text with comments and string/regex contents replaced by spaces; newlines and offsets kept. */
  code: string;
  /** Offsets of every block comment, `[start, end)`. */
  blockComments: { start: number; end: number }[];
}

export function scanJavaScriptSource(text: string): ScannedSource {
  return scanMasked(text, 'javascript');
}

/** The same for a Rust file (doc coverage of its `pub` items). */
export function scanRustSource(text: string): ScannedSource {
  return scanMasked(text, 'rust');
}

function scanMasked(text: string, dialect: 'javascript' | 'rust'): ScannedSource {
  const lineCount = splitLines(text).length + 1;
  const marks: LineMarks = { code: new Array(lineCount).fill(false), comment: new Array(lineCount).fill(false) };
  const cursor = scanCLike(text, dialect, marks, true);
  return { code: cursor.maskedText(), blockComments: cursor.blockComments };
}

export function scanCLike(text: string, dialect: CDialect, marks: LineMarks, recordMask = false): Cursor {
  const cursor = new Cursor(text, marks, recordMask);
  // JavaScript template literals: the brace depth at which each open `${` resumes its template.
  const templateResumeDepths: number[] = [];
  let braceDepth = 0;

  const takeTemplate = (): void => {
    // Called just after the opening backtick or the `}` closing a `${…}`.
    while (!cursor.done) {
      const char = cursor.peek();
      if (char === '\\') cursor.take(2, 'string');
      else if (cursor.startsWith('//') || cursor.startsWith('/*')) takeCommentInTemplate(cursor);
      else if (char === '`') {
        cursor.take(1, 'code');
        return;
      } else if (cursor.startsWith('${')) {
        cursor.take(2, 'code');
        braceDepth++;
        templateResumeDepths.push(braceDepth);
        return;
      } else cursor.take(1, 'string');
    }
  };

  while (!cursor.done) {
    const char = cursor.peek();
    if (isWhitespaceCode(char.charCodeAt(0))) {
      // A run of whitespace at once: it starts no token and marks no line (take() counts its newlines).
      let end = cursor.index + 1;
      while (end < text.length && isWhitespaceCode(text.charCodeAt(end))) end++;
      cursor.take(end - cursor.index, 'code');
    } else if (cursor.startsWith('//')) {
      cursor.takeRestOfLineAsComment();
    } else if (cursor.startsWith('/*')) {
      // Rust's block comments nest; C's, Java's, Go's and JavaScript's end at the first */.
      if (dialect === 'rust') cursor.takeNestedBlockComment();
      else cursor.takeBlockComment(2, '*/');
    } else if (char === '"') {
      if (dialect === 'java' && cursor.startsWith('"""')) cursor.takeQuoted('"""', true);
      else cursor.takeQuoted('"', dialect === 'rust');
    } else if (char === "'") {
      if (dialect === 'rust') takeRustQuote(cursor);
      else cursor.takeQuoted("'", false);
    } else if (char === '`' && (dialect === 'javascript' || dialect === 'go')) {
      if (dialect === 'go') cursor.takeQuoted('`', true, false);
      else {
        cursor.take(1, 'code');
        takeTemplate();
      }
    } else if (dialect === 'rust' && takeRustRawString(cursor)) {
      // consumed
    } else if (dialect === 'javascript' && char === '/' && slashStartsRegex(text, cursor.index)) {
      if (!takeRegexLiteral(cursor)) cursor.take(1, 'code');
    } else if (dialect === 'javascript' && char === '{') {
      braceDepth++;
      cursor.take(1, 'code');
    } else if (dialect === 'javascript' && char === '}') {
      cursor.take(1, 'code');
      if (templateResumeDepths.length > 0 && templateResumeDepths[templateResumeDepths.length - 1] === braceDepth) {
        templateResumeDepths.pop();
        braceDepth--;
        takeTemplate();
      } else braceDepth--;
    } else if (/[\w$]/.test(char)) {
      // Whole identifiers at once, so `r#"` is only a raw string at a word start.
      let end = cursor.index + 1;
      while (end < text.length && /[\w$]/.test(text[end] as string)) end++;
      cursor.take(end - cursor.index, 'code');
    } else {
      cursor.take(1, 'code');
    }
  }
  return cursor;
}

/**
 * Template literals often hold source code (code generators, fixtures). As
 * cloc does, comment markers in template text count as comments, but only a
 * comment that ends before the template text does (at the closing backtick or
 * a `${`): so a glob pattern holding "/*" stays text and never swallows
 * the rest of the file.
 */
function takeCommentInTemplate(cursor: Cursor): void {
  const { text } = cursor;
  let textEnd = cursor.index + 2;
  while (textEnd < text.length && text[textEnd] !== '`' && !text.startsWith('${', textEnd)) {
    textEnd += text[textEnd] === '\\' ? 2 : 1;
  }
  if (cursor.startsWith('//')) {
    const lineEnd = text.indexOf('\n', cursor.index);
    const stop = Math.min(textEnd, lineEnd === -1 ? text.length : lineEnd);
    cursor.take(stop - cursor.index, 'comment');
    return;
  }
  const close = text.indexOf('*/', cursor.index + 2);
  if (close !== -1 && close + 2 <= textEnd) cursor.take(close + 2 - cursor.index, 'comment');
  else cursor.take(1, 'string');
}

/** A Rust `'` is a char literal ('a', '\n', '\u{1F600}') or a lifetime ('a, 'static). */
function takeRustQuote(cursor: Cursor): void {
  const match = /^'(?:\\(?:u\{[0-9a-fA-F]{1,6}\}|x[0-9a-fA-F]{2}|.)|[^\\'\n])'/u.exec(cursor.text.slice(cursor.index, cursor.index + 12));
  cursor.take(match ? match[0].length : 1, 'code');
}

/** Rust raw strings r"…", r#"…"#, br#"…"#: no escapes, closed by a quote and as many #. */
function takeRustRawString(cursor: Cursor): boolean {
  const match = /^b?r(#*)"/.exec(cursor.text.slice(cursor.index, cursor.index + 40));
  if (!match) return false;
  const close = '"' + (match[1] ?? '');
  const end = cursor.text.indexOf(close, cursor.index + match[0].length);
  const stop = end === -1 ? cursor.text.length : end + close.length;
  cursor.take(stop - cursor.index, 'code');
  return true;
}

export function scanPython(text: string, marks: LineMarks): void {
  const cursor = new Cursor(text, marks);
  while (!cursor.done) {
    const char = cursor.peek();
    if (char === '#') cursor.takeRestOfLineAsComment();
    else if (cursor.startsWith('"""') || cursor.startsWith("'''")) {
      // cloc counts every triple-quoted string as a comment (docstrings).
      const quote = cursor.text.slice(cursor.index, cursor.index + 3);
      let end = cursor.index + 3;
      while (end < text.length && !text.startsWith(quote, end)) end += text[end] === '\\' ? 2 : 1;
      cursor.take(Math.min(end + 3, text.length) - cursor.index, 'comment');
    } else if (char === '"' || char === "'") cursor.takeQuoted(char, false);
    else cursor.take(1, 'code');
  }
}

export function markHashLines(text: string, marks: LineMarks): void {
  splitLines(text).forEach((line, index) => {
    if (/^\s*#/.test(line)) marks.comment[index] = true;
  });
}

/**
 * Markdown is prose, not code: every line of it is documentation, counted as
 * a comment line (as tokei counts it), fenced examples and HTML comments
 * included. cloc counts its text as code; that let a README, a CHANGELOG or
 * notes an agent wrote meet a lines-of-code target.
 */
export function scanMarkdown(_text: string, marks: LineMarks): void {
  for (let index = 0; index < marks.comment.length; index++) marks.comment[index] = true;
}
