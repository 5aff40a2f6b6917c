// Every buffer the console keeps is bounded: a run lasts hours and the
// console must not grow with it. The bounds are what the largest sensible
// screen can show (a 300-column terminal, a few pages of log to scroll back).

/** Log lines kept for the log pane and its PgUp history. */
export const MAX_LOG_LINES = 2000;
/** Points kept per chart series: wider than any chart drawn. */
export const MAX_SERIES_POINTS = 300;
/** Entries in the alerts pane. */
export const MAX_ALERTS = 200;
/** Checkpoints listed in the restore picker (the newest are kept). */
export const MAX_CHECKPOINTS = 500;

/** Appends items and drops the oldest beyond `max`; never mutates `list`. */
export function appendBounded<T>(list: readonly T[], items: readonly T[], max: number): T[] {
  if (items.length === 0) return list as T[];
  const total = list.length + items.length;
  if (total <= max) return [...list, ...items];
  if (items.length >= max) return items.slice(items.length - max);
  return [...list.slice(total - max), ...items];
}
