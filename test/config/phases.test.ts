import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadConfig } from '../../src/config/load.js';
import { planPhases, roleOfAgent } from '../../src/config/phases.js';

describe('planPhases', () => {
  const config = loadConfig({});

  it('shares six hours out as 1 h, 2 h, 2 h, 1 h', () => {
    expect(planPhases(config)).toEqual([
      { name: 'bootstrap', start_seconds: 0, duration_seconds: 3600 },
      { name: 'development', start_seconds: 3600, duration_seconds: 7200 },
      { name: 'refinement', start_seconds: 10_800, duration_seconds: 7200 },
      { name: 'finalization', start_seconds: 18_000, duration_seconds: 3600 },
    ]);
  });

  it('always adds up to the session duration, phases back to back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 86_400 }), (seconds) => {
        const plan = planPhases({ ...config, session: { ...config.session, duration_seconds: seconds } });
        expect(plan.reduce((sum, phase) => sum + phase.duration_seconds, 0)).toBe(seconds);
        plan.forEach((phase, index) => {
          expect(phase.duration_seconds).toBeGreaterThanOrEqual(0);
          if (index > 0) expect(phase.start_seconds).toBe(plan[index - 1].start_seconds + plan[index - 1].duration_seconds);
        });
      }),
    );
  });
});

describe('roleOfAgent', () => {
  it('cycles the roles over the agents', () => {
    const config = loadConfig({ flags: { agents: 8 } });
    const roles = Array.from({ length: 8 }, (_, index) => roleOfAgent(config, index));
    expect(roles).toEqual(['architect', 'developer', 'developer', 'tester', 'reviewer', 'documenter', 'architect', 'developer']);
  });
});
