// `megatest report DIR`: the report of a run folder, rebuilt from its files
// and printed in one format. Written into the folder too, except where that
// would be wrong: a legacy folder is the original runner's (its
// final_report.json is the runner's own), and a running session's
// orchestrator writes the final report when the run ends (one written now
// would be a "final" report of a run still going).

import { buildReport, renderJUnit, renderMarkdown, reportExitCode, writeReport } from '../report/report.js';

export async function printReport(dir: string, options: { legacy: boolean; running: boolean; format: string }): Promise<number> {
  const { legacy, running, format } = options;
  const report = legacy || running ? await buildReport(dir) : await writeReport(dir);
  if (legacy) process.stderr.write(`megatest report: ${dir} is a run folder of the original runner: the report is printed, nothing is written into the folder\n`);
  if (running) process.stderr.write(`megatest report: the session in ${dir} is still running: this is the report as of now, printed only; its orchestrator writes final_report.* when the run ends\n`);
  process.stdout.write(format === 'json' ? JSON.stringify(report, null, 2) + '\n' : format === 'junit' ? renderJUnit(report) : renderMarkdown(report));
  return reportExitCode(report);
}
