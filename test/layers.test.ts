// The tree's layers, as the house rules draw them, checked on the static
// import graph (what a module loads before any of its code runs;
// test/helpers/importGraph.ts): the contract imports nothing of the project;
// the engine and the agents' adapters never load React or Ink; the UI renders
// and never touches a file, a process or the network, not even through
// another module (src/io does, given to it through src/ui/consolePorts.ts).

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../src/paths.js';
import { importClosure } from './helpers/importGraph.js';

const SRC = path.join(PACKAGE_ROOT, 'src');

function sources(folder: string): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return walk(full);
      return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [full] : [];
    });
  return walk(path.join(SRC, folder));
}

const relative = (file: string) => path.relative(SRC, file);
/** The sim's project templates: a project's sources in strings, their import lines text, not imports. */
const isTemplate = (file: string) => file.startsWith(path.join(SRC, 'agents', 'sim', 'templates') + path.sep);
/** Every specifier a file names, `import type` included. */
const ANY_IMPORT = /^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;

describe('the layers of src/', () => {
  it('the contract imports nothing of the project, not even a type', () => {
    const outside: string[] = [];
    for (const file of sources('contract')) {
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(ANY_IMPORT)) {
        if (!specifier!.startsWith('.')) continue;
        const target = path.resolve(path.dirname(file), specifier!);
        if (!target.startsWith(path.join(SRC, 'contract') + path.sep)) outside.push(`${relative(file)} -> ${specifier}`);
      }
    }
    expect(outside).toEqual([]);
  });

  it.each(['engine', 'agents'])('src/%s never loads React, Ink or a UI module', (folder) => {
    const closure = importClosure(sources(folder), isTemplate);
    const ui = [...closure.files].filter((file) => file.startsWith(path.join(SRC, 'ui') + path.sep)).map(relative);
    const packages = [...closure.packages.keys()].filter((name) => /^(react|ink)(-|$)/.test(name) || name.startsWith('@inkjs/'));
    expect({ ui, packages: packages.map((name) => `${name} (via ${relative(closure.packages.get(name)!)})`) }).toEqual({ ui: [], packages: [] });
  });

  it('src/ui never loads what touches files, processes or the network, nor src/io', () => {
    const closure = importClosure(sources('ui'), isTemplate);
    const io = [...closure.files].filter((file) => file.startsWith(path.join(SRC, 'io') + path.sep)).map(relative);
    const touching = ['node:fs', 'node:fs/promises', 'fs', 'node:child_process', 'child_process', 'execa', 'chokidar', 'node:net', 'node:http', 'node:https', 'node:worker_threads'];
    const packages = touching.filter((name) => closure.packages.has(name)).map((name) => `${name} (via ${relative(closure.packages.get(name)!)})`);
    expect({ io, packages }).toEqual({ io: [], packages: [] });
  });
});
