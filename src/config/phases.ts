// The session plan the configuration implies: how long each phase lasts and
// which role each agent plays. Kept here so the engine, the console and the
// report share one reading of weights and role cycling.

import type { MegatestConfig } from './types.js';

export interface PlannedPhase {
  name: string;
  /** Seconds from session start. */
  start_seconds: number;
  duration_seconds: number;
}

/**
 * Shares session.duration_seconds out by phase weight, the phases' nominal
 * minutes (60/120/120/60: a 6 h session gets 1 h, 2 h, 2 h, 1 h; a 3 h one half
 * of each). Whole seconds; the rounding remainder goes to the last
 * phase so the durations add up to the session's exactly.
 */
export function planPhases(config: Pick<MegatestConfig, 'phases' | 'session'>): PlannedPhase[] {
  const total = config.session.duration_seconds;
  const weightSum = config.phases.reduce((sum, phase) => sum + phase.weight, 0);
  const plan: PlannedPhase[] = [];
  let start = 0;
  config.phases.forEach((phase, index) => {
    const last = index === config.phases.length - 1;
    const duration = last ? total - start : Math.floor((total * phase.weight) / weightSum);
    plan.push({ name: phase.name, start_seconds: start, duration_seconds: duration });
    start += duration;
  });
  return plan;
}

/** The role of agent `index` (0-based): [agent].roles cycled. */
export function roleOfAgent(config: Pick<MegatestConfig, 'agent'>, index: number): string {
  const roles = config.agent.roles;
  return roles[((index % roles.length) + roles.length) % roles.length];
}
