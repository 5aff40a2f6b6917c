// One read and one lex per file (fileFigures.ts) give each file the figures
// the separate measures give it: countSourceText for lines of code and
// countDocumentedItems for doc coverage, on this repository's own
// sources and the measure fixtures.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { countDocumentedItems } from '../../src/measure/docCoverage.js';
import { figuresOfContent, mayHaveFigures, readFileFigures } from '../../src/measure/fileFigures.js';
import { languageByName } from '../../src/measure/languages.js';
import { countSourceText, listProjectFiles } from '../../src/measure/loc.js';
import { PACKAGE_ROOT } from '../../src/paths.js';

const TREES = [path.join(PACKAGE_ROOT, 'src'), path.join(PACKAGE_ROOT, 'test', 'fixtures', 'measure')];

describe('per-file figures from one read', () => {
  it('match countSourceText and countDocumentedExportsInText file by file', async () => {
    let compared = 0;
    for (const tree of TREES) {
      for (const file of await listProjectFiles(tree)) {
        const name = path.basename(file);
        const language = languageByName(name);
        if (!language) continue;
        const text = readFileSync(file, 'utf8');
        const figures = await readFileFigures(file);
        expect(figures?.loc, file).toEqual({ language: language.name, ...countSourceText(text, name) });
        expect(figures?.doc ?? null, file).toEqual(countDocumentedItems(name, text));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('leave binary files out of lines of code, not out of doc coverage', () => {
    const content = Buffer.concat([Buffer.from('/** Doc. */\nexport function f() {}\n'), Buffer.from([0])]);
    expect(figuresOfContent('a.ts', content, languageByName('a.ts'))).toEqual({ loc: null, doc: { documented: 1, total: 1 } });
    expect(figuresOfContent('a.sh', content, languageByName('a.sh'))).toBeNull();
  });

  it('read only files that may have figures', () => {
    expect(['a.ts', 'b.md', 'Makefile', 'run', 'c.JSON'].every(mayHaveFigures)).toBe(true);
    expect(['a.txt', 'image.png', '.env', 'data.b64'].some(mayHaveFigures)).toBe(false);
  });
});
