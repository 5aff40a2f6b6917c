// Documentation coverage: the share (0..100) of a project's public API that
// has documentation, by language:
// - JavaScript/TypeScript (below): exported functions and classes with a
//   `/** … */` doc comment directly above them (blank lines and one-line
//   decorators may stand between, as TypeScript and JSDoc allow). Counted:
//   `export [default] [async] function`, `export [default|abstract] class`,
//   `export const f = (…) =>` / `function` / `class`, CommonJS
//   `exports.f = function|class|arrow`, and local functions/classes named in
//   an `export { … }` list. An overloaded function counts once, documented if
//   any of its signatures is. Comments and strings are lexed out first, so
//   `export function` in a string is not one.
// - Rust: `pub` items with a doc comment (docItemsRust.ts).
// - Python: public functions, classes and methods with a docstring
//   (docItemsPython.ts).
// Test files are not API (isApiFile).
// null when the project has none of these.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { countDocumentedPythonItems } from './docItemsPython.js';
import { countDocumentedRustItems } from './docItemsRust.js';
import { forEachLimited, listProjectFiles, scanJavaScriptSource, scanRustSource, type ScannedSource } from './loc.js';

/** JavaScript/TypeScript files, whose exports doc coverage counts. */
export const JS_DOC_FILE_EXTENSIONS: ReadonlySet<string> = new Set(['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs']);
/** Files whose public API doc coverage counts. */
export const DOC_FILE_EXTENSIONS: ReadonlySet<string> = new Set([...JS_DOC_FILE_EXTENSIONS, '.rs', '.py']);

export interface DocCoverageCount {
  documented: number;
  total: number;
}

export async function measureDocCoverage(root: string): Promise<number | null> {
  const count = await countDocumentedExports(root);
  return count.total === 0 ? null : (count.documented / count.total) * 100;
}

export async function countDocumentedExports(root: string): Promise<DocCoverageCount> {
  const rootStat = await fs.stat(root).catch(() => undefined);
  if (!rootStat?.isDirectory()) {
    throw new Error(`measureDocCoverage: root "${root}" is not a readable directory`);
  }
  const files = (await listProjectFiles(root)).filter(
    (file) => DOC_FILE_EXTENSIONS.has(path.extname(file).toLowerCase()) && isApiFile(path.relative(root, file).split(path.sep).join('/')),
  );
  const total: DocCoverageCount = { documented: 0, total: 0 };
  await forEachLimited(files, 16, async (file) => {
    const count = countDocumentedItems(file, await fs.readFile(file, 'utf8'));
    if (count === null) return;
    total.documented += count.documented;
    total.total += count.total;
  });
  return total;
}

const IDENTIFIER = '[A-Za-z_$][\\w$]*';
// What follows `=` when the value is a function or a class.
const FUNCTION_VALUE = `(?:async\\s+)?(?:function\\b|class\\b|(?:<[^>]*>\\s*)?\\([^)]*\\)\\s*(?::[^=;]*?)?=>|${IDENTIFIER}\\s*=>)`;

const EXPORT_DECLARATIONS: RegExp[] = [
  new RegExp(`^[ \\t]*export\\s+(?:default\\s+)?(?:declare\\s+)?(?:async\\s+)?function\\b\\s*\\*?\\s*(${IDENTIFIER})?`, 'gm'),
  new RegExp(`^[ \\t]*export\\s+(?:default\\s+)?(?:declare\\s+)?(?:abstract\\s+)?class\\b\\s*(${IDENTIFIER})?`, 'gm'),
  new RegExp(`^[ \\t]*export\\s+(?:declare\\s+)?(?:const|let|var)\\s+(${IDENTIFIER})\\s*(?::[^=;]*?)?=\\s*${FUNCTION_VALUE}`, 'gm'),
  new RegExp(`^[ \\t]*(?:module\\.)?exports\\.(${IDENTIFIER})\\s*=\\s*${FUNCTION_VALUE}`, 'gm'),
];

/**
 * Whether a file's public items are the project's API (its path relative to
 * the project, '/'-separated): not pytest's test files (test_*.py, *_test.py,
 * conftest.py), nor Cargo's tests/, benches/ and examples/ targets, whose
 * test functions and `pub` helpers would count as undocumented API.
 */
export function isApiFile(relative: string): boolean {
  const parts = relative.split('/');
  const name = parts[parts.length - 1] as string;
  const extension = path.extname(name).toLowerCase();
  if (extension === '.py') return !/^(?:test_.*|.*_test|conftest)\.py$/i.test(name);
  if (extension === '.rs') return !parts.slice(0, -1).some((part) => part === 'tests' || part === 'benches' || part === 'examples');
  return true;
}

/** One file's public items and how many are documented, by its language (its name's extension; null when doc coverage does not read it). */
export function countDocumentedItems(fileName: string, text: string): DocCoverageCount | null {
  const extension = path.extname(fileName).toLowerCase();
  if (JS_DOC_FILE_EXTENSIONS.has(extension)) return countDocumentedExportsInText(text);
  if (extension === '.rs') return countDocumentedRustItems(text, scanRustSource(text));
  if (extension === '.py') return countDocumentedPythonItems(text);
  return null;
}

/** Counts one JavaScript/TypeScript file's exported functions/classes and how many have a doc comment. */
export function countDocumentedExportsInText(text: string): DocCoverageCount {
  return countDocumentedExportsInScanned(text, scanJavaScriptSource(text));
}

/** The same from a scan already made (fileFigures.ts scans a file once for LOC and doc coverage). */
export function countDocumentedExportsInScanned(text: string, { code, blockComments }: ScannedSource): DocCoverageCount {
  const docCommentEnds = new Set(blockComments.filter(({ start, end }) => isDocComment(text.slice(start, end))).map(({ end }) => end));
  // name -> documented; an overloaded or re-declared name counts once.
  const exported = new Map<string, boolean>();
  const record = (name: string, offset: number): void => {
    exported.set(name, (exported.get(name) ?? false) || hasDocAbove(text, offset, docCommentEnds));
  };

  for (const pattern of EXPORT_DECLARATIONS) {
    pattern.lastIndex = 0;
    for (let match = pattern.exec(code); match; match = pattern.exec(code)) {
      record(match[1] ?? 'default', keywordOffset(match));
    }
  }
  for (const name of namesInLocalExportLists(code)) {
    for (const offset of localDeclarationOffsets(code, name)) record(name, offset);
  }
  let documented = 0;
  for (const isDocumented of exported.values()) if (isDocumented) documented++;
  return { documented, total: exported.size };
}

/** Where the declaration's first keyword is: the patterns also match the indentation before it. */
function keywordOffset(match: RegExpExecArray): number {
  return match.index + match[0].length - match[0].trimStart().length;
}

function isDocComment(comment: string): boolean {
  return comment.startsWith('/**') && !comment.startsWith('/**/') && !comment.startsWith('/***');
}

/**
 * Whether a doc comment ends right before the declaration starting at
 * `offset`, with only whitespace, blank lines and one-line decorators between.
 */
function hasDocAbove(text: string, offset: number, docCommentEnds: Set<number>): boolean {
  let position = offset - 1;
  for (;;) {
    while (position >= 0 && /\s/.test(text[position] as string)) position--;
    if (position < 0) return false;
    if (docCommentEnds.has(position + 1)) return true;
    const lineStart = text.lastIndexOf('\n', position) + 1;
    if (!text.slice(lineStart, position + 1).trimStart().startsWith('@')) return false;
    position = lineStart - 1;
  }
}

/** Names in `export { a, b as c }` lists that do not re-export from another module. */
function namesInLocalExportLists(code: string): string[] {
  const names: string[] = [];
  const list = /\bexport\s+(?:type\s+)?\{([^}]*)\}(\s*from\b)?/g;
  for (let match = list.exec(code); match; match = list.exec(code)) {
    if (match[2] !== undefined) continue;
    for (const item of (match[1] as string).split(',')) {
      const local = item.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]?.trim();
      if (local && new RegExp(`^${IDENTIFIER}$`).test(local)) names.push(local);
    }
  }
  return names;
}

function localDeclarationOffsets(code: string, name: string): number[] {
  const escaped = name.replace(/\$/g, '\\$');
  const declaration = new RegExp(
    `^[ \\t]*(?:(?:async\\s+)?function\\b\\s*\\*?\\s*${escaped}\\b|(?:abstract\\s+)?class\\s+${escaped}\\b|(?:const|let|var)\\s+${escaped}\\s*(?::[^=;]*?)?=\\s*${FUNCTION_VALUE})`,
    'gm',
  );
  const offsets: number[] = [];
  for (let match = declaration.exec(code); match; match = declaration.exec(code)) offsets.push(keywordOffset(match));
  return offsets;
}
