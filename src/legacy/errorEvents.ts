// Error events from the python snapshots' errors_encountered: one error event
// for each error the count rose by, at the snapshot that first shows it. The
// runner did not say what the errors were, nor how bad; they are recorded as
// class `legacy`, severity `recoverable` (the run went on after them).

import type { ReplayDamage } from '../replay/types.js';
import type { TimedInput } from './logEvents.js';
import type { LegacySnapshot } from './metricsFiles.js';

/** More errors than this in one step is a broken figure, not a night's work. */
const MAX_ERRORS_PER_STEP = 10_000;

function rise(ms: number, from: number, to: number, file: string, damage: ReplayDamage[]): TimedInput[] {
  let count = to - from;
  if (count > MAX_ERRORS_PER_STEP) {
    damage.push({ file, problem: `errors_encountered jumps from ${from} to ${to}; only ${MAX_ERRORS_PER_STEP} are recorded` });
    count = MAX_ERRORS_PER_STEP;
  }
  const message = `errors_encountered rose from ${from} to ${to} (${file})`;
  return Array.from({ length: count }, () => ({ ms, input: { type: 'error' as const, class: 'legacy', severity: 'recoverable' as const, message } }));
}

export function errorEvents(
  snapshots: readonly { ms: number; item: LegacySnapshot }[],
  reportErrors: number | null,
  endMs: number,
  damage: ReplayDamage[],
): TimedInput[] {
  const out: TimedInput[] = [];
  let seen = 0;
  for (const { ms, item } of snapshots) {
    const count = item.errorsEncountered;
    if (count === null) continue;
    if (count > seen) out.push(...rise(ms, seen, count, item.file, damage));
    else if (count < seen) damage.push({ file: item.file, problem: `errors_encountered falls from ${seen} to ${count}; only its rises are counted` });
    seen = Math.max(seen, count);
  }
  // the final report's count, when the snapshots that showed the last errors are gone
  if (reportErrors !== null && reportErrors > seen) out.push(...rise(endMs, seen, reportErrors, 'final_report.json', damage));
  return out;
}
