// Doc coverage of a Python file: its public functions and classes (module
// level) and the public methods and nested classes of those classes, and how
// many have a docstring (the first statement of the body a string literal),
// as interrogate and pydocstyle count them. Public is a name without a
// leading underscore (so `__init__` and the other dunders are left out);
// functions inside functions are not counted. Lines inside strings
// (triple-quoted ones span lines) are never taken for a `def` or `class`.

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
  const inString = linesStartingInString(text, lines);
  const scopes: Scope[] = [];
  let documented = 0;
  let total = 0;
  for (let index = 0; index < lines.length; index++) {
    if (inString[index]) continue;
    const line = lines[index] as string;
    const match = DEFINITION.exec(line);
    if (match === null) continue;
    const indent = (match[1] as string).replace(/\t/g, '        ').length;
    while (scopes.length > 0 && (scopes[scopes.length - 1] as Scope).indent >= indent) scopes.pop();
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

/** Whether each line starts inside a string that an earlier line opened (triple-quoted, or continued with a backslash). */
function linesStartingInString(text: string, lines: string[]): boolean[] {
  const starts: boolean[] = new Array(lines.length).fill(false);
  let line = 0;
  let quote: string | null = null;
  for (let at = 0; at < text.length; at++) {
    const char = text[at] as string;
    if (char === '\n') {
      line++;
      // A one-quote string cannot span lines (a backslash before the newline continues it: handled below).
      if (quote !== null && quote.length === 1) quote = null;
      starts[line] = quote !== null;
      continue;
    }
    if (quote === null) {
      if (char === '#') {
        const end = text.indexOf('\n', at);
        at = (end === -1 ? text.length : end) - 1;
      } else if (char === '"' || char === "'") {
        quote = text.startsWith(char.repeat(3), at) ? char.repeat(3) : char;
        at += quote.length - 1;
      }
    } else if (char === '\\') {
      at++;
      if (text[at] === '\n') {
        line++;
        starts[line] = true;
      }
    } else if (text.startsWith(quote, at)) {
      at += quote.length - 1;
      quote = null;
    }
  }
  return starts;
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
