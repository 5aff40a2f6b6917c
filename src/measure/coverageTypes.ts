// What a coverage report gives (coverage.ts reads lcov and cobertura,
// istanbulSummary.ts Istanbul's json-summary), and the error of a report
// that measured nothing.

export interface CoverageSummary {
  linesPct: number;
  linesCovered: number;
  linesTotal: number;
  branchesPct: number | null;
  functionsPct: number | null;
}

export type CoverageFormat = 'lcov' | 'cobertura' | 'istanbul-summary';

/** A report that counts no lines: nothing was measured, so there is no figure (not 0, not 100). */
export class CoverageNotMeasured extends Error {
  override name = 'CoverageNotMeasured';
}

export interface CoverageOptions {
  /**
   * Files whose lines are not counted (the project's test files), by the
   * path the report names them with: lcov records, cobertura classes and
   * Istanbul's per-file entries alike. When one is left out, cobertura's and
   * Istanbul's figures are counted from the files that stay instead of taken
   * from the report's totals (cobertura's branches are then not measured:
   * its root branch-rate holds the left-out files).
   */
  leaveOut?: (file: string) => boolean;
}
