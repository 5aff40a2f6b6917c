// `megatest status` of a run nobody is running: its view read back from the
// run folder's files. Loaded only then (controlCommands.ts): the fold, the
// snapshot codec and the report's figures are most of what the status and
// control commands would otherwise load at start-up for a live run, which
// the control API answers (bench/startup.mjs).

import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { SessionMetrics } from '../contract/metrics.js';
import type { SessionStatus } from '../contract/statuses.js';
import { foldRunFolder, missingLog } from '../io/foldLog.js';
import { newerRunNote } from './newerVersion.js';
import { readJsonFile, readStatus, runPaths } from '../io/runFolder.js';
import { legacyRunnerOf } from '../legacy/marker.js';
import { withRunFigures } from '../report/figures.js';
import { currentPhase, lastEventMs } from '../state/runState.js';
import { gaugesFromState, sessionMetricsAt } from '../state/snapshot.js';
import { capabilitiesByAgent, lastCriticalAlert, recoveriesUnderWay, reportedCostUsd } from '../state/tallies.js';
import type { StatusView } from './statusView.js';

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/**
 * The highest-numbered checkpoint file's summary, read defensively (the file
 * may be from any version); else `unreadable` says why there is none (no
 * folder, an empty one, a file where the folder should be, EIO).
 */
export function newestCheckpointFromFiles(runDir: string): { newest: StatusView['last_checkpoint']; unreadable: string | null } {
  const dir = runPaths(runDir).checkpoints;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOENT') return { newest: null, unreadable: 'checkpoints is missing' };
    return { newest: null, unreadable: code === 'ENOTDIR' ? 'checkpoints is a file, not a folder' : `checkpoints cannot be listed (${code})` };
  }
  const numbered = names
    .map((name) => ({ name, match: /^checkpoint_(\d{1,9})\.json$/.exec(name) }))
    .filter((entry): entry is { name: string; match: RegExpExecArray } => entry.match !== null)
    .sort((a, b) => Number(b.match[1]) - Number(a.match[1]));
  const newest = numbered[0];
  if (!newest) return { newest: null, unreadable: 'checkpoints holds no checkpoint file' };
  const file = readJsonFile<Record<string, unknown>>(path.join(dir, newest.name));
  const body = file && typeof file.body === 'object' && file.body !== null ? (file.body as Record<string, unknown>) : file;
  return {
    newest: {
      id: str(body?.id) ?? newest.name.replace(/\.json$/, ''),
      phase: str(body?.phase),
      timestamp: str(body?.timestamp),
      trigger: str(body?.trigger),
    },
    unreadable: null,
  };
}

/**
 * The status of a run nobody is running, from its files: the same fold of
 * events.jsonl and the same snapshot reading as the live orchestrator's,
 * taken at the time of its last event, so it agrees with the report.
 */
export async function viewFromFiles(runDir: string): Promise<StatusView> {
  const paths = runPaths(runDir);
  const { state, legacy, unknownTypes } = await foldRunFolder(paths.root);
  // A run folder is made with its log: one without it was deleted or moved, said as report and resume say it, not shown
  // as "running" with what metrics_current.json last held.
  if (!legacy && !existsSync(paths.events)) throw missingLog(paths.events, 'megatest status', 'nothing to show but what metrics_current.json last held');
  const newer = legacy ? null : newerRunNote('status', runDir, state.session?.megatestVersion ?? null, unknownTypes);
  if (newer !== null) process.stderr.write(newer + '\n');
  // a legacy folder's own files are the original runner's: its converted session says what they hold
  const info = legacy ? null : readJsonFile<Record<string, any>>(paths.config);
  const duration = legacy ? state.session?.durationSeconds : info?.config?.session?.duration_seconds;
  const status = legacy ? (state.ended?.status ?? state.status ?? 'unknown') : (readStatus(paths.root) ?? state.status ?? 'unknown');
  const metrics =
    state.session === null
      ? legacy
        ? null
        : readJsonFile<SessionMetrics>(paths.metricsCurrent)
      : withRunFigures(sessionMetricsAt(state, lastEventMs(state), { ...gaugesFromState(state), status: state.ended?.status ?? (status as SessionStatus) }), state);
  const newest = state.checkpoints.at(-1);
  endedRate(metrics, state);
  const logged = newest ? { id: newest.id, phase: newest.phase || null, timestamp: newest.ts, trigger: newest.trigger } : null;
  // A checkpoints folder that cannot be listed is said, and the newest checkpoint the event log records shown: not "none".
  const files = legacy ? { newest: logged, unreadable: null } : newestCheckpointFromFiles(paths.root);
  // No checkpoint on disk is only worth a word when the log records one (a run before its first has none to show).
  const onDisk = files.newest === null && logged === null ? { newest: null, unreadable: null } : files;
  return {
    session_id: str(info?.session_id) ?? state.session?.sessionId ?? path.basename(paths.root),
    run_dir: paths.root,
    running: false,
    status,
    phase: currentPhase(state)?.name ?? str(metrics?.phase),
    simulated: typeof info?.simulated === 'boolean' ? info.simulated : legacy ? false : null,
    project: str(info?.template?.type) ?? str(info?.config?.project?.type) ?? (legacy ? (state.session?.project ?? null) : null),
    agent_kind: str(info?.agent_kind) ?? (legacy ? (state.session?.agentKind ?? null) : null),
    started_at: state.session ? new Date(state.session.startedAtMs).toISOString() : str(info?.created_at),
    // An import had no planned duration: the recording's span is its elapsed time.
    duration_seconds: typeof duration === 'number' && !info?.imported ? duration : null,
    metrics: metrics && typeof metrics === 'object' ? metrics : null,
    last_checkpoint: onDisk.unreadable === null ? onDisk.newest : logged,
    ...(onDisk.unreadable === null ? {} : { checkpoints_unreadable: onDisk.unreadable }),
    pid: null,
    control_url: null,
    capabilities: capabilitiesByAgent(state),
    last_alert: lastCriticalAlert(state),
    pause: status === 'paused' ? state.pause : null,
    recoveries_under_way: recoveriesUnderWay(state),
    cost_usd: reportedCostUsd(state),
    ...(state.measured.testsProblem !== null ? { tests_problem: state.measured.testsProblem } : {}),
    ...(state.ended ? { exit_code: state.ended.exitCode } : {}),
    ...(legacy ? { legacy: legacyRunnerOf(state) ?? 'unknown' } : {}),
    ...(info?.imported ? { imported: true as const } : {}),
  };
}

/**
 * A finished run's tokens/min as the run gave it: its last metrics snapshot
 * (the headless end line, the console's last frame). Read again at the last
 * event's time (session_ended, a moment later) the window is longer and the
 * rate lower, and status said another figure (109,574/min against 109,717).
 */
function endedRate(metrics: SessionMetrics | null, state: Awaited<ReturnType<typeof foldRunFolder>>['state']): void {
  const recorded = state.metrics?.tokens_per_minute;
  if (metrics === null || state.ended === null || typeof recorded !== 'number' || metrics.tokens_per_minute === null) return;
  metrics.tokens_per_minute = recorded;
}
