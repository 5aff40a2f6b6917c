// Is a legacy run still going? The original runners leave no control file:
// run_mega_test.sh writes `.monitor_pid` (its monitor loop) and leaves
// `status` at `running` when killed; test_runner.py writes no pid at all, but
// takes a metrics snapshot every 30 s. A run whose end is written down
// (final_report.json, interrupted.json, a final status word) has ended.
//
// A live pid alone is no proof: pids are reused, and a folder killed months
// ago names one some other process (pid 1, a shell) has now. The pid counts
// as the runner's only when its process started within the run (not before
// the run began, not after its last record, 10 minutes' slack each way:
// /proc tells when it started), and when the run has been silent no longer
// than its planned length (at least an hour). See docs/legacy.md.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isPidAlive, processStartMs } from '../io/processAlive.js';
import { readLegacyConfig } from './configFile.js';
import { CHECKPOINT_FILE, METRICS_FILE } from './detect.js';
import { listNumbered } from './metricsFiles.js';
import { readMonitorPid, readStatusWord } from './statusFiles.js';
import { parseLegacyTime } from './time.js';

/** Without a pid to check, a python run that wrote a snapshot this recently may still be going (it writes one every 30 s). */
export const PYTHON_ACTIVE_WINDOW_MS = 10 * 60_000;
/** How far a monitor's start may lie outside the run's recorded span (clocks, a slow start) and still be its monitor. */
export const MONITOR_START_SLACK_MS = 10 * 60_000;
/** A run silent this long, or its planned length if longer, has no runner left, whatever its pid file names. */
export const MIN_SILENCE_MS = 60 * 60_000;

export interface LegacyLiveness {
  live: boolean;
  /** Why, in words for a status line. */
  why: string;
  /** Whether the runner wrote its end down (final report, interrupted.json, a final status). */
  endRecorded: boolean;
  monitorPid: number | null;
}

/** Who may answer for a pid: whether it runs, and (where /proc says) when it started. */
export interface PidProbe {
  isPidAlive: (pid: number) => boolean;
  /** ms since the epoch; null where it cannot be told. */
  processStartMs?: (pid: number) => number | null;
}

/** This machine's processes. */
export const SYSTEM_PIDS: PidProbe = { isPidAlive, processStartMs };

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

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Why the live pid cannot be the run's monitor, or null when nothing says it is not. */
function notTheMonitor(runDir: string, pid: number, probe: PidProbe, nowMs: number): string | null {
  const config = readLegacyConfig(runDir, []);
  const started = parseLegacyTime(config.startedAt, null);
  const startMs = started?.zoned ? started.ms : null;
  const newest = newestActivityMs(runDir);
  const lastMs = Math.max(startMs ?? -Infinity, newest ?? -Infinity);
  const processStart = probe.processStartMs?.(pid) ?? null;
  if (processStart !== null && Number.isFinite(lastMs)) {
    if (processStart > lastMs + MONITOR_START_SLACK_MS) return `pid ${pid}, alive, started ${iso(processStart)}, after the run's last record (${iso(lastMs)}): another process has the pid now`;
    // Only against a recorded start: without one, the newest record is no beginning (a run going for hours has a fresh snapshot).
    if (startMs !== null && processStart < startMs - MONITOR_START_SLACK_MS) return `pid ${pid}, alive, started ${iso(processStart)}, before the run began (${iso(startMs)}): another process has the pid`;
  }
  if (Number.isFinite(lastMs)) {
    const planned = config.durationHours !== null ? config.durationHours * 3_600_000 : 0;
    const silence = nowMs - lastMs;
    if (silence > Math.max(MIN_SILENCE_MS, planned)) {
      return `pid ${pid}, alive, yet the run's last record (${iso(lastMs)}) is older than its planned length${planned > 0 ? ` (${config.durationHours} h)` : ''}: another process has the pid now`;
    }
  }
  return null;
}

export function legacyLiveness(runDir: string, probe: PidProbe, nowMs: number): LegacyLiveness {
  const monitorPid = readMonitorPid(runDir, null);
  const ended = (why: string): LegacyLiveness => ({ live: false, why, endRecorded: true, monitorPid });
  if (existsSync(path.join(runDir, 'final_report.json'))) return ended('the runner wrote final_report.json');
  if (existsSync(path.join(runDir, 'interrupted.json'))) return ended('the runner wrote interrupted.json');
  const { status } = readStatusWord(runDir, null);
  if (status !== null && status !== 'running') return ended(`status says ${status}`);
  const said = status === 'running' ? 'status says running' : 'no final status';
  if (monitorPid !== null) {
    if (!probe.isPidAlive(monitorPid)) return { live: false, why: `${said} but the monitor (pid ${monitorPid}) is gone: the runner was killed`, endRecorded: false, monitorPid };
    const other = notTheMonitor(runDir, monitorPid, probe, nowMs);
    return other === null
      ? { live: true, why: `${said} and the monitor (pid ${monitorPid}) is alive`, endRecorded: false, monitorPid }
      : { live: false, why: `${said}, but ${other}; the runner was killed`, endRecorded: false, monitorPid };
  }
  const newest = newestActivityMs(runDir);
  if (newest !== null && Math.abs(nowMs - newest) < PYTHON_ACTIVE_WINDOW_MS) {
    return { live: true, why: `${said}, no pid to check, and the last snapshot is ${Math.max(0, Math.round((nowMs - newest) / 1000))} s old`, endRecorded: false, monitorPid };
  }
  return { live: false, why: `${said}, no final report and no pid: the runner was killed`, endRecorded: false, monitorPid };
}
