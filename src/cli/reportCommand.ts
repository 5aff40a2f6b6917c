// `megatest report DIR`: the report of a run folder, rebuilt from its files
// and printed in one format. Written into the folder too, except where that
// would be wrong: a legacy folder is the original runner's (its
// final_report.json is the runner's own), and a running session's
// orchestrator writes the final report when the run ends (one written now
// would be a "final" report of a run still going), and one killed before its
// end has none yet (`megatest resume` goes on with it; an imported recording
// cut short has none either, and nothing goes on with it).

import { UsageError } from '../config/errors.js';
import { foldRunFolder, missingLog } from '../io/foldLog.js';
import { runPaths } from '../io/runFolder.js';
import { importedAgentKind } from '../io/runInfo.js';
import { countOf } from '../state/groupDigits.js';
import { newerRunNote } from './newerVersion.js';
import { existsSync, readFileSync } from 'node:fs';
import { buildReport, renderJUnit, renderMarkdown, reportExitCode, writeReportFiles, type FinalReport } from '../report/report.js';

export async function printReport(dir: string, options: { legacy: boolean; running: boolean; format: string }): Promise<number> {
  const { legacy, running, format } = options;
  // A folder with no log at all is damaged (made with its log, even one killed before its first event): said so, not "no session_started".
  if (!legacy && !existsSync(runPaths(dir).events)) throw missingLog(runPaths(dir).events, 'megatest report', 'nothing to report; final_report.* left as they were');
  const folded = await foldRunFolder(runPaths(dir).root);
  const newer = legacy ? null : newerRunNote('report', dir, folded.state.session?.megatestVersion ?? null, folded.unknownTypes);
  if (newer !== null) process.stderr.write(newer + '\n');
  // An event log with no session in it (garbage, or emptied) would give a report of nothing ("starting",
  // every criterion unmeasured) in place of the one the run wrote: said, and the report files left as they are.
  if (!legacy && folded.state.session === null) {
    const unreadable = folded.unreadable > 0 ? `${countOf(folded.unreadable, 'unreadable line')}, ` : '';
    throw new UsageError(`megatest report: ${runPaths(dir).events}: ${unreadable}no session_started event: nothing to report; final_report.* left as they were`);
  }
  // A run that recorded no end and that no orchestrator runs was stopped from outside (kill -9, the machine went
  // down): a report of it is as of its last event, not its final one, and `megatest resume` goes on with it.
  const stopped = !legacy && !running && folded.state.ended === null;
  const report = await buildReport(dir, folded);
  // A finished run's report is rewritten only when it says what the one written at its end said: a verdict that
  // changed means the folder changed since (checkpoints or objects deleted, the log cut), and that is said, not written.
  const changed = legacy || running || stopped ? null : changedVerdict(dir, report);
  if (!legacy && !running && !stopped && changed === null) await writeReportFiles(dir, report);
  if (legacy) process.stderr.write(`megatest report: ${dir} is a run folder of the original runner: the report is printed, nothing is written into the folder\n`);
  if (running) process.stderr.write(`megatest report: the session in ${dir} is still running: this is the report as of now, printed only; its orchestrator writes final_report.* when the run ends\n`);
  if (stopped) process.stderr.write(`megatest report: ${stoppedNote(dir)}\n`);
  if (changed !== null) process.stderr.write(`megatest report: ${changed}\n`);
  process.stdout.write(format === 'json' ? JSON.stringify(report, null, 2) + '\n' : format === 'junit' ? renderJUnit(report) : renderMarkdown(report));
  return changed !== null ? 1 : reportExitCode(report);
}

/**
 * Why a run folder with no recorded end is reported as of its last event, and what goes on with it: an
 * imported one is a recording cut short (the import stopped, or its log was cut), which resume refuses.
 */
function stoppedNote(dir: string): string {
  const importedKind = importedAgentKind(dir);
  if (importedKind !== null) {
    return `${dir} is recorded ${importedKind} output (megatest import) with no recorded end, a recording cut short: this is the report as of its last event, printed only; megatest resume does not go on with a recording (megatest import its files again for a whole one)`;
  }
  return `the session in ${dir} recorded no end and no orchestrator runs it (killed?): this is the report as of its last event, printed only; megatest resume ${dir} goes on with it`;
}

/**
 * How the rebuilt report's verdict differs from final_report.json's (the one
 * written at the run's end), in one line; null when it does not, or when there
 * is no readable report to compare with (it is then written).
 */
export function changedVerdict(dir: string, rebuilt: FinalReport): string | null {
  const file = runPaths(dir).finalReportJson;
  let written: unknown;
  try {
    written = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  const passed = (written as { verdict?: { critical_passed?: unknown } } | null)?.verdict?.critical_passed;
  if (typeof passed !== 'boolean' || passed === rebuilt.verdict.critical_passed) return null;
  const failing = rebuilt.criteria.find((c) => c.level === 'critical' && !c.passed);
  const now = rebuilt.verdict.critical_passed ? 'passes' : `fails (${failing ? `${failing.description}: ${failing.evidence}` : 'a critical criterion'})`;
  return `${file} (written at the run's end) says the run ${passed ? 'passed' : 'failed'}, but the folder as it is now ${now}: it changed since (damaged?); final_report.* left as they were (remove final_report.json to write the rebuilt report)`;
}
