// A legacy snapshot as the body of a `metrics` event. Only the figures the
// file gives are set; the rest are null, which the fold reads as "not
// measured" (a LOC or files-modified of null stays unknown, a null chart
// point is left out). SessionMetrics types those figures as numbers because
// megatest always measures them; a legacy runner did not, and a 0 would be
// an invented measurement.

import type { SessionMetrics } from '../contract/metrics.js';
import type { SessionStatus } from '../contract/statuses.js';
import type { SnapshotFigures } from './metricsFiles.js';
import { isoOf } from './time.js';

/** A figure the legacy file does not give (see above). */
const NOT_GIVEN = null as unknown as number;

export interface SnapshotForEvent extends SnapshotFigures {
  phase: string | null;
  /** The runner's status word (python snapshots), if any. */
  status: string | null;
}

function statusOf(word: string | null): SessionStatus {
  return word === 'completed' || word === 'failed' || word === 'interrupted' || word === 'timeout' ? word : 'running';
}

/** `recoveries`: those the runner's log records up to the snapshot; null where no log was found (not recorded). */
export function legacyMetrics(sessionId: string, ms: number, startMs: number, snapshot: SnapshotForEvent, recoveries: number | null = null): SessionMetrics {
  const given = (value: number | null): number => value ?? NOT_GIVEN;
  return {
    session_id: sessionId,
    timestamp: isoOf(ms),
    // since the session began (the python file's own figure counts from its phase's start)
    elapsed_seconds: Math.max(0, Math.round((ms - startMs) / 1000)),
    estimated_remaining: NOT_GIVEN,
    phase: snapshot.phase ?? '',
    status: statusOf(snapshot.status),
    total_tokens: given(snapshot.totalTokens),
    tokens_per_minute: given(snapshot.tokensPerMinute),
    tasks_completed: given(snapshot.tasksCompleted),
    tasks_remaining: given(snapshot.tasksRemaining),
    test_pass_rate: snapshot.testPassRate,
    tests_passed: NOT_GIVEN,
    tests_failed: NOT_GIVEN,
    lines_of_code: given(snapshot.linesOfCode),
    test_coverage: snapshot.testCoverage,
    doc_coverage: null,
    files_modified: NOT_GIVEN,
    tool_calls: NOT_GIVEN,
    checkpoint_count: given(snapshot.checkpointCount),
    errors_encountered: given(snapshot.errorsEncountered),
    recoveries: given(recoveries),
    consensus_votes_cast: NOT_GIVEN,
    memory_usage_mb: NOT_GIVEN,
    disk_usage_bytes: NOT_GIVEN,
    agents: [],
  };
}
