// The static import graph of the sources: what a module loads before any of
// its code runs. `import type` and dynamic `import()` are left out (neither
// loads anything at start-up); relative specifiers are resolved to the .ts
// or .tsx source, package specifiers kept as written (their package name).

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

// import x from '…'; import { a } from '…'; import * as n from '…'; export { a } from '…'; export * from '…'; import '…';
const STATIC_IMPORT = /^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;

/** The specifiers a source file imports statically (not `import type`, not `import()`). */
export function staticImports(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(STATIC_IMPORT)) found.push(match[1]!);
  return found;
}

/** The package a bare specifier names: 'zod/v4' -> 'zod', '@iarna/toml' -> '@iarna/toml'; node: builtins as written. */
export function packageOf(specifier: string): string {
  if (specifier.startsWith('node:')) return specifier;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function resolveRelative(from: string, specifier: string): string {
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [base.replace(/\.js$/, '.ts'), base.replace(/\.js$/, '.tsx'), base]) if (existsSync(candidate)) return candidate;
  throw new Error(`${from}: cannot resolve ${specifier}`);
}

export interface ImportClosure {
  /** Source files reached, absolute. */
  files: Set<string>;
  /** Packages (and node: builtins) reached, each with one file that imports it. */
  packages: Map<string, string>;
}

/**
 * Every source file and package reached from the entry files by static
 * imports. `isData`: files reached whose own import lines are not followed,
 * as they are text (the sim's project templates hold a project's sources,
 * import lines and all, in strings).
 */
export function importClosure(entries: readonly string[], isData: (file: string) => boolean = () => false): ImportClosure {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const pending = [...entries];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    if (isData(file)) continue;
    for (const specifier of staticImports(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.')) pending.push(resolveRelative(file, specifier));
      else if (!packages.has(packageOf(specifier))) packages.set(packageOf(specifier), file);
    }
  }
  return { files, packages };
}
