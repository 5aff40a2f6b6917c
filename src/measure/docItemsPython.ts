// Doc coverage of a Python file: its public functions and classes (module
// level) and the public methods and nested classes of those classes, and how
// many have a docstring (the first statement of the body a string literal),
// as interrogate and pydocstyle count them. Public is a name without a
// leading underscore (so `__init__` and the other dunders are left out);
// functions inside functions are not counted; a def under an `if` or `try`
// of a module or class counts as the module's or class's. Lines inside
// strings (triple-quoted ones span lines) or brackets are never taken for a
// `def` or `class`.

import type { DocCoverageCount } from './docCoverage.js';

const DEFINITION = /^([ \t]*)(?:async[ \t]+)?(def|class)[ \t]+([A-Za-z_]\w*)/;
/** A string literal (not an f-string or bytes): what a docstring is. */
const DOCSTRING_START = /^(?:[rRuU])?(?:"|')/;

interface Scope {
  indent: number;
  kind: 'def' | 'class';
  /** Counted itself: only a counted class's public members count. */
  counted: boolean;
}

export function countDocumentedPythonItems(text: string): DocCoverageCount {
  const lines = text.split('\n');
  const continued = continuationLines(text, lines.length);
  const scopes: Scope[] = [];
  let documented = 0;
  let total = 0;
  for (let index = 0; index < lines.length; index++) {
    if (continued[index]) continue;
    const line = lines[index] as string;
    const code = line.trim();
    if (code === '' || code.startsWith('#')) continue;
    // Any statement ends the scopes indented as deep or deeper: `if …:` at module level ends the def above it.
    const indent = indentOf(line);
    while (scopes.length > 0 && (scopes[scopes.length - 1] as Scope).indent >= indent) scopes.pop();
    const match = DEFINITION.exec(line);
    if (match === null) continue;
    // A def under an `if` or `try` of a module or class is still the module's or class's: the nearest def or class decides.
    const parent = scopes[scopes.length - 1];
    const kind = match[2] as 'def' | 'class';
    const counted = !(match[3] as string).startsWith('_') && (parent === undefined || (parent.kind === 'class' && parent.counted));
    scopes.push({ indent, kind, counted });
    if (!counted) continue;
    total++;
    if (bodyStartsWithString(lines, index, line.indexOf(match[2] as string))) documented++;
  }
  return { documented, total };
}

function indentOf(line: string): number {
  let width = 0;
  for (const char of line) {
    if (char === ' ') width += 1;
    else if (char === '\t') width += 8 - (width % 8);
    else break;
  }
  return width;
}

/**
 * Whether each line continues a statement begun above it: it starts inside a
 * string (triple-quoted, or continued with a backslash), inside brackets, or
 * after a backslash that joins it to the line before. Such a line is never a
 * `def`, and its indentation says nothing of scopes.
 */
function continuationLines(text: string, count: number): boolean[] {
  const continued: boolean[] = new Array(count).fill(false);
  let line = 0;
  let quote: string | null = null;
  let depth = 0;
  for (let at = 0; at < text.length; at++) {
    const char = text[at] as string;
    if (char === '\n') {
      line++;
      // A one-quote string cannot span lines (a backslash before the newline continues it: below).
      if (quote !== null && quote.length === 1) quote = null;
      continued[line] = quote !== null || depth > 0;
      continue;
    }
    if (char === '\\') {
      at++;
      if (text[at] === '\n') {
        line++;
        continued[line] = true;
      }
      continue;
    }
    if (quote !== null) {
      if (text.startsWith(quote, at)) {
        at += quote.length - 1;
        quote = null;
      }
    } else if (char === '#') {
      const end = text.indexOf('\n', at);
      at = (end === -1 ? text.length : end) - 1;
    } else if (char === '"' || char === "'") {
      quote = text.startsWith(char.repeat(3), at) ? char.repeat(3) : char;
      at += quote.length - 1;
    } else if (char === '(' || char === '[' || char === '{') depth++;
    else if ((char === ')' || char === ']' || char === '}') && depth > 0) depth--;
  }
  return continued;
}

/** Whether the body of the definition at lines[index] (keyword at `column`) starts with a string literal. */
function bodyStartsWithString(lines: string[], index: number, column: number): boolean {
  // The header ends at the first `:` outside brackets and strings: it may span lines (long signatures).
  let depth = 0;
  let quote: string | null = null;
  for (let row = index; row < lines.length && row < index + 200; row++) {
    const line = lines[row] as string;
    for (let at = row === index ? column : 0; at < line.length; at++) {
      const char = line[at] as string;
      if (quote !== null) {
        if (char === '\\') at++;
        else if (char === quote) quote = null;
      } else if (char === '"' || char === "'") quote = char;
      else if (char === '#') break;
      else if ('([{'.includes(char)) depth++;
      else if (')]}'.includes(char)) depth--;
      else if (char === ':' && depth === 0) return firstStatementIsString(lines, row, at + 1);
    }
  }
  return false;
}

function firstStatementIsString(lines: string[], row: number, column: number): boolean {
  const rest = (lines[row] as string).slice(column).trim();
  if (rest !== '' && !rest.startsWith('#')) return DOCSTRING_START.test(rest);
  for (let next = row + 1; next < lines.length; next++) {
    const line = (lines[next] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    return DOCSTRING_START.test(line);
  }
  return false;
}
