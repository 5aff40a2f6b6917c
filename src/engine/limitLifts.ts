// When a usage limit lifts, read from the error that reported it. A plan's
// usage limit (Claude's five-hour or weekly limit, Codex's, an API key's
// spending limit) lasts hours or days and covers every model of the account:
// a backoff of seconds and a move to the next model only spend the recovery
// attempts. The programs say when it lifts, in these forms (as reported on
// their issue trackers, 2025-2026):
//
//   Claude AI usage limit reached|1755615600                              epoch seconds
//   Claude usage limit reached. Your limit will reset at 5pm (Europe/Warsaw).
//   You've hit your limit · resets Feb 7, 11am (Asia/Seoul)
//   You've hit your limit · resets Apr 23 at 4pm (America/Recife)
//   You have reached your specified API usage limits. You will regain access on 2026-04-01 at 00:00 UTC.
//   You've hit your usage limit. … or try again in 5 days 22 hours 11 minutes.
//   You've hit your usage limit. … or try again at Jul 5th, 2026 8:19 PM.  this machine's time zone
//   You've hit your usage limit. … or try again at 3:10 PM.
//   {"error":{"type":"usage_limit_reached",…,"resets_at":1775317531,"resets_in_seconds":602705}}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** A clock time without a date is its next occurrence, unless it passed less than this long ago (the limit has just lifted). */
const JUST_PASSED_MS = 15 * 60_000;

const UNIT_SECONDS: Record<string, number> = { d: 86_400, h: 3_600, m: 60, s: 1 };

/** This machine's time zone (Codex prints its clock times in it). */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/**
 * The time (ms since the epoch) at which the usage limit `message` reports
 * lifts, or null when it names none. `localZone` is the zone of a time that
 * names none.
 */
export function usageLimitLiftsAtMs(message: string, nowMs: number, localZone: string = localTimeZone()): number | null {
  let match = /usage limit reached\|(\d{9,11})\b/i.exec(message) ?? /"?resets_at"?\s*:\s*(\d{9,11})\b/.exec(message);
  if (match) return Number(match[1]) * 1000;
  match = /"?resets_in_seconds"?\s*:\s*(\d+)\b/.exec(message);
  if (match) return nowMs + Number(match[1]) * 1000;
  match = /regain access on (\d{4})-(\d{2})-(\d{2}) at (\d{1,2}):(\d{2}) UTC/i.exec(message);
  if (match) return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]));
  match = /try again in ((?:\d+\s*(?:days?|hours?|hrs?|minutes?|mins?|seconds?|secs?)\b[\s,]*(?:and\s+)?)+)/i.exec(message);
  if (match) {
    let seconds = 0;
    for (const [, count, unit] of match[1]!.matchAll(/(\d+)\s*([a-z])/gi)) seconds += Number(count) * UNIT_SECONDS[unit!.toLowerCase()]!;
    return nowMs + seconds * 1000;
  }
  match = /try again at ([a-z]{3})[a-z]* (\d{1,2})(?:st|nd|rd|th)?,? (\d{4}),? (\d{1,2}):(\d{2})\s*([ap]m)\b/i.exec(message);
  if (match) {
    const month = MONTHS.indexOf(match[1]!.toLowerCase());
    if (month < 0) return null;
    return wallTimeMs(localZone, Number(match[3]), month, Number(match[2]), hour24(match[4]!, match[6]!), Number(match[5]));
  }
  match = /try again at (\d{1,2}):(\d{2})\s*([ap]m)\b/i.exec(message);
  if (match) return nextOccurrenceMs(localZone, nowMs, null, hour24(match[1]!, match[3]!), Number(match[2]));
  match = /\bresets?(?: at)? (?:([a-z]{3})[a-z]* (\d{1,2})(?:,| at)? )?(\d{1,2})(?::(\d{2}))?\s*([ap]m)\b(?: \(([a-z_]+(?:\/[a-z0-9_+-]+)*)\))?/i.exec(message);
  if (match) {
    const month = match[1] === undefined ? null : MONTHS.indexOf(match[1].toLowerCase());
    if (month === -1) return null;
    const day = month === null ? null : { month, day: Number(match[2]) };
    return nextOccurrenceMs(match[6] ?? localZone, nowMs, day, hour24(match[3]!, match[5]!), Number(match[4] ?? 0));
  }
  return null;
}

function hour24(hour: string, meridiem: string): number {
  return (Number(hour) % 12) + (meridiem.toLowerCase() === 'pm' ? 12 : 0);
}

/** The next time the zone's clock reads hour:minute (on month/day, when given) after nowMs, or one that passed just now. */
function nextOccurrenceMs(zone: string, nowMs: number, on: { month: number; day: number } | null, hour: number, minute: number): number | null {
  const today = zoneParts(zone, nowMs);
  if (today === null) return null;
  const at = (year: number, month: number, day: number) => wallTimeMs(zone, year, month, day, hour, minute);
  let candidate = on === null ? at(today.year, today.month, today.day) : at(today.year, on.month, on.day);
  if (candidate !== null && candidate < nowMs - JUST_PASSED_MS) candidate = on === null ? at(today.year, today.month, today.day + 1) : at(today.year + 1, on.month, on.day);
  return candidate;
}

/** The instant the zone's clock reads this date and time (month from 0), or null for a zone Intl does not know. */
function wallTimeMs(zone: string, year: number, month: number, day: number, hour: number, minute: number): number | null {
  const asIfUtc = Date.UTC(year, month, day, hour, minute);
  const first = zoneOffsetMs(zone, asIfUtc);
  if (first === null) return null;
  // The offset at the guess may differ from the one at the answer across a change of summer time: look again there.
  const second = zoneOffsetMs(zone, asIfUtc - first);
  return asIfUtc - (second ?? first);
}

/** How far the zone's clock is ahead of UTC at atMs. */
function zoneOffsetMs(zone: string, atMs: number): number | null {
  const parts = zoneParts(zone, atMs);
  if (parts === null) return null;
  return Date.UTC(parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second) - Math.floor(atMs / 1000) * 1000;
}

function zoneParts(zone: string, atMs: number): { year: number; month: number; day: number; hour: number; minute: number; second: number } | null {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(atMs));
  } catch {
    return null; // a zone Intl does not know
  }
  const value = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((part) => part.type === type)?.value);
  return { year: value('year'), month: value('month') - 1, day: value('day'), hour: value('hour'), minute: value('minute'), second: value('second') };
}

/** An instant as a person reads it in an event: 2026-12-05 17:00 UTC. */
export function utcMinute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
