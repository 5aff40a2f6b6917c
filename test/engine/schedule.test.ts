// A phase keeps part of its time for its gate (build and tests), so the phase,
// gate included, fits its budget: the last gate's measured time with headroom,
// or a share of the phase before one was measured; never more than three quarters.

import { describe, expect, it } from 'vitest';
import { FIRST_GATE_MAX_SECONDS, FIRST_GATE_SHARE, GATE_HEADROOM, gateReserveSeconds, MAX_GATE_SHARE, remainingPhaseBudget } from '../../src/engine/schedule.js';

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

describe('a phase’s share of the time left', () => {
  // The 6 h plan's weights: 1 h / 2 h / 2 h / 1 h.
  const phases = [{ weight: 1 }, { weight: 2 }, { weight: 2 }, { weight: 1 }];

  it('before a phase end was measured: by weight alone', () => {
    expect(remainingPhaseBudget(phases, 1, 5 * 3600)).toBe(7200);
    expect(remainingPhaseBudget(phases, 3, 100)).toBe(100);
    expect(remainingPhaseBudget(phases, 4, 100)).toBe(0);
  });

  it('after one: each phase left gets one phase end, the rest by weight, so a light last phase still fits its gate', () => {
    // 7 s left for phases 2–4, a phase end takes 1.5 s: 2.5 s of work shared 2:2:1.
    expect(remainingPhaseBudget(phases, 1, 7, 1.5)).toBeCloseTo(1.5 + (2.5 * 2) / 5, 9);
    expect(remainingPhaseBudget(phases, 3, 2, 1.5)).toBeCloseTo(2, 9);
    // The budgets of the phases left add up to the time left.
    const left = 7;
    const second = remainingPhaseBudget(phases, 1, left, 1.5);
    const third = remainingPhaseBudget(phases, 2, left - second, 1.5);
    const fourth = remainingPhaseBudget(phases, 3, left - second - third, 1.5);
    expect(second + third + fourth).toBeCloseTo(left, 9);
    expect(fourth).toBeGreaterThanOrEqual(1.5);
  });

  it('before one was measured, when asked to guess: a share of an even split per phase end, at most a minute', () => {
    expect(remainingPhaseBudget(phases, 0, 10, null)).toBeCloseTo(1 + (6 * 1) / 6, 9);
    expect(remainingPhaseBudget(phases, 0, 6 * 3600, null)).toBeCloseTo(FIRST_GATE_MAX_SECONDS + ((6 * 3600 - 4 * FIRST_GATE_MAX_SECONDS) * 1) / 6, 9);
  });

  it('phase ends longer than the time left: they get at most three quarters of it, the agents the rest', () => {
    expect(remainingPhaseBudget(phases, 1, 6, 10)).toBeCloseTo((6 * MAX_GATE_SHARE) / 3 + (6 * (1 - MAX_GATE_SHARE) * 2) / 5, 9);
    expect(remainingPhaseBudget(phases, 1, -3, 2)).toBe(0);
  });
});
