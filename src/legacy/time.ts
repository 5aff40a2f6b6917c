// Times as the original runners wrote them: Python's datetime.now().isoformat()
// (local time, no zone, microseconds), its logging asctime
// (`2026-03-01 14:02:03,123`, local), and Bash's `date -Iseconds` (with an
// offset). A time without a zone is read with the run's own offset when the
// files give one (see zoneOffsetFromNamedFiles), else as this machine's
// local time.

const TIME_PATTERN = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

export interface ParsedTime {
  ms: number;
  /** The text carried its own zone (Z or an offset). */
  zoned: boolean;
  /** Minutes east of UTC the text gave, when zoned. */
  offsetMinutes: number | null;
}

function offsetOf(zone: string): number {
  if (zone.toUpperCase() === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  return sign * (hours * 60 + minutes);
}

/**
 * Reads one legacy time. `localOffsetMinutes` (minutes east of UTC) places a
 * time without a zone; null reads it as this machine's local time. Returns
 * null for text that is not a time of these shapes.
 */
export function parseLegacyTime(text: unknown, localOffsetMinutes: number | null): ParsedTime | null {
  if (typeof text !== 'string') return null;
  const match = TIME_PATTERN.exec(text.trim());
  if (!match) return null;
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const millis = fraction ? Math.floor(Number(`0.${fraction}`) * 1000) : 0;
  const parts = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), millis] as const;
  if (parts[1] > 11 || parts[2] < 1 || parts[2] > 31 || parts[3] > 23 || parts[4] > 59 || parts[5] > 60) return null;
  const asUtc = Date.UTC(...parts);
  if (zone) {
    const offset = offsetOf(zone);
    return { ms: asUtc - offset * 60_000, zoned: true, offsetMinutes: offset };
  }
  if (localOffsetMinutes !== null) return { ms: asUtc - localOffsetMinutes * 60_000, zoned: false, offsetMinutes: null };
  const local = new Date(...parts).getTime();
  return Number.isFinite(local) ? { ms: local, zoned: false, offsetMinutes: null } : null;
}

/**
 * The run's offset from a zone-less local time and the Unix seconds the same
 * runner put in the file's name a moment later (metrics_<unix>.json,
 * checkpoint_<unix>.json): their difference, to the nearest quarter hour.
 */
export function offsetFromNamedFile(localText: unknown, unixSeconds: number): number | null {
  const asUtc = parseLegacyTime(localText, 0);
  if (asUtc === null || asUtc.zoned || !Number.isFinite(unixSeconds)) return null;
  const minutes = (asUtc.ms - unixSeconds * 1000) / 60_000;
  const quarter = Math.round(minutes / 15) * 15;
  // A real zone is within ±14 h, and the name follows the time by a second or so.
  if (Math.abs(quarter) > 14 * 60 || Math.abs(minutes - quarter) > 2) return null;
  return quarter;
}

export function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}
