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

function chooseOffset(source: TimeSource): number | null {
  for (const { text, unix } of source.named) {
    const offset = offsetFromNamedFile(text, unix);
    if (offset !== null) return offset;
  }
  for (const text of source.zoned) {
    const parsed = parseLegacyTime(text, null);
    if (parsed?.zoned) return parsed.offsetMinutes;
  }
  return null;
}

export function legacyClock(source: TimeSource, damage: ReplayDamage[]): LegacyClock {
  const offsetMinutes = chooseOffset(source);
  let warnedLocal = false;
  return {
    offsetMinutes,
    timeOf(text, file, fallbackUnix = null) {
      if (text !== null) {
        const parsed = parseLegacyTime(text, offsetMinutes);
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
