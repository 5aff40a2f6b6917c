// Is a legacy run still going? The original runners leave no control file:
// run_mega_test.sh writes `.monitor_pid` (its monitor loop) and leaves
// `status` at `running` when killed; test_runner.py writes no pid at all, but
// takes a metrics snapshot every 30 s. A run whose end is written down
// (final_report.json, interrupted.json, a final status word) has ended.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CHECKPOINT_FILE, METRICS_FILE } from './detect.js';
import { listNumbered } from './metricsFiles.js';
import { readMonitorPid, readStatusWord } from './statusFiles.js';
import { parseLegacyTime } from './time.js';

/** Without a pid to check, a python run that wrote a snapshot this recently may still be going (it writes one every 30 s). */
export const PYTHON_ACTIVE_WINDOW_MS = 10 * 60_000;

export interface LegacyLiveness {
  live: boolean;
  /** Why, in words for a status line. */
  why: string;
  /** Whether the runner wrote its end down (final report, interrupted.json, a final status). */
  endRecorded: boolean;
  monitorPid: number | null;
}

/** The newest time the files name in their names or in metrics_current.json (ms), or null. */
function newestActivityMs(runDir: string): number | null {
  const unix = [
    ...listNumbered(path.join(runDir, 'metrics'), METRICS_FILE),
    ...listNumbered(path.join(runDir, 'checkpoints'), CHECKPOINT_FILE),
  ].map((entry) => entry.unix * 1000);
  try {
    const current = JSON.parse(readFileSync(path.join(runDir, 'metrics_current.json'), 'utf8')) as { timestamp?: unknown };
    const at = parseLegacyTime(current.timestamp, null);
    if (at?.zoned) unix.push(at.ms);
  } catch {
    // torn or missing: the names still tell
  }
  return unix.length === 0 ? null : Math.max(...unix);
}

export function legacyLiveness(runDir: string, isPidAlive: (pid: number) => boolean, nowMs: number): LegacyLiveness {
  const monitorPid = readMonitorPid(runDir, null);
  const ended = (why: string): LegacyLiveness => ({ live: false, why, endRecorded: true, monitorPid });
  if (existsSync(path.join(runDir, 'final_report.json'))) return ended('the runner wrote final_report.json');
  if (existsSync(path.join(runDir, 'interrupted.json'))) return ended('the runner wrote interrupted.json');
  const { status } = readStatusWord(runDir, null);
  if (status !== null && status !== 'running') return ended(`status says ${status}`);
  const said = status === 'running' ? 'status says running' : 'no final status';
  if (monitorPid !== null) {
    return isPidAlive(monitorPid)
      ? { live: true, why: `${said} and the monitor (pid ${monitorPid}) is alive`, endRecorded: false, monitorPid }
      : { live: false, why: `${said} but the monitor (pid ${monitorPid}) is gone: the runner was killed`, endRecorded: false, monitorPid };
  }
  const newest = newestActivityMs(runDir);
  if (newest !== null && Math.abs(nowMs - newest) < PYTHON_ACTIVE_WINDOW_MS) {
    return { live: true, why: `${said}, no pid to check, and the last snapshot is ${Math.max(0, Math.round((nowMs - newest) / 1000))} s old`, endRecorded: false, monitorPid };
  }
  return { live: false, why: `${said}, no final report and no pid: the runner was killed`, endRecorded: false, monitorPid };
}
