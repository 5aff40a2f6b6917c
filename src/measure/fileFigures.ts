// One file's share of the project's figures: its lines of code (loc.ts's
// rules) and its public items with and without documentation
// (docCoverage.ts's rules), from ONE read and, for JavaScript/TypeScript and
// Rust, one lex of the file. projectFigures.ts keeps these per file, so a snapshot reads
// only the files that changed. The rules are the full recount's
// (countLines, countDocumentedExports): the tests hold the two to the same
// figures.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { countDocumentedExportsInScanned, countDocumentedItems, DOC_FILE_EXTENSIONS, type DocCoverageCount } from './docCoverage.js';
import { countDocumentedRustItems } from './docItemsRust.js';
import { languageByName, languageFromShebang, type Language } from './languages.js';
import { countMarkedLines, countText, type LanguageCount } from './lineCounter.js';
import { splitLines, type LineMarks } from './scanCursor.js';
import { scanCLike } from './sourceScanners.js';

export interface FileFigures {
  /** Null when loc does not count the file (binary, or no language). */
  loc: (Omit<LanguageCount, 'files'> & { language: string }) | null;
  /** Null when the file is not one doc coverage reads. */
  doc: DocCoverageCount | null;
}

/** Whether a file of this name may have figures at all: the others are never read. */
export function mayHaveFigures(fileName: string): boolean {
  // Extensionless files may be scripts, recognised by their `#!` line (as countLines does).
  return languageByName(fileName) !== undefined || !fileName.includes('.') || isDocFile(fileName);
}

function isDocFile(fileName: string): boolean {
  return DOC_FILE_EXTENSIONS.has(path.extname(fileName).toLowerCase());
}

/** Reads one file (once) and measures it; null when it has no figures. */
export async function readFileFigures(filePath: string): Promise<FileFigures | null> {
  const fileName = path.basename(filePath);
  const named = languageByName(fileName);
  if (named === undefined && !fileName.includes('.')) {
    // An extensionless file (LICENSE, a built executable) is read whole only if it starts with `#!`.
    const head = await readHead(filePath);
    const newline = head.indexOf('\n');
    const language = languageFromShebang(newline === -1 ? head : head.slice(0, newline));
    if (language === undefined) return null;
    return figuresOfContent(fileName, await fs.readFile(filePath), language);
  }
  if (named === undefined && !isDocFile(fileName)) return null;
  return figuresOfContent(fileName, await fs.readFile(filePath), named);
}

/** The figures of one file's bytes; `language` as loc.ts finds it (by name, or by `#!` line for extensionless files). */
export function figuresOfContent(fileName: string, content: Buffer, language: Language | undefined): FileFigures | null {
  const text = content.toString('utf8');
  const doc = isDocFile(fileName);
  // Binary files are not source, whatever their name says (cloc skips them too); doc coverage reads them as text all the same.
  const countsLines = language !== undefined && !content.includes(0);
  const dialect = language?.syntax.kind === 'c-like' ? language.syntax.dialect : null;
  if (countsLines && doc && (dialect === 'javascript' || dialect === 'rust')) {
    const lines = splitLines(text);
    // One more line than the text has, as scanJavaScriptSource allocates: the scanner may mark the line after a final newline.
    const marks: LineMarks = { code: new Array(lines.length + 1).fill(false), comment: new Array(lines.length + 1).fill(false) };
    const cursor = scanCLike(text, dialect, marks, true);
    const scanned = { code: cursor.maskedText(), blockComments: cursor.blockComments };
    const documented = dialect === 'rust' ? countDocumentedRustItems(text, scanned) : countDocumentedExportsInScanned(text, scanned);
    return { loc: { language: language.name, ...countMarkedLines(lines, marks) }, doc: documented };
  }
  const loc = countsLines ? { language: language.name, ...countText(text, language.syntax) } : null;
  const documented = doc ? countDocumentedItems(fileName, text) : null;
  return loc === null && documented === null ? null : { loc, doc: documented };
}

/** Enough of a file to see its `#!` line, without reading a large binary whole. */
async function readHead(filePath: string): Promise<string> {
  const handle = await fs.open(filePath, 'r');
  try {
    const buffer = Buffer.alloc(256);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString('latin1');
  } finally {
    await handle.close();
  }
}
