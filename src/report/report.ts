// The final report: final_report.json, final_report.md and junit.xml,
// written from the run folder alone, and the exit code its verdict gives.

import { writeFileAtomic } from '../io/atomic.js';
import type { FoldedRun } from '../io/foldLog.js';
import { runPaths } from '../io/runFolder.js';
import { buildReport, type FinalReport } from './build.js';
import { renderJUnit, renderMarkdown } from './render.js';
import { assertNever } from '../contract/assertNever.js';

export { buildReport, EFFICIENCY_TABLE, rate, type FinalReport, type Rating } from './build.js';
export { renderJUnit, renderMarkdown } from './render.js';

export async function writeReport(runDir: string, folded?: FoldedRun): Promise<FinalReport> {
  return writeReportFiles(runDir, await buildReport(runDir, folded));
}

/** Writes a built report's three files (each atomically). */
export async function writeReportFiles(runDir: string, report: FinalReport): Promise<FinalReport> {
  const paths = runPaths(runDir);
  await writeFileAtomic(paths.finalReportJson, JSON.stringify(report, null, 2) + '\n');
  await writeFileAtomic(paths.finalReportMd, renderMarkdown(report));
  await writeFileAtomic(paths.junit, renderJUnit(report));
  return report;
}

/** Exit code per DESIGN §2 for a finished run's report. */
export function reportExitCode(report: FinalReport): number {
  // Not ended (still going, or killed before its end): no success yet, whatever its last status word said.
  if (report.exit_code === null && !report.legacy) return 1;
  switch (report.status) {
    case 'completed':
      return report.verdict.critical_passed ? 0 : 1;
    case 'timeout':
      return 124;
    case 'interrupted':
      return 130;
    case 'failed':
      return 1;
    case 'starting':
    case 'running':
    case 'paused':
    case 'recovering':
      return 1;
    default:
      return assertNever(report.status, 'status');
  }
}
