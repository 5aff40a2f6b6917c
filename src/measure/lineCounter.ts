// Classifies each line of one file's text as blank, comment or code, from
// the marks its syntax's scanner left (see loc.ts for the rules).

import { assertNever } from '../contract/assertNever.js';
import { languageByName, type Syntax } from './languages.js';
import { splitLines, type LineMarks } from './scanCursor.js';
import { markHashLines, scanCLike, scanMarkdown, scanPython } from './sourceScanners.js';

export interface LanguageCount {
  files: number;
  code: number;
  comment: number;
  blank: number;
}

/** Counts one file's text; exported for tests and for callers that hold text in memory. */
export function countSourceText(text: string, fileName: string): Omit<LanguageCount, 'files'> {
  const language = languageByName(fileName);
  if (!language) throw new Error(`countSourceText: no known language for "${fileName}"`);
  return countText(text, language.syntax);
}

const NOT_BLANK = /\S/;

export function countText(text: string, syntax: Syntax): Omit<LanguageCount, 'files'> {
  const lines = splitLines(text);
  return countMarkedLines(lines, markLines(text, lines.length, syntax));
}

/** Counts lines a scanner has already marked (fileFigures.ts scans a JavaScript file once for LOC and doc coverage). */
export function countMarkedLines(lines: string[], marks: LineMarks): Omit<LanguageCount, 'files'> {
  let code = 0;
  let comment = 0;
  let blank = 0;
  // A `#!` first line is code (it runs the file), as cloc counts it.
  if (lines[0]?.startsWith('#!')) marks.code[0] = true;
  for (let index = 0; index < lines.length; index++) {
    // /\S/ finds what trim() keeps, without making a trimmed copy of every line.
    if (!NOT_BLANK.test(lines[index] as string)) blank++;
    else if (marks.code[index]) code++;
    else if (marks.comment[index]) comment++;
    else code++;
  }
  return { code, comment, blank };
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
