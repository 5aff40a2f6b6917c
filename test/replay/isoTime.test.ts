// The fast reading of event times is Date.parse's reading, for the times
// megatest writes and for anything else a damaged log may hold.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isoTimeMs } from '../../src/replay/isoTime.js';

describe('isoTimeMs', () => {
  it('equals Date.parse on ISO times, near-ISO strings and junk', () => {
    const iso = fc.date({ min: new Date(-62_000_000_000_000), max: new Date(250_000_000_000_000), noInvalidDate: true }).map((d) => d.toISOString());
    // An ISO time with one character changed: digits out of range, wrong separators, letters.
    const bent = fc.tuple(iso, fc.nat(23), fc.constantFrom('0', '9', '3', '-', ':', 'x', ' ', '/', 'Z', '.')).map(([s, i, c]) => s.slice(0, i) + c + s.slice(i + 1));
    fc.assert(
      fc.property(fc.oneof(iso, bent, fc.string({ maxLength: 30 })), (s) => {
        expect(Object.is(isoTimeMs(s), Date.parse(s))).toBe(true);
      }),
      { numRuns: 5000 },
    );
    for (const s of ['0099-01-01T00:00:00.000Z', '2026-02-29T00:00:00.000Z', '2026-02-31T00:00:00.000Z', '2026-13-01T00:00:00.000Z', '2026-12-02T24:00:00.000Z']) {
      expect(Object.is(isoTimeMs(s), Date.parse(s))).toBe(true);
    }
  });
});
