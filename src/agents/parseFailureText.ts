// How lines an agent printed outside its format are told in the event log,
// live (src/engine/parseFailures.ts) and in an import of a recording
// (src/importer/eventMapper.ts) alike: at most one event a second per agent,
// with the count since the last one, the total and the last bad line.

/** At most one parse_failure event per agent per this many ms. */
export const PARSE_FAILURE_EVENT_INTERVAL_MS = 1000;
/** How much of the last bad line (and of its reason) an event quotes. */
export const PARSE_FAILURE_QUOTED_CHARS = 120;

export function parseFailureMessage(count: number, total: number, lastReason: string, lastLine: string): string {
  const lines = count === 1 ? '1 line' : `${count} lines`;
  return `${lines} not in the agent's format (${total} in all, kept in output.log); last: ${lastReason}: ${lastLine}`;
}
