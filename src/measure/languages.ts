// The languages loc counts: which file names and `#!` lines they go by, and
// which comment syntax each has. Names follow cloc's where cloc has one, so
// reports can be compared with it.

import path from 'node:path';

export type Syntax =
  | { kind: 'c-like'; dialect: CDialect }
  | { kind: 'python' }
  | { kind: 'hash-lines' }
  | { kind: 'markdown' }
  | { kind: 'no-comments' };

export type CDialect = 'javascript' | 'rust' | 'go' | 'c' | 'java';

export interface Language {
  name: string;
  syntax: Syntax;
}

const TYPESCRIPT: Language = { name: 'TypeScript', syntax: { kind: 'c-like', dialect: 'javascript' } };
const JAVASCRIPT: Language = { name: 'JavaScript', syntax: { kind: 'c-like', dialect: 'javascript' } };
const PYTHON: Language = { name: 'Python', syntax: { kind: 'python' } };
const SHELL: Language = { name: 'Shell', syntax: { kind: 'hash-lines' } };

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
  // The other languages of the // and /* */ family a project template may name: not counting them measured such a
  // project's lines of code as 0, and failed its target on a figure never taken.
  ['kt', { name: 'Kotlin', syntax: { kind: 'c-like', dialect: 'java' } }],
  ['kts', { name: 'Kotlin', syntax: { kind: 'c-like', dialect: 'java' } }],
  ['scala', { name: 'Scala', syntax: { kind: 'c-like', dialect: 'java' } }],
  ['cs', { name: 'C#', syntax: { kind: 'c-like', dialect: 'c' } }],
  ['swift', { name: 'Swift', syntax: { kind: 'c-like', dialect: 'java' } }],
  ['dart', { name: 'Dart', syntax: { kind: 'c-like', dialect: 'java' } }],
  ['css', { name: 'CSS', syntax: { kind: 'c-like', dialect: 'c' } }],
  ['scss', { name: 'SCSS', syntax: { kind: 'c-like', dialect: 'c' } }],
  ['rb', { name: 'Ruby', syntax: { kind: 'hash-lines' } }],
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
export function languageFromShebang(firstLine: string): Language | undefined {
  const match = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(firstLine);
  if (!match) return undefined;
  const program = path.basename(match[1] ?? '');
  const interpreter = program === 'env' ? (match[2] ?? '') : program;
  if (/^node(js)?$/.test(interpreter)) return JAVASCRIPT;
  if (/^python[\d.]*$/.test(interpreter)) return PYTHON;
  if (/^(sh|bash|dash|ksh)$/.test(interpreter)) return SHELL;
  return undefined;
}

/**
 * Files a package manager writes, never the project's own code: `npm install`
 * alone wrote 2,220 "lines of JSON" into a one-line project and could meet a
 * lines-of-code target. Left out of every figure by name (cloc counts them).
 */
export const GENERATED_FILE_NAMES: ReadonlySet<string> = new Set(['package-lock.json', 'npm-shrinkwrap.json', 'pnpm-lock.yaml', 'bun.lock', 'deno.lock', 'composer.lock']);

export function languageByName(fileName: string): Language | undefined {
  if (GENERATED_FILE_NAMES.has(fileName)) return undefined;
  const dot = fileName.lastIndexOf('.');
  if (dot <= 0) return undefined;
  return LANGUAGE_BY_EXTENSION.get(fileName.slice(dot + 1).toLowerCase());
}
