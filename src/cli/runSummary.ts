// One line's worth of a run for `ls` and `clean`: read from the one fold of
// the run folder (events.jsonl, or a legacy folder's converted files), never
// from file modification times.

import type { FoldedRun } from '../io/foldLog.js';
import { foldRunFolder } from '../io/foldLog.js';
import type { RunListing } from '../io/sessions.js';
import { legacyRunnerOf } from '../legacy/marker.js';
import { currentPhase, recordedDurationSeconds } from '../state/runState.js';

export interface RunSummary {
  id: string;
  dir: string;
  /** megatest; import (written by `megatest import`); or legacy-python / legacy-bash / legacy-unknown. */
  kind: string;
  legacy: boolean;
  /** The session's status word: its end's, else the last the fold saw. */
  status: string;
  /** The exit code its end recorded (a completed run exits 1 when a critical criterion failed); null before its end. */
  exit_code: number | null;
  /** A process is running it now (a live orchestrator, or a legacy runner's monitor). */
  live: boolean;
  started_at: string | null;
  /** The recorded end: session_ended's time. */
  ended_at: string | null;
  /** Time of the last event: for a run that never recorded its end, the last thing it recorded. */
  last_event_at: string | null;
  /** Active seconds, the fold's clock (pauses excluded). */
  duration_seconds: number | null;
  agent: string | null;
  simulated: boolean | null;
  phase: string | null;
  /** Problems found in a legacy run's files (damaged, missing, a count that disagrees): one file may hold several, so this counts problems, not files. */
  damage: number;
  /** Why the folder could not be read at all (status `unreadable`): its event log a folder, not readable. */
  problem?: string;
}

export function summarizeRun(listing: RunListing, folded: FoldedRun): RunSummary {
  const { state } = folded;
  const runner = legacyRunnerOf(state);
  const session = state.session;
  return {
    id: listing.id,
    dir: listing.dir,
    kind: folded.legacy ? `legacy-${runner ?? 'unknown'}` : listing.imported ? 'import' : 'megatest',
    legacy: folded.legacy !== null,
    status: state.ended?.status ?? (listing.legacy ? null : listing.status === 'unknown' ? null : listing.status) ?? state.status ?? 'unknown',
    exit_code: state.ended?.exitCode ?? null,
    live: listing.running,
    started_at: session ? new Date(session.startedAtMs).toISOString() : listing.startedAt,
    ended_at: state.ended?.ts ?? null,
    last_event_at: state.lastEventTs,
    duration_seconds: durationOf(state),
    agent: session?.agentKind ?? null,
    simulated: session?.simulated ?? null,
    phase: currentPhase(state)?.name ?? null,
    damage: folded.legacy?.damage.length ?? 0,
  };
}

/**
 * The run's summary; one whose folder cannot be read is listed as
 * `unreadable` with the reason, so that one damaged folder does not hide
 * every other run from `ls`, or stop `clean` half-way.
 */
export async function loadRunSummary(listing: RunListing): Promise<RunSummary> {
  try {
    return summarizeRun(listing, await foldRunFolder(listing.dir));
  } catch (error) {
    return unreadableRun(listing, (error as Error).message);
  }
}

function unreadableRun(listing: RunListing, problem: string): RunSummary {
  return {
    id: listing.id,
    dir: listing.dir,
    kind: listing.legacy ? 'legacy-unknown' : listing.imported ? 'import' : 'megatest',
    legacy: listing.legacy,
    status: 'unreadable',
    exit_code: null,
    live: listing.running,
    started_at: listing.startedAt,
    ended_at: null,
    last_event_at: null,
    duration_seconds: null,
    agent: null,
    simulated: null,
    phase: null,
    damage: 0,
    problem,
  };
}

/** Whole seconds the run was active; none for an import in line order, whose times are no durations. */
function durationOf(state: FoldedRun['state']): number | null {
  const seconds = recordedDurationSeconds(state);
  return seconds === null ? null : Math.round(seconds);
}
