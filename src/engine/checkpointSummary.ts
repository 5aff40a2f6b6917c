// The last checkpoint as `status` and the control API show it
// (CheckpointSummary), from the fold's record of it: a resumed session's
// keeper has taken none yet, and said "none yet" of a run just resumed from
// one.

import type { CheckpointSummary } from '../contract/control.js';
import type { CheckpointView } from '../state/runState.js';

/** A checkpoint as the fold recorded it (its checkpoint_created), as `status` shows the last one. */
export function summaryOf(view: CheckpointView): CheckpointSummary {
  return {
    id: view.id,
    timestamp: view.ts,
    phase: view.phase,
    trigger: view.trigger,
    files: view.files,
    bytes: view.bytes,
    lines_of_code: view.linesOfCode,
    test_pass_rate: view.testPassRate,
    valid: view.damaged !== true,
  };
}
