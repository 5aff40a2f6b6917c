// A phase keeps part of its time for its gate (build and tests), so the phase,
// gate included, fits its budget: the last gate's measured time with headroom,
// or a share of the phase before one was measured; never more than three quarters.

import { describe, expect, it } from 'vitest';
import { FIRST_GATE_MAX_SECONDS, FIRST_GATE_SHARE, GATE_HEADROOM, gateReserveSeconds, MAX_GATE_SHARE } from '../../src/engine/schedule.js';

describe('gate reserve', () => {
  it('before any gate ran: a share of the phase, at most a minute', () => {
    expect(gateReserveSeconds(10, null)).toBeCloseTo(10 * FIRST_GATE_SHARE, 9);
    expect(gateReserveSeconds(3600, null)).toBe(FIRST_GATE_MAX_SECONDS);
  });

  it('after one: the last phase end’s time with headroom', () => {
    expect(gateReserveSeconds(20, 3)).toBeCloseTo(3 * GATE_HEADROOM, 9);
    expect(gateReserveSeconds(7200, 240)).toBeCloseTo(240 * GATE_HEADROOM, 9);
  });

  it('never more than three quarters of the phase, never negative', () => {
    expect(gateReserveSeconds(10, 30)).toBe(10 * MAX_GATE_SHARE);
    expect(gateReserveSeconds(0, 30)).toBe(0);
    expect(gateReserveSeconds(-5, null)).toBe(0);
  });
});
