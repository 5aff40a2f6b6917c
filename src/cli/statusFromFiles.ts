// `megatest status` of a run nobody is running: its view read back from the
// run folder's files. Loaded only then (controlCommands.ts): the fold, the
// snapshot codec and the report's figures are most of what the status and
// control commands would otherwise load at start-up for a live run, which
// the control API answers (bench/startup.mjs).

import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { SessionMetrics } from '../contract/metrics.js';
import type { SessionStatus } from '../contract/statuses.js';
import { foldRunFolder } from '../io/foldLog.js';
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

/** The highest-numbered checkpoint file's summary, read defensively (the file may be from any version). */
export function newestCheckpointFromFiles(runDir: string): StatusView['last_checkpoint'] {
  const dir = runPaths(runDir).checkpoints;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return null;
  }
  const numbered = names
    .map((name) => ({ name, match: /^checkpoint_(\d{1,9})\.json$/.exec(name) }))
    .filter((entry): entry is { name: string; match: RegExpExecArray } => entry.match !== null)
    .sort((a, b) => Number(b.match[1]) - Number(a.match[1]));
  const newest = numbered[0];
  if (!newest) return null;
  const file = readJsonFile<Record<string, unknown>>(path.join(dir, newest.name));
  const body = file && typeof file.body === 'object' && file.body !== null ? (file.body as Record<string, unknown>) : file;
  return {
    id: str(body?.id) ?? newest.name.replace(/\.json$/, ''),
    phase: str(body?.phase),
    timestamp: str(body?.timestamp),
    trigger: str(body?.trigger),
  };
}

/**
 * The status of a run nobody is running, from its files: the same fold of
 * events.jsonl and the same snapshot reading as the live orchestrator's,
 * taken at the time of its last event, so it agrees with the report.
 */
export async function viewFromFiles(runDir: string): Promise<StatusView> {
  const paths = runPaths(runDir);
  const { state, legacy } = await foldRunFolder(paths.root);
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
    last_checkpoint: legacy
      ? newest
        ? { id: newest.id, phase: newest.phase || null, timestamp: newest.ts, trigger: newest.trigger }
        : null
      : newestCheckpointFromFiles(paths.root),
    pid: null,
    control_url: null,
    capabilities: capabilitiesByAgent(state),
    last_alert: lastCriticalAlert(state),
    pause: status === 'paused' ? state.pause : null,
    recoveries_under_way: recoveriesUnderWay(state),
    cost_usd: reportedCostUsd(state),
    ...(state.ended ? { exit_code: state.ended.exitCode } : {}),
    ...(legacy ? { legacy: legacyRunnerOf(state) ?? 'unknown' } : {}),
    ...(info?.imported ? { imported: true as const } : {}),
  };
}
