// The project's lines of code and doc coverage as sums of per-file figures
// (fileFigures.ts): a file that changed replaces its own share, so the totals
// cost what changed, not the whole tree. The sums are kept as integers and
// adjusted in place; the report is shaped as countLines returns it.

import { isApiFile, type DocCoverageCount } from './docCoverage.js';
import type { FileFigures } from './fileFigures.js';
import type { LanguageCount } from './lineCounter.js';
import type { LocReport } from './loc.js';

function emptyCount(): LanguageCount {
  return { files: 0, code: 0, comment: 0, blank: 0 };
}

export class ProjectFigures {
  private readonly byFile = new Map<string, FileFigures>();
  private readonly byLanguage = new Map<string, LanguageCount>();
  private readonly total = emptyCount();
  private readonly doc: DocCoverageCount = { documented: 0, total: 0 };

  /** Replaces one file's figures (null: it has none, or it is gone). */
  set(file: string, figures: FileFigures | null): void {
    const old = this.byFile.get(file);
    if (old) this.add(file, old, -1);
    if (figures) {
      this.byFile.set(file, figures);
      this.add(file, figures, 1);
    } else {
      this.byFile.delete(file);
    }
  }

  /** Forgets every file (the project folder is gone). */
  clear(): void {
    for (const file of [...this.byFile.keys()]) this.set(file, null);
  }

  get filesWithFigures(): number {
    return this.byFile.size;
  }

  /** Lines of code as countLines reports them: largest language first. */
  loc(): LocReport {
    const sorted = [...this.byLanguage].sort(([nameA, a], [nameB, b]) => b.code - a.code || nameA.localeCompare(nameB));
    return { total: { ...this.total }, byLanguage: Object.fromEntries(sorted.map(([name, count]) => [name, { ...count }])) };
  }

  docCount(): DocCoverageCount {
    return { ...this.doc };
  }

  /** Share (0..100) of public items with documentation (docCoverage.ts); null when there are none. */
  docCoverage(): number | null {
    return this.doc.total === 0 ? null : (this.doc.documented / this.doc.total) * 100;
  }

  private add(file: string, figures: FileFigures, sign: 1 | -1): void {
    if (figures.loc) {
      const { language, code, comment, blank } = figures.loc;
      const entry = this.byLanguage.get(language) ?? emptyCount();
      for (const target of [entry, this.total]) {
        target.files += sign;
        target.code += sign * code;
        target.comment += sign * comment;
        target.blank += sign * blank;
      }
      if (entry.files === 0) this.byLanguage.delete(language);
      else this.byLanguage.set(language, entry);
    }
    if (figures.doc && isApiFile(file)) {
      this.doc.documented += sign * figures.doc.documented;
      this.doc.total += sign * figures.doc.total;
    }
  }
}
