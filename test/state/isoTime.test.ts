// isoTimeMs keeps the hour it read last (events come in time order, so most
// share it): a run of times in one hour, and strings bent just after them,
// must still read exactly as Date.parse reads them.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isoTimeMs } from '../../src/state/isoTime.js';

const pad = (n: number, width: number) => String(n).padStart(width, '0');

describe('isoTimeMs, hour after hour', () => {
  it('equals Date.parse on runs of times sharing an hour, with bent strings among them', () => {
    const hour = fc.date({ min: new Date(-30_000_000_000_000), max: new Date(250_000_000_000_000), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 13));
    const inHour = fc.tuple(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 999 }));
    const bend = fc.tuple(fc.nat(23), fc.constantFrom('0', '9', '-', ':', 'x', ' ', 'Z', '.'));
    const run = fc.tuple(hour, fc.array(fc.tuple(inHour, fc.option(bend, { freq: 4 })), { minLength: 1, maxLength: 12 }));
    fc.assert(
      fc.property(fc.array(run, { minLength: 1, maxLength: 5 }), (runs) => {
        for (const [prefix, times] of runs) {
          for (const [[minute, second, milli], bent] of times) {
            let s = `${prefix}:${pad(minute, 2)}:${pad(second, 2)}.${pad(milli, 3)}Z`;
            if (bent) s = s.slice(0, bent[0]) + bent[1] + s.slice(bent[0] + 1);
            expect(Object.is(isoTimeMs(s), Date.parse(s)), s).toBe(true);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('an hour read last does not leak into a string that only starts like it', () => {
    expect(isoTimeMs('2026-11-20T22:59:59.999Z')).toBe(Date.parse('2026-11-20T22:59:59.999Z'));
    for (const s of ['2026-11-20T22', '2026-11-20T22:00:00.000', '2026-11-20T22:60:00.000Z', '2026-11-20T22:00:00.000Z ', '2026-11-20T22:00:00,000Z', '2026-11-20T22:0a:00.000Z']) {
      expect(Object.is(isoTimeMs(s), Date.parse(s)), s).toBe(true);
    }
  });
});
