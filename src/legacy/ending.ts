// How a legacy run ended, from what its runner wrote down: interrupted.json,
// the final report's status (and Bash's exit code), the status file; a run
// left at `running` whose process is gone was killed. Each ending says which
// file it was read from.

import type { SessionStatus } from '../contract/statuses.js';
import type { ReplayDamage } from '../replay/types.js';
import type { LegacyFinalReport } from './finalReport.js';
import type { LegacyLiveness } from './liveness.js';
import { isLegacyStatusWord, type LegacyStatusFiles, type LegacyStatusWord } from './statusFiles.js';

export interface LegacyEnding {
  status: SessionStatus;
  exitCode: number;
  reason: string;
}

const EXIT: Record<Exclude<LegacyStatusWord, 'running'>, number> = { completed: 0, timeout: 124, interrupted: 130, failed: 1 };

function ending(status: Exclude<LegacyStatusWord, 'running'>, reason: string, exitCode?: number | null): LegacyEnding {
  return { status, exitCode: exitCode ?? EXIT[status], reason };
}

/** null: the run is still going (its process is alive). */
export function decideEnding(
  files: LegacyStatusFiles,
  report: LegacyFinalReport | null,
  liveness: LegacyLiveness,
  damage: ReplayDamage[],
): LegacyEnding | null {
  const word = files.status;
  const reportStatus = report && report.shape !== 'unreadable' ? report.status : null;
  if (reportStatus !== null && word !== null && reportStatus !== word) {
    damage.push({ file: 'final_report.json', problem: `says status ${reportStatus} while the status file says ${word}; the final report is read` });
  }
  if (files.interrupted !== null) {
    return ending('interrupted', `interrupted.json${files.interrupted.reason ? `: ${files.interrupted.reason}` : ''}`);
  }
  if (report?.shape === 'bash' && isLegacyStatusWord(reportStatus) && reportStatus !== 'running') {
    return ending(reportStatus, `final_report.json (run_mega_test.sh) says ${reportStatus}${report.exitCode !== null ? `, exit ${report.exitCode}` : ''}`, report.exitCode);
  }
  if (report?.shape === 'python') {
    if (reportStatus === 'completed' || reportStatus === 'failed') return ending(reportStatus, `final_report.json (test_runner.py) says ${reportStatus}`);
    if (reportStatus === 'running') {
      // test_runner.py leaves its status at running when a phase's recovery failed, then writes the report anyway
      return ending('failed', 'final_report.json says running, but the runner wrote its final report: it stopped before its last phase ended (test_runner.py does so when a recovery fails)');
    }
  }
  if (word !== null && word !== 'running') {
    return ending(word, `the status file says ${word}${report === null ? ' (no final_report.json)' : ''}`, report?.shape === 'bash' ? report.exitCode : null);
  }
  if (report !== null) {
    return ending('failed', `final_report.json ${report.shape === 'unreadable' ? 'is damaged' : 'names no final status'}: the runner finished, its outcome is not recorded`);
  }
  if (liveness.live) return null;
  return ending('interrupted', liveness.why);
}
