// Lines of code per language, counted the way cloc counts them: a line with
// only whitespace is blank, a line whose only non-whitespace characters are
// inside comments is a comment line, any other line is code. Comment markers
// inside strings (and JavaScript regex literals) are not comments. The same
// deliberate choices as cloc: Python triple-quoted strings count as comments
// (they are nearly always docstrings), comments inside JavaScript template
// literals count as comments (templates that hold source code are counted
// like that code), a `#` line counts as a comment in shell, YAML and TOML,
// and JSON has no comments. One deliberate difference: Markdown is prose,
// every non-blank line of it a comment line (as tokei counts it), where cloc
// counts its text as code; a README must not meet a lines-of-code target.
//
// This module walks the project and sums per language; languages.ts, the
// scanners (scanCursor.ts, sourceScanners.ts) and lineCounter.ts do the rest.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { languageByName, languageFromShebang } from './languages.js';
import { countText, type LanguageCount } from './lineCounter.js';
import { forEachLimited, listProjectFiles } from './projectFiles.js';

export { countSourceText, type LanguageCount } from './lineCounter.js';
export { forEachLimited, listProjectFiles, SKIPPED_DIRECTORIES } from './projectFiles.js';
export { scanJavaScriptSource, scanRustSource, type ScannedSource } from './sourceScanners.js';

export interface LocReport {
  total: LanguageCount;
  byLanguage: Record<string, LanguageCount>;
}

/** Enough of an extensionless file to see its `#!` line, without reading a large binary whole. */
async function readFirstLine(filePath: string): Promise<string> {
  const handle = await fs.open(filePath, 'r');
  try {
    const buffer = Buffer.alloc(256);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const head = buffer.subarray(0, bytesRead).toString('latin1');
    const newline = head.indexOf('\n');
    return newline === -1 ? head : head.slice(0, newline);
  } finally {
    await handle.close();
  }
}

function emptyCount(): LanguageCount {
  return { files: 0, code: 0, comment: 0, blank: 0 };
}

export async function countLines(root: string): Promise<LocReport> {
  const rootStat = await fs.stat(root).catch(() => undefined);
  if (!rootStat?.isDirectory()) {
    throw new Error(`countLines: root "${root}" is not a readable directory`);
  }
  const byLanguage: Record<string, LanguageCount> = {};
  const total = emptyCount();
  // Files without an extension may be scripts, recognised by their `#!` line.
  const files = (await listProjectFiles(root))
    .map((filePath) => ({ filePath, language: languageByName(path.basename(filePath)) }))
    .filter(({ filePath, language }) => language !== undefined || !path.basename(filePath).includes('.'));
  await forEachLimited(files, 16, async ({ filePath, language }) => {
    // Extensionless files (LICENSE, Makefile, built executables) are only read whole if they start with `#!`.
    const detected = language ?? languageFromShebang(await readFirstLine(filePath));
    if (!detected) return;
    const content = await fs.readFile(filePath);
    // Binary files are not source, whatever their name says (cloc skips them too).
    if (content.includes(0)) return;
    const text = content.toString('utf8');
    const counts = countText(text, detected.syntax);
    const entry = (byLanguage[detected.name] ??= emptyCount());
    for (const target of [entry, total]) {
      target.files += 1;
      target.code += counts.code;
      target.comment += counts.comment;
      target.blank += counts.blank;
    }
  });
  // Largest language first, so reports read the same from run to run.
  const sorted = Object.entries(byLanguage).sort(([nameA, a], [nameB, b]) => b.code - a.code || nameA.localeCompare(nameB));
  return { total, byLanguage: Object.fromEntries(sorted) };
}
