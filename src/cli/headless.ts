// Headless progress (CI mode): a line per event of interest and a one-line
// status per metrics snapshot, plain text that reads well in a CI log.

import type { MegatestEvent } from '../contract/events.js';
import { eventSentence } from '../state/eventSentence.js';
import type { RunState } from '../state/runState.js';
import { reportedCostUsd } from '../state/tallies.js';

/**
 * The event's line, stamped with its time. A metrics line ends with the
 * cost the agents reported so far (Claude Code's total_cost_usd), as
 * `megatest status` gives it: the cost is no SessionMetrics figure, so it
 * comes from the run's state folded up to the event, when there is one.
 */
export function headlessLine(event: MegatestEvent, state?: RunState): string | null {
  const sentence = eventSentence(event);
  if (sentence === null) return null;
  const cost = event.type === 'metrics' && state !== undefined ? reportedCostUsd(state) : null;
  return `${event.ts.slice(11, 19)} ${sentence}${cost === null ? '' : ` cost $${cost.toFixed(4)}`}`;
}
