// One clock for a legacy run's mixed times. Zone-less local times are placed
// with the run's own offset: from a python file whose name holds the Unix
// time it was written at, else from a Bash time that carries its offset;
// only when no file tells is this machine's zone assumed (and said).

import type { ReplayDamage } from '../replay/types.js';
import { offsetFromNamedFile, parseLegacyTime } from './time.js';

export interface TimeSource {
  /** Zone-less local text beside the Unix seconds of the file's name. */
  named: { text: string | null; unix: number }[];
  /** Texts that may carry an offset (Bash's date -Iseconds). */
  zoned: (string | null)[];
}

export interface LegacyClock {
  /** Minutes east of UTC used for zone-less times; null = this machine's local zone. */
  offsetMinutes: number | null;
  /** ms of a time text; a text that is not a time is damage (named by file) and null. */
  timeOf(text: string | null, file: string, fallbackUnix?: number | null): number | null;
}

/** Each python file's offset, by the Unix time in its name, oldest first. */
function namedOffsets(source: TimeSource): { ms: number; offset: number }[] {
  return source.named
    .map(({ text, unix }) => ({ ms: unix * 1000, offset: offsetFromNamedFile(text, unix) }))
    .filter((entry): entry is { ms: number; offset: number } => entry.offset !== null)
    .sort((a, b) => a.ms - b.ms);
}

function zonedOffset(source: TimeSource): number | null {
  for (const text of source.zoned) {
    const parsed = parseLegacyTime(text, null);
    if (parsed?.zoned) return parsed.offsetMinutes;
  }
  return null;
}

/**
 * The offset a zone-less local time (read as if UTC: `asUtcMs`) was written in. A run that crosses a change of
 * daylight saving time (Europe's last Sunday of March, at 01:00 UTC) has two: one offset for the whole run put every
 * time after the change an hour off (a 4 h run read as 5 h). The time is the one that agrees with the named file
 * nearest it: local time less the offset that file was written in.
 */
function offsetAt(samples: readonly { ms: number; offset: number }[], asUtcMs: number): number {
  const nearest = (ms: number) => {
    let low = 0;
    let high = samples.length - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (samples[mid]!.ms < ms) low = mid + 1;
      else high = mid;
    }
    const after = samples[low]!;
    const before = samples[Math.max(0, low - 1)]!;
    return Math.abs(before.ms - ms) <= Math.abs(after.ms - ms) ? before : after;
  };
  let best: { offset: number; distance: number } | null = null;
  for (const offset of new Set(samples.map((sample) => sample.offset))) {
    const at = asUtcMs - offset * 60_000;
    const near = nearest(at);
    if (near.offset !== offset) continue;
    const distance = Math.abs(near.ms - at);
    if (best === null || distance < best.distance) best = { offset, distance };
  }
  return best?.offset ?? nearest(asUtcMs - samples[0]!.offset * 60_000).offset;
}

export function legacyClock(source: TimeSource, damage: ReplayDamage[]): LegacyClock {
  const samples = namedOffsets(source);
  const offsetMinutes = samples[0]?.offset ?? zonedOffset(source);
  const changes = new Set(samples.map((sample) => sample.offset)).size > 1;
  let warnedLocal = false;
  return {
    offsetMinutes,
    timeOf(text, file, fallbackUnix = null) {
      if (text !== null) {
        const asUtc = changes ? parseLegacyTime(text, 0) : null;
        const parsed = parseLegacyTime(text, asUtc !== null && !asUtc.zoned ? offsetAt(samples, asUtc.ms) : offsetMinutes);
        if (parsed !== null) {
          if (!parsed.zoned && offsetMinutes === null && !warnedLocal) {
            warnedLocal = true;
            damage.push({ file, problem: `time ${JSON.stringify(text)} has no zone and no file gives the run's: read as this machine's local time` });
          }
          return parsed.ms;
        }
        const named = fallbackUnix !== null && Number.isFinite(fallbackUnix);
        damage.push({ file, problem: `timestamp ${JSON.stringify(text.slice(0, 60))} is not a time${named ? '; the time in the file name is used' : ''}`, ...(named ? { recovered: true as const } : {}) });
      }
      return fallbackUnix !== null && Number.isFinite(fallbackUnix) ? fallbackUnix * 1000 : null;
    },
  };
}
