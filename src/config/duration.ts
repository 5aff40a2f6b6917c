// Durations as people type them ("6h", "90m", "45s", "1h30m") and as the
// console shows them ("1h 30m").

import { UsageError } from './errors.js';

export const MIN_DURATION_SECONDS = 10;
export const MAX_DURATION_SECONDS = 24 * 3600;

const ALLOWED_FORMS = 'a duration like 6h, 90m, 45s or 1h30m (hours, minutes, seconds in that order)';
const DURATION_PATTERN = /^(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s)?$/i;

/** "6h" "90m" "45s" "1h30m" -> seconds, between 10 s and 24 h. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  const match = DURATION_PATTERN.exec(trimmed);
  if (trimmed === '' || !match || (match[1] === undefined && match[2] === undefined && match[3] === undefined)) {
    throw new UsageError(`duration ${JSON.stringify(text)}: expected ${ALLOWED_FORMS}`);
  }
  const [, hours = '0', minutes = '0', seconds = '0'] = match;
  const total = Math.round(Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds));
  if (total < MIN_DURATION_SECONDS || total > MAX_DURATION_SECONDS) {
    const normalized = formatDuration(total);
    const shown = normalized.replace(/ /g, '') === trimmed.toLowerCase() ? '' : ` (${normalized})`;
    throw new UsageError(
      `duration ${JSON.stringify(text)}${shown}: must be between ${formatDuration(MIN_DURATION_SECONDS)} and ${formatDuration(MAX_DURATION_SECONDS)}`,
    );
  }
  return total;
}

/** 5400 -> "1h 30m", 45 -> "45s", 3725 -> "1h 2m 5s", 0 -> "0s". Negative values show as "0s". */
export function formatDuration(seconds: number): string {
  const whole = Number.isFinite(seconds) ? Math.max(0, Math.floor(seconds)) : 0;
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  const parts: string[] = [];
  if (hours > 0) parts.push(`${hours}h`);
  if (minutes > 0) parts.push(`${minutes}m`);
  if (rest > 0 || parts.length === 0) parts.push(`${rest}s`);
  return parts.join(' ');
}
