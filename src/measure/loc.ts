// Lines of code per language, counted the way cloc counts them: a line with
// only whitespace is blank, a line whose only non-whitespace characters are
// inside comments is a comment line, any other line is code. Comment markers
// inside strings (and JavaScript regex literals) are not comments. The same
// deliberate choices as cloc: Python triple-quoted strings count as comments
// (they are nearly always docstrings), comments inside JavaScript template
// literals count as comments (templates that hold source code are counted
// like that code), a `#` line counts as a comment in shell, YAML and TOML,
// and JSON has no comments.

import { promises as fs, type Dirent } from 'node:fs';
import path from 'node:path';
import { assertNever } from '../contract/assertNever.js';

export interface LanguageCount {
  files: number;
  code: number;
  comment: number;
  blank: number;
}

export interface LocReport {
  total: LanguageCount;
  byLanguage: Record<string, LanguageCount>;
}

/** Folders that hold generated, vendored or tool-owned files, never the project's own code. */
export const SKIPPED_DIRECTORIES: ReadonlySet<string> = new Set([
  '.git',
  '.hg',
  '.svn',
  'node_modules',
  'build',
  'vendor',
  'target',
  'dist',
  'coverage',
]);

type Syntax =
  | { kind: 'c-like'; dialect: CDialect }
  | { kind: 'python' }
  | { kind: 'hash-lines' }
  | { kind: 'markdown' }
  | { kind: 'no-comments' };

type CDialect = 'javascript' | 'rust' | 'go' | 'c' | 'java';

interface Language {
  name: string;
  syntax: Syntax;
}

const TYPESCRIPT: Language = { name: 'TypeScript', syntax: { kind: 'c-like', dialect: 'javascript' } };
const JAVASCRIPT: Language = { name: 'JavaScript', syntax: { kind: 'c-like', dialect: 'javascript' } };
const PYTHON: Language = { name: 'Python', syntax: { kind: 'python' } };
const SHELL: Language = { name: 'Shell', syntax: { kind: 'hash-lines' } };

// Names follow cloc's where cloc has one, so reports can be compared with it.
const LANGUAGE_BY_EXTENSION: ReadonlyMap<string, Language> = new Map<string, Language>([
  ['ts', TYPESCRIPT],
  ['tsx', TYPESCRIPT],
  ['mts', TYPESCRIPT],
  ['cts', TYPESCRIPT],
  ['js', JAVASCRIPT],
  ['mjs', JAVASCRIPT],
  ['cjs', JAVASCRIPT],
  ['jsx', JAVASCRIPT],
  ['rs', { name: 'Rust', syntax: { kind: 'c-like', dialect: 'rust' } }],
  ['py', PYTHON],
  ['pyi', PYTHON],
  ['go', { name: 'Go', syntax: { kind: 'c-like', dialect: 'go' } }],
  ['c', { name: 'C', syntax: { kind: 'c-like', dialect: 'c' } }],
  ['cc', { name: 'C++', syntax: { kind: 'c-like', dialect: 'c' } }],
  ['cpp', { name: 'C++', syntax: { kind: 'c-like', dialect: 'c' } }],
  ['cxx', { name: 'C++', syntax: { kind: 'c-like', dialect: 'c' } }],
  ['c++', { name: 'C++', syntax: { kind: 'c-like', dialect: 'c' } }],
  ['h', { name: 'C/C++ Header', syntax: { kind: 'c-like', dialect: 'c' } }],
  ['hh', { name: 'C/C++ Header', syntax: { kind: 'c-like', dialect: 'c' } }],
  ['hpp', { name: 'C/C++ Header', syntax: { kind: 'c-like', dialect: 'c' } }],
  ['hxx', { name: 'C/C++ Header', syntax: { kind: 'c-like', dialect: 'c' } }],
  ['java', { name: 'Java', syntax: { kind: 'c-like', dialect: 'java' } }],
  ['json', { name: 'JSON', syntax: { kind: 'no-comments' } }],
  ['toml', { name: 'TOML', syntax: { kind: 'hash-lines' } }],
  ['yaml', { name: 'YAML', syntax: { kind: 'hash-lines' } }],
  ['yml', { name: 'YAML', syntax: { kind: 'hash-lines' } }],
  ['md', { name: 'Markdown', syntax: { kind: 'markdown' } }],
  ['markdown', { name: 'Markdown', syntax: { kind: 'markdown' } }],
  ['sh', SHELL],
  ['bash', SHELL],
]);

/** Scripts without an extension are recognised by their `#!` line, as cloc does. */
function languageFromShebang(firstLine: string): Language | undefined {
  const match = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(firstLine);
  if (!match) return undefined;
  const program = path.basename(match[1] ?? '');
  const interpreter = program === 'env' ? (match[2] ?? '') : program;
  if (/^node(js)?$/.test(interpreter)) return JAVASCRIPT;
  if (/^python[\d.]*$/.test(interpreter)) return PYTHON;
  if (/^(sh|bash|dash|ksh)$/.test(interpreter)) return SHELL;
  return undefined;
}

function languageByName(fileName: string): Language | undefined {
  const dot = fileName.lastIndexOf('.');
  if (dot <= 0) return undefined;
  return LANGUAGE_BY_EXTENSION.get(fileName.slice(dot + 1).toLowerCase());
}

async function readFirstLine(filePath: string): Promise<string> {
  const handle = await fs.open(filePath, 'r');
  try {
    const buffer = Buffer.alloc(256);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const head = buffer.subarray(0, bytesRead).toString('latin1');
    const newline = head.indexOf('\n');
    return newline === -1 ? head : head.slice(0, newline);
  } finally {
    await handle.close();
  }
}

function emptyCount(): LanguageCount {
  return { files: 0, code: 0, comment: 0, blank: 0 };
}

export async function countLines(root: string): Promise<LocReport> {
  const rootStat = await fs.stat(root).catch(() => undefined);
  if (!rootStat?.isDirectory()) {
    throw new Error(`countLines: root "${root}" is not a readable directory`);
  }
  const byLanguage: Record<string, LanguageCount> = {};
  const total = emptyCount();
  // Files without an extension may be scripts, recognised by their `#!` line.
  const files = (await listProjectFiles(root))
    .map((filePath) => ({ filePath, language: languageByName(path.basename(filePath)) }))
    .filter(({ filePath, language }) => language !== undefined || !path.basename(filePath).includes('.'));
  await forEachLimited(files, 16, async ({ filePath, language }) => {
    // Extensionless files (LICENSE, Makefile, built executables) are only read whole if they start with `#!`.
    const detected = language ?? languageFromShebang(await readFirstLine(filePath));
    if (!detected) return;
    const content = await fs.readFile(filePath);
    // Binary files are not source, whatever their name says (cloc skips them too).
    if (content.includes(0)) return;
    const text = content.toString('utf8');
    const counts = countText(text, detected.syntax);
    const entry = (byLanguage[detected.name] ??= emptyCount());
    for (const target of [entry, total]) {
      target.files += 1;
      target.code += counts.code;
      target.comment += counts.comment;
      target.blank += counts.blank;
    }
  });
  // Largest language first, so reports read the same from run to run.
  const sorted = Object.entries(byLanguage).sort(([nameA, a], [nameB, b]) => b.code - a.code || nameA.localeCompare(nameB));
  return { total, byLanguage: Object.fromEntries(sorted) };
}

/**
 * Every regular file under `root`, skipping SKIPPED_DIRECTORIES. Symlinks are
 * not followed: they could leave the project or loop.
 */
export async function listProjectFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop() as string;
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (error) {
      // A folder removed or made unreadable while an agent works is skipped, not fatal.
      if (dir !== root) continue;
      throw error;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name)) pending.push(full);
      } else if (entry.isFile()) found.push(full);
    }
  }
  return found.sort();
}

export async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        // Files deleted between listing and reading are simply gone.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  });
  await Promise.all(workers);
}

/** Counts one file's text; exported for tests and for callers that hold text in memory. */
export function countSourceText(text: string, fileName: string): Omit<LanguageCount, 'files'> {
  const language = languageByName(fileName);
  if (!language) throw new Error(`countSourceText: no known language for "${fileName}"`);
  return countText(text, language.syntax);
}

function countText(text: string, syntax: Syntax): Omit<LanguageCount, 'files'> {
  const lines = splitLines(text);
  const marks = markLines(text, lines.length, syntax);
  let code = 0;
  let comment = 0;
  let blank = 0;
  // A `#!` first line is code (it runs the file), as cloc counts it.
  if (lines[0]?.startsWith('#!')) marks.code[0] = true;
  for (let index = 0; index < lines.length; index++) {
    if ((lines[index] as string).trim() === '') blank++;
    else if (marks.code[index]) code++;
    else if (marks.comment[index]) comment++;
    else code++;
  }
  return { code, comment, blank };
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  // A final newline ends the last line; it does not start another.
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

interface LineMarks {
  code: boolean[];
  comment: boolean[];
}

function markLines(text: string, lineCount: number, syntax: Syntax): LineMarks {
  const marks: LineMarks = { code: new Array(lineCount).fill(false), comment: new Array(lineCount).fill(false) };
  switch (syntax.kind) {
    case 'c-like':
      scanCLike(text, syntax.dialect, marks);
      break;
    case 'python':
      scanPython(text, marks);
      break;
    case 'hash-lines':
      markHashLines(text, marks);
      break;
    case 'markdown':
      scanMarkdown(text, marks);
      break;
    case 'no-comments':
      // Every non-blank line is code; countText's fallback does exactly that.
      break;
    default:
      assertNever(syntax, 'syntax');
  }
  return marks;
}

function isWhitespace(char: string): boolean {
  return char === ' ' || char === '\t' || char === '\r' || char === '\n' || char === '\f' || char === '\v' || char === '\uFEFF';
}

/**
 * Walks text keeping the line number, and marks each line that holds a
 * non-whitespace character of code or of a comment.
 */
class Cursor {
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

/** What doc coverage needs from a JavaScript/TypeScript file. */
export interface ScannedSource {
  /** The text with comments and string/regex contents replaced by spaces; newlines and offsets kept. */
  code: string;
  /** Offsets of every block comment, `[start, end)`. */
  blockComments: { start: number; end: number }[];
}

export function scanJavaScriptSource(text: string): ScannedSource {
  const lineCount = splitLines(text).length + 1;
  const marks: LineMarks = { code: new Array(lineCount).fill(false), comment: new Array(lineCount).fill(false) };
  const cursor = scanCLike(text, 'javascript', marks, true);
  return { code: (cursor.mask as string[]).join(''), blockComments: cursor.blockComments };
}

function scanCLike(text: string, dialect: CDialect, marks: LineMarks, recordMask = false): Cursor {
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
    if (cursor.startsWith('//')) {
      cursor.takeRestOfLineAsComment();
    } else if (cursor.startsWith('/*')) {
      cursor.takeBlockComment(2, '*/');
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

function scanPython(text: string, marks: LineMarks): void {
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

function markHashLines(text: string, marks: LineMarks): void {
  splitLines(text).forEach((line, index) => {
    if (/^\s*#/.test(line)) marks.comment[index] = true;
  });
}

function scanMarkdown(text: string, marks: LineMarks): void {
  const cursor = new Cursor(text, marks);
  while (!cursor.done) {
    if (cursor.startsWith('<!--')) cursor.takeBlockComment(4, '-->');
    else cursor.take(1, 'code');
  }
  // Link-reference comments, `[//]: # (note)` or `[comment]: <> (note)`.
  splitLines(text).forEach((line, index) => {
    if (/^\s*\[(?:comment|\/\/)?\]\s*:\s*(?:<\s*>|#)?\s*\(.*\)\s*$/.test(line)) {
      marks.code[index] = false;
      marks.comment[index] = true;
    }
  });
}
