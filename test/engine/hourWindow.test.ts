// The hourly limits' window: one bucket per second, so its size is bounded by
// the hour whatever the rate, and its total is what the last hour saw.

import { describe, expect, it } from 'vitest';
import { HourWindow } from '../../src/engine/hourWindow.js';

const HOUR = 3_600_000;

describe('HourWindow', () => {
  it('totals what the last hour saw, and drops a second once all of it is older than an hour', () => {
    const window = new HourWindow();
    const start = 1_700_000_000_000;
    window.add(start, 5);
    window.add(start + 400, 2);
    window.add(start + 90_000, 3);
    expect(window.total(start + 90_000)).toBe(10);
    // The first second (start .. start+999) leaves the hour at start+1000+HOUR.
    expect(window.nextDropMs(start + 90_000)).toBe(start + 1_000 + HOUR);
    expect(window.total(start + HOUR + 999)).toBe(10);
    expect(window.total(start + HOUR + 1_000)).toBe(3);
    expect(window.nextDropMs(start + HOUR + 1_000)).toBe(start + 91_000 + HOUR);
    expect(window.total(start + 2 * HOUR)).toBe(0);
    expect(window.nextDropMs(start + 2 * HOUR)).toBeNull();
  });

  it('holds at most about two hours of seconds, however many entries come in', () => {
    const window = new HourWindow();
    const start = 1_700_000_000_000;
    let total = 0;
    // 50 tool calls a second for three hours, read once a second as the engine's tick does.
    for (let second = 0; second < 3 * 3_600; second += 1) {
      for (let call = 0; call < 50; call += 1) window.add(start + second * 1_000 + call * 20);
      total = window.total(start + second * 1_000 + 999);
    }
    // Read at the end of a second: the 3,600 seconds before it are in the hour, and so is the one whose last
    // millisecond is the hour's first (a second counts while any of it is in the hour).
    expect(total).toBe(50 * 3_601);
    const held = (window as unknown as { seconds: number[] }).seconds.length;
    expect(held).toBeLessThanOrEqual(2 * 3_600);
  });

  it('says when its total falls below a limit: after as many of its oldest seconds leave the hour as it takes', () => {
    const window = new HourWindow();
    const start = 1_700_000_000_000;
    const spends: Array<[number, number]> = [[start, 1], [start + 60_000, 10], [start + 120_000, 100]];
    for (const [ms, amount] of spends) window.add(ms, amount);
    const now = start + 130_000;
    expect(window.belowLimitAtMs(now, 112)).toBeNull();
    // 111 >= 111: under it once the first second (1) leaves.
    expect(window.belowLimitAtMs(now, 111)).toBe(start + 1_000 + HOUR);
    // Under 100 only once the 100 leaves: 1 + 10 gone still leaves 100.
    expect(window.belowLimitAtMs(now, 100)).toBe(start + 121_000 + HOUR);
    expect(window.belowLimitAtMs(now, 101)).toBe(start + 61_000 + HOUR);
  });
});
