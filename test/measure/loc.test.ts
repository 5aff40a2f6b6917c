import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { countLines, countSourceText, type LocReport } from '../../src/measure/loc.js';
import { PACKAGE_ROOT } from '../../src/paths.js';

const FIXTURE_PROJECT = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'measure', 'loc-project');
const temporaryDirs: string[] = [];
function makeTemporaryDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'megatest-loc-'));
  temporaryDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
});

function count(fileName: string, text: string): { code: number; comment: number; blank: number } {
  return countSourceText(text, fileName);
}

describe('countSourceText on small cases', () => {
  it('separates blank, comment-only and code lines in JavaScript', () => {
    const text = ['// header', '', 'const a = 1; // trailing', '/* block', '   still block */', '  ', 'a++;'].join('\n') + '\n';
    expect(count('a.js', text)).toEqual({ code: 2, comment: 3, blank: 2 });
  });

  it('does not take comment markers inside strings and regexes for comments', () => {
    const text = [
      "const glob = 'src/**/*.ts';",
      'const url = "http://x.test";',
      'const re = /\\/\\*+/g;',
      'const tpl = `src/**/*.ts ${glob}',
      '  text/* not closed in this template`;',
      'const done = true; */ not closing anything',
    ].join('\n');
    expect(count('a.ts', text)).toEqual({ code: 6, comment: 0, blank: 0 });
  });

  it('counts comments inside template literals that hold source code, as cloc does', () => {
    const text = ['const source = `', '// a comment of the embedded code', '/**', ' * doc', ' */', 'export const x = 1;', '`;'].join('\n');
    expect(count('a.ts', text)).toEqual({ code: 3, comment: 4, blank: 0 });
  });

  it('reads division as division, not as a regex that would hide a comment', () => {
    const text = ['const half = total / 2; // comment', '// only comment', 'const r = (a) / (b) / 2;'].join('\n');
    expect(count('a.js', text)).toEqual({ code: 2, comment: 1, blank: 0 });
  });

  it('resumes template literal text after nested ${} expressions', () => {
    const text = ['const s = `a ${`b ${c}`} d', 'template text', '`; // after', '// real comment'].join('\n');
    expect(count('a.js', text)).toEqual({ code: 3, comment: 1, blank: 0 });
  });

  it('counts Python docstrings and # lines as comments, # in strings as code', () => {
    const text = ['"""Doc.', '', 'more"""', 'x = "# not"  # trailing', '# comment'].join('\n');
    expect(count('a.py', text)).toEqual({ code: 1, comment: 3, blank: 1 });
  });

  it('handles Rust lifetimes, char literals and raw strings', () => {
    const text = ["fn f<'a>(s: &'a str) -> char {", "    let q = '\"';", '    let r = r#"/* "x" */"#;', '    // note', "    'x'", '}'].join('\n');
    expect(count('a.rs', text)).toEqual({ code: 5, comment: 1, blank: 0 });
  });

  it('ends a Rust block comment at the */ that closes its first /*, as Rust nests them', () => {
    // Lines 1-4 are one comment: the */ on line 2 closes the inner /*, line 4 the outer.
    const text = ['/* outer', '   /* inner */', '   fn commented_out() {}', '*/', 'fn f() {}', '/*/ not closed by its own slash */ fn g() {}'].join('\n');
    expect(count('a.rs', text)).toEqual({ code: 2, comment: 4, blank: 0 });
  });

  it('ends a C, Go or JavaScript block comment at the first */ (they do not nest)', () => {
    const text = ['/* outer', '   /* inner */', 'int x = 1;'].join('\n');
    for (const file of ['a.c', 'a.go', 'a.js', 'a.java']) expect(count(file, text), file).toEqual({ code: 1, comment: 2, blank: 0 });
  });

  it('treats a #! first line as code and other # lines as comments in shell', () => {
    expect(count('a.sh', '#!/bin/sh\n# comment\necho "# not"\n')).toEqual({ code: 2, comment: 1, blank: 0 });
  });

  it('counts JSON lines as code, with no comments', () => {
    expect(count('a.json', '{\n\n  "a": "// x"\n}\n')).toEqual({ code: 3, comment: 0, blank: 1 });
  });

  it('handles CRLF line ends and a missing final newline', () => {
    expect(count('a.ts', 'const a = 1;\r\n\r\n// c\r\nconst b = 2;')).toEqual({ code: 2, comment: 1, blank: 1 });
  });

  it('rejects a file name with no known language', () => {
    expect(() => countSourceText('x', 'notes.xyz')).toThrow(/no known language for "notes.xyz"/);
  });
});

describe('countLines on test/fixtures/measure/loc-project', () => {
  // Counted by hand. "= cloc" marks files where cloc 1.96 gives the same
  // figures; the two that differ differ on purpose (see the reasons).
  const expectedByFile: Record<string, { code: number; comment: number; blank: number }> = {
    // = cloc. 36 lines: the shebang is code; the glob, URL, regexes and the
    // template's "//" and "/*" are code; a block comment ending on a code line makes it code.
    'web/server.js': { code: 22, comment: 7, blank: 7 },
    // = cloc. `{/* a JSX comment */}` has braces outside the comment: code.
    'web/view.tsx': { code: 16, comment: 3, blank: 3 },
    // cloc: 10/7/4. cloc only knows double-quoted TypeScript strings, so
    // ['a/*', 'b/**'] opens a comment for it; here it is code.
    'web/util.ts': { code: 11, comment: 6, blank: 4 },
    'web/legacy.cjs': { code: 4, comment: 1, blank: 0 }, // = cloc
    'native/lib.rs': { code: 12, comment: 4, blank: 2 }, // = cloc
    // cloc: 7/5/2. The "// inside" line is inside a Go raw string: code.
    'native/main.go': { code: 8, comment: 4, blank: 2 },
    'native/ring.c': { code: 6, comment: 2, blank: 1 }, // = cloc
    'native/ring.h': { code: 4, comment: 1, blank: 0 }, // = cloc
    'native/Ring.java': { code: 7, comment: 2, blank: 2 }, // = cloc
    // = cloc. Shebang code; both docstrings (4 + 1 lines) comment, "# not a comment" code.
    'scripts/tool.py': { code: 8, comment: 5, blank: 4 },
    'scripts/build.sh': { code: 4, comment: 2, blank: 1 }, // = cloc
    'config/settings.toml': { code: 4, comment: 1, blank: 1 }, // = cloc
    'config/ci.yml': { code: 5, comment: 2, blank: 1 }, // = cloc
    'config/data.json': { code: 5, comment: 0, blank: 1 }, // = cloc
    // cloc: 5/3/4 (its text code). Markdown is prose: every non-blank line a comment, the fenced "// code" too (as tokei).
    'docs/README.md': { code: 0, comment: 8, blank: 4 },
  };

  it.each(Object.entries(expectedByFile))('%s', (relative, expected) => {
    expect(countSourceText(readFileSync(path.join(FIXTURE_PROJECT, relative), 'utf8'), relative)).toEqual(expected);
  });

  it('adds the files up per language, recognises the extensionless script by its #! line', async () => {
    const report = await countLines(FIXTURE_PROJECT);
    // scripts/deploy: "#!/usr/bin/env bash" (code), one comment, one echo.
    const deploy = { code: 2, comment: 1, blank: 0 };
    const sumOf = (...files: string[]): { code: number; comment: number; blank: number } => {
      const parts = files.map((file) => expectedByFile[file] as { code: number; comment: number; blank: number });
      return {
        code: parts.reduce((sum, part) => sum + part.code, 0),
        comment: parts.reduce((sum, part) => sum + part.comment, 0),
        blank: parts.reduce((sum, part) => sum + part.blank, 0),
      };
    };
    expect(report.byLanguage.JavaScript).toEqual({ files: 2, ...sumOf('web/server.js', 'web/legacy.cjs') });
    expect(report.byLanguage.TypeScript).toEqual({ files: 2, ...sumOf('web/util.ts', 'web/view.tsx') });
    const shell = sumOf('scripts/build.sh');
    expect(report.byLanguage.Shell).toEqual({
      files: 2,
      code: shell.code + deploy.code,
      comment: shell.comment + deploy.comment,
      blank: shell.blank + deploy.blank,
    });
    expect(Object.keys(report.byLanguage).sort()).toEqual(
      ['C', 'C/C++ Header', 'Go', 'Java', 'JSON', 'JavaScript', 'Markdown', 'Python', 'Rust', 'Shell', 'TOML', 'TypeScript', 'YAML'].sort(),
    );
    const all = sumOf(...Object.keys(expectedByFile));
    expect(report.total).toEqual({
      files: 16,
      code: all.code + deploy.code,
      comment: all.comment + deploy.comment,
      blank: all.blank + deploy.blank,
    });
  });

  it('skips build, vendor, .git, node_modules, target, dist and coverage folders, and Python’s virtual environments and caches', async () => {
    const copy = makeTemporaryDir();
    cpSync(FIXTURE_PROJECT, copy, { recursive: true });
    const before = await countLines(copy);
    for (const skipped of ['build', 'vendor', '.git', 'node_modules', 'target', 'dist', 'coverage', 'web/node_modules/pkg', '.venv/lib/python3.11/site-packages/pkg', 'venv/lib', '.tox/py311', '__pycache__', '.pytest_cache', '.mypy_cache', '.next/server', '.yarn/releases', '.gradle', '.svelte-kit', '.turbo', 'bower_components', 'htmlcov']) {
      mkdirSync(path.join(copy, skipped), { recursive: true });
      writeFileSync(path.join(copy, skipped, 'extra.js'), 'const counted = false;\n');
      writeFileSync(path.join(copy, skipped, 'extra.py'), 'def counted():\n    return False\n');
    }
    const after = await countLines(copy);
    expect(after).toEqual(before);
  });

  it('counts the other languages of the // and /* */ family, and Ruby, by hand', () => {
    // Each: 1 comment line, 1 blank, 3 code (a comment marker in a string is code).
    const kotlin = '// greets\n\nfun main() {\n    println("// not a comment")\n}\n';
    expect(countSourceText(kotlin, 'Main.kt')).toEqual({ code: 3, comment: 1, blank: 1 });
    expect(countSourceText(kotlin.replace('fun main() {', 'func main() {'), 'main.swift')).toEqual({ code: 3, comment: 1, blank: 1 });
    expect(countSourceText('/* a\n b */\nclass A {\n  string s = "/*";\n}\n\n', 'A.cs')).toEqual({ code: 3, comment: 2, blank: 1 });
    expect(countSourceText('# a gem\n\nclass A\n  X = "# not"\nend\n', 'a.rb')).toEqual({ code: 3, comment: 1, blank: 1 });
    expect(countSourceText('/* theme */\n.a {\n  color: red;\n}\n', 'site.css')).toEqual({ code: 3, comment: 1, blank: 0 });
  });

  it("leaves out the files a package manager writes (package-lock.json, pnpm-lock.yaml…): they are not the project's code", async () => {
    const copy = makeTemporaryDir();
    cpSync(FIXTURE_PROJECT, copy, { recursive: true });
    const before = await countLines(copy);
    writeFileSync(path.join(copy, 'package-lock.json'), JSON.stringify({ name: 'x', lockfileVersion: 3, packages: { '': { name: 'x' } } }, null, 2) + '\n');
    mkdirSync(path.join(copy, 'web'), { recursive: true });
    writeFileSync(path.join(copy, 'web', 'pnpm-lock.yaml'), "lockfileVersion: '9.0'\nimporters:\n  .: {}\n");
    expect(await countLines(copy)).toEqual(before);
    // A JSON file of the project's own is counted as before.
    writeFileSync(path.join(copy, 'settings.json'), '{\n  "a": 1\n}\n');
    expect((await countLines(copy)).total.code).toBe(before.total.code + 3);
  });

  it('rejects a root that is not a directory, naming it', async () => {
    await expect(countLines(path.join(FIXTURE_PROJECT, 'no-such-dir'))).rejects.toThrow(/no-such-dir.*not a readable directory/);
  });
});

// ---------------------------------------------------------------- against cloc

function findCloc(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v cloc'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
const clocPath = findCloc();

interface ClocCounts {
  code: number;
  comment: number;
  blank: number;
}

/** cloc's --json report, with its language names mapped onto ours. */
function runCloc(root: string): { total: ClocCounts; byLanguage: Record<string, ClocCounts> } {
  const output = execFileSync(
    clocPath as string,
    ['--json', '--quiet', '--skip-uniqueness', '--exclude-dir=build,vendor,.git,node_modules,target,dist,coverage', root],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const report = JSON.parse(output) as Record<string, { code: number; comment: number; blank: number }>;
  const rename: Record<string, string> = { JSX: 'JavaScript', 'Bourne Shell': 'Shell', 'Bourne Again Shell': 'Shell' };
  const byLanguage: Record<string, ClocCounts> = {};
  for (const [name, counts] of Object.entries(report)) {
    if (name === 'header' || name === 'SUM') continue;
    const ours = rename[name] ?? name;
    const entry = (byLanguage[ours] ??= { code: 0, comment: 0, blank: 0 });
    entry.code += counts.code;
    entry.comment += counts.comment;
    entry.blank += counts.blank;
  }
  const sum = report.SUM as ClocCounts;
  // cloc counts Markdown's text as code; megatest counts it as documentation (comment lines), deliberately.
  const markdown = byLanguage.Markdown;
  if (markdown) {
    sum.comment += markdown.code;
    sum.code -= markdown.code;
    markdown.comment += markdown.code;
    markdown.code = 0;
  }
  return { total: { code: sum.code, comment: sum.comment, blank: sum.blank }, byLanguage };
}

function expectWithinTwoPercent(ours: number, theirs: number, what: string): void {
  const difference = Math.abs(ours - theirs) / Math.max(theirs, 1);
  expect(difference, `${what}: ours ${ours}, cloc ${theirs}`).toBeLessThanOrEqual(0.02);
}

/**
 * Code and blank lines must agree within 2%. Comment lines are compared only
 * where asked: cloc's TypeScript rules do not know single-quoted strings, so
 * in code like `'/**',` or `'test/*.test.js'` it counts comments where there
 * are none (on this repository's src/ that alone moves ~100 lines).
 */
function compareWithCloc(ours: LocReport, root: string, options: { comments: boolean }): void {
  const cloc = runCloc(root);
  expectWithinTwoPercent(ours.total.code, cloc.total.code, 'total code');
  expectWithinTwoPercent(ours.total.blank, cloc.total.blank, 'total blank');
  if (options.comments) expectWithinTwoPercent(ours.total.comment, cloc.total.comment, 'total comment');
  for (const [language, counts] of Object.entries(cloc.byLanguage)) {
    // Per language only where there is enough to make a percentage meaningful.
    if (counts.code < 100) continue;
    expectWithinTwoPercent(ours.byLanguage[language]?.code ?? 0, counts.code, `${language} code`);
  }
}

/** A deterministic JavaScript/TypeScript project of the kind the agents write. */
function generateJsProject(root: string): void {
  let seed = 20260401;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)] as T;
  const write = (relative: string, text: string): void => {
    mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
    writeFileSync(path.join(root, relative), text);
  };
  write('package.json', JSON.stringify({ name: 'generated', type: 'module', scripts: { test: 'node --test' } }, null, 2) + '\n');
  write('README.md', '# Generated\n\nA generated project.\n\n## Usage\n\n```sh\nnpm test\n```\n');
  for (let fileIndex = 0; fileIndex < 40; fileIndex++) {
    const typescript = fileIndex % 2 === 0;
    const lines: string[] = [`// Module ${fileIndex}: generated for the line-count comparison.`, ''];
    lines.push(typescript ? `import { helper${fileIndex} } from "./dep${fileIndex}.js";` : `import fs from "node:fs";`, '');
    for (let functionIndex = 0; functionIndex < 12; functionIndex++) {
      const name = `work${fileIndex}_${functionIndex}`;
      if (random() < 0.6) lines.push('/**', ` * Does step ${functionIndex} of module ${fileIndex}.`, ` * @param input the value`, ' */');
      lines.push(typescript ? `export function ${name}(input: number): number {` : `export function ${name}(input) {`);
      const bodyLines = 3 + Math.floor(random() * 6);
      for (let bodyIndex = 0; bodyIndex < bodyLines; bodyIndex++) {
        lines.push(
          pick([
            `  const value${bodyIndex} = input * ${bodyIndex + 1}; // scale`,
            `  const url${bodyIndex} = "http://service.test/api/${bodyIndex}";`,
            `  // step ${bodyIndex}`,
            `  const ratio${bodyIndex} = input / ${bodyIndex + 2} / 3;`,
            `  const pattern${bodyIndex} = /^\\d+\\/\\d+$/.test(String(input));`,
            `  const text${bodyIndex} = \`value \${input} of ${bodyIndex}\`;`,
            `  /* inline block */ input += ${bodyIndex};`,
            '',
            `  if (input > ${bodyIndex * 10}) {`,
            `    input -= 1;`,
            `  }`,
          ]),
        );
      }
      lines.push('  return input;', '}', '');
    }
    if (random() < 0.5) lines.push('/*', ' * Notes kept at the end of the file.', ' */');
    write(`src/module${fileIndex}.${typescript ? 'ts' : 'js'}`, lines.join('\n') + '\n');
  }
  write('test/module.test.mjs', "import test from 'node:test';\n\n// one test\ntest('works', () => {});\n");
  // Folders a project has that are not its code.
  write('node_modules/dep/index.js', 'module.exports = 1;\n'.repeat(50));
  write('dist/module0.js', 'export const built = true;\n'.repeat(50));
  write('coverage/lcov-report/index.js', 'var x = 1;\n'.repeat(50));
}

describe.skipIf(!clocPath)(`within 2% of cloc${clocPath ? '' : ' (skipped: cloc is not on PATH; apt-get install cloc)'}`, () => {
  it("on this repository's own src/", async () => {
    const source = path.join(PACKAGE_ROOT, 'src');
    compareWithCloc(await countLines(source), source, { comments: false });
  });

  it('on a generated JavaScript/TypeScript project', async () => {
    const root = makeTemporaryDir();
    generateJsProject(root);
    const ours = await countLines(root);
    expect(ours.total.code).toBeGreaterThan(1500);
    compareWithCloc(ours, root, { comments: true });
  });

  it('on the multi-language fixture project', async () => {
    // Its util.ts and main.go hold the cases where cloc is wrong on purpose (see above).
    compareWithCloc(await countLines(FIXTURE_PROJECT), FIXTURE_PROJECT, { comments: false });
  });
});
