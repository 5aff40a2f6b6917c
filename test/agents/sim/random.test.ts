import { describe, expect, it } from 'vitest';
import { hashString, lognormalMean, Random } from '../../../src/agents/sim/random.js';

describe('Random', () => {
  it('repeats for a seed and differs between seeds', () => {
    const draw = (seed: number) => {
      const random = new Random(seed);
      return Array.from({ length: 5 }, () => random.next());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(42).every((x) => x >= 0 && x < 1)).toBe(true);
    expect(hashString('agent-1')).toBe(hashString('agent-1'));
    expect(hashString('agent-1')).not.toBe(hashString('agent-2'));
  });

  it('draws lognormals whose sample mean matches the formula', () => {
    const random = Random.from('test', 1);
    let sum = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) sum += random.lognormal(3000, 0.6);
    expect(sum / n).toBeGreaterThan(lognormalMean(3000, 0.6) * 0.95);
    expect(sum / n).toBeLessThan(lognormalMean(3000, 0.6) * 1.05);
  });

  it('picks integers in range and by weight', () => {
    const random = new Random(7);
    const ints = Array.from({ length: 1000 }, () => random.int(2, 4));
    expect(new Set(ints)).toEqual(new Set([2, 3, 4]));
    const picks = Array.from({ length: 1000 }, () => random.weighted([['a', 9], ['b', 1]] as const));
    expect(picks.filter((p) => p === 'a').length).toBeGreaterThan(800);
  });
});
