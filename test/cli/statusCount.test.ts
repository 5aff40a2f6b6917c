// `megatest status` groups its figures by hand (statusView.ts count), not with
// toLocaleString, whose first call in a process starts ICU's number
// formatting (about 20 ms of every status and control command's start-up).
// The text must stay what toLocaleString('en-US') gave.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { count } from '../../src/cli/statusView.js';

describe('status figures', () => {
  it('groups thousands as en-US does, rounding first', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.double({ min: -1e15, max: 1e15, noNaN: true }), fc.constantFrom(0, 999, 1000, -1000, 999_999.5, 1e15)), (n) => {
        // (toLocaleString says "-0" of a rounded -0; a count of nothing is "0")
        expect(count(n)).toBe((Math.round(n) + 0).toLocaleString('en-US'));
      }),
    );
  });

  it('says n/a for a figure not recorded', () => {
    expect(count(null)).toBe('n/a');
    expect(count(Number.NaN)).toBe('n/a');
    expect(count(Number.POSITIVE_INFINITY)).toBe('n/a');
  });

  it('says 0, not -0, of a small negative figure', () => {
    expect(count(-0)).toBe('0');
    expect(count(-0.4)).toBe('0');
  });
});
