// Istanbul's coverage-summary.json (nyc, c8, jest --coverage): its "total",
// or the per-file entries added up when test files are left out. A total of
// no lines ("pct": "Unknown") measured nothing (CoverageNotMeasured).

import { CoverageNotMeasured, type CoverageOptions, type CoverageSummary } from './coverageTypes.js';

interface IstanbulMetric {
  total: number;
  covered: number;
  pct: number | string;
}

export function parseIstanbulSummary(json: string, options: CoverageOptions = {}): CoverageSummary {
  const formatName = 'parseIstanbulSummary (expected Istanbul coverage-summary.json with "total": {"lines": {...}})';
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch (error) {
    throw new Error(`${formatName}: not JSON: ${(error as Error).message}`);
  }
  let total = (document as { total?: Record<string, unknown> } | null)?.total;
  if (typeof total !== 'object' || total === null) throw new Error(`${formatName}: no "total" object`);
  const leaveOut = options.leaveOut ?? (() => false);
  const files = Object.entries(document as Record<string, unknown>).filter(([key]) => key !== 'total');
  const kept = files.filter(([file]) => !leaveOut(file));
  // The total holds the left-out files: add up the entries of the others.
  if (kept.length < files.length) total = istanbulTotal(kept, formatName);
  const lines = readIstanbulMetric(total.lines, 'total.lines', formatName);
  if (!lines) throw new Error(`${formatName}: no "total.lines" with numeric "total" and "covered"`);
  const branches = readIstanbulMetric(total.branches, 'total.branches', formatName);
  const functions = readIstanbulMetric(total.functions, 'total.functions', formatName);
  const linesPct = istanbulPct(lines);
  if (linesPct === null) {
    const what = kept.length < files.length ? `the files outside the test files count no lines (${files.length - kept.length} of ${files.length} left out)` : `"total.lines" counts no lines (total 0, pct ${JSON.stringify(lines.pct)})`;
    throw new CoverageNotMeasured(`${formatName}: ${what}: nothing was measured`);
  }
  return {
    linesPct,
    linesCovered: lines.covered,
    linesTotal: lines.total,
    branchesPct: branches ? istanbulPct(branches) : null,
    functionsPct: functions ? istanbulPct(functions) : null,
  };
}

/** The "total" of the per-file entries given, as Istanbul adds them up (pct left to be computed). */
function istanbulTotal(files: [string, unknown][], formatName: string): Record<string, unknown> {
  const total: Record<string, IstanbulMetric> = {};
  for (const key of ['lines', 'branches', 'functions'] as const) {
    let metricTotal = 0;
    let covered = 0;
    let present = false;
    for (const [file, entry] of files) {
      const metric = readIstanbulMetric((entry as Record<string, unknown> | null)?.[key], `${file}.${key}`, formatName);
      if (metric === undefined) continue;
      present = true;
      metricTotal += metric.total;
      covered += metric.covered;
    }
    if (present || key === 'lines') total[key] = { total: metricTotal, covered, pct: '' };
  }
  return total;
}

function readIstanbulMetric(value: unknown, key: string, formatName: string): IstanbulMetric | undefined {
  if (value === undefined) return undefined;
  const metric = value as Partial<IstanbulMetric> | null;
  if (typeof metric !== 'object' || metric === null || typeof metric.total !== 'number' || typeof metric.covered !== 'number') {
    throw new Error(`${formatName}: "${key}" must be an object with numeric "total" and "covered"`);
  }
  return { total: metric.total, covered: metric.covered, pct: metric.pct ?? '' };
}

/** Istanbul's own pct when numeric ("Unknown" when total is 0); null when nothing was measured. */
function istanbulPct(metric: IstanbulMetric): number | null {
  if (metric.total === 0) return null;
  return typeof metric.pct === 'number' ? metric.pct : (metric.covered / metric.total) * 100;
}
