import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { countDocumentedExportsInText, measureDocCoverage } from '../../src/measure/docCoverage.js';
import { PACKAGE_ROOT } from '../../src/paths.js';

const FIXTURES = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'measure');
const temporaryDirs: string[] = [];
function makeTemporaryDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'megatest-doc-'));
  temporaryDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
});

describe('countDocumentedExportsInText', () => {
  it('counts exported functions and classes, documented when a /** */ is directly above', () => {
    const text = [
      '/** Documented function. */',
      'export function documented() {}',
      '',
      '// A line comment is not a doc comment.',
      'export async function lineCommented() {}',
      '',
      '/* Neither is a plain block comment. */',
      'export class PlainCommented {}',
      '',
      '/**',
      ' * Documented class, with a blank line and a decorator between.',
      ' */',
      '',
      '@sealed',
      'export default class Decorated {}',
      '',
      '/** Arrow. */',
      'export const arrow = async (a: number, b: number): Promise<number> => a + b;',
      'export const notAFunction = 42;',
      'export const bare = x => x;',
      '/** Documented generator. */ export function* generate() {}',
      'export abstract class Shape {}',
    ].join('\n');
    // Exports: documented, lineCommented, PlainCommented, Decorated, arrow,
    // bare, generate, Shape = 8; documented: documented, Decorated, arrow, generate = 4.
    expect(countDocumentedExportsInText(text)).toEqual({ documented: 4, total: 8 });
  });

  it('counts an overloaded function once, and export lists of local declarations', () => {
    const text = [
      '/** Parses. */',
      'export function parse(input: string): number;',
      'export function parse(input: number): number;',
      'export function parse(input: unknown): number { return Number(input); }',
      '',
      '/** Helper. */',
      'function helper() {}',
      'class Hidden {}',
      'const local = () => 1;',
      "export { helper, Hidden as Visible, local, notDeclaredHere };",
      "export { elsewhere } from './other.js';",
    ].join('\n');
    // parse (documented), helper (documented), Hidden, local = 4.
    expect(countDocumentedExportsInText(text)).toEqual({ documented: 2, total: 4 });
  });

  it('ignores "export function" inside strings, templates and comments', () => {
    const text = [
      "const code = 'export function fake() {}';",
      'const template = `',
      'export function alsoFake() {}',
      '`;',
      '// export function commentedOut() {}',
      '/*',
      'export class BlockCommented {}',
      '*/',
      'exports.real = function () {};',
      '/** CommonJS, documented. */',
      'module.exports.documentedReal = (a) => a;',
    ].join('\n');
    expect(countDocumentedExportsInText(text)).toEqual({ documented: 1, total: 2 });
  });

  it('does not take a doc comment separated by code for the declaration\'s', () => {
    const text = ['/** About the constant. */', 'const LIMIT = 3;', 'export function limited() {}'].join('\n');
    expect(countDocumentedExportsInText(text)).toEqual({ documented: 0, total: 1 });
  });
});

describe('measureDocCoverage', () => {
  it('gives the share of documented exports in the node-project fixture', async () => {
    // lib/math.js exports add (with /** */), divide (none) and unused (/* */,
    // not a doc comment); checks/math.check.mjs exports nothing: 1 of 3.
    expect(await measureDocCoverage(path.join(FIXTURES, 'node-project'))).toBeCloseTo(100 / 3, 10);
  });

  it('is null when nothing is exported, and skips node_modules and dist', async () => {
    const root = makeTemporaryDir();
    writeFileSync(path.join(root, 'main.js'), 'console.log(1);\n');
    for (const skipped of ['node_modules/pkg', 'dist']) {
      mkdirSync(path.join(root, skipped), { recursive: true });
      writeFileSync(path.join(root, skipped, 'index.js'), 'export function undocumented() {}\n');
    }
    expect(await measureDocCoverage(root)).toBeNull();
    writeFileSync(path.join(root, 'lib.ts'), '/** Yes. */\nexport function a() {}\nexport function b() {}\n');
    expect(await measureDocCoverage(root)).toBe(50);
  });

  it('rejects a root that is not a directory, naming it', async () => {
    await expect(measureDocCoverage(path.join(FIXTURES, 'missing-project'))).rejects.toThrow(/missing-project.*not a readable directory/);
  });
});
