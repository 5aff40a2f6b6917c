// Phase timing. Phases share the session's duration by weight (the 6 h plan:
// 1 h / 2 h / 2 h / 1 h). A phase ends when its tasks are all done or its
// time is up; time a phase did not use goes to the phases after it, shared by
// the same weights. Each phase's time includes its gate's: the agents work
// until the gate's reserve is left.

import type { PhaseConfig } from '../config/types.js';

export function phaseDurations(phases: Pick<PhaseConfig, 'weight'>[], totalSeconds: number): number[] {
  const totalWeight = phases.reduce((sum, p) => sum + p.weight, 0);
  if (totalWeight <= 0) return phases.map(() => totalSeconds / Math.max(1, phases.length));
  return phases.map((p) => (totalSeconds * p.weight) / totalWeight);
}

/**
 * Seconds the phase at `index` gets when `remainingSeconds` are left for it
 * and the ones after. A phase's end (build, tests, commit, checkpoint) costs
 * about the same whatever the phase's weight, so once one was measured
 * (`phaseEndSeconds`) each phase left is given one such end, at most
 * MAX_GATE_SHARE of the time left between them, and the rest is shared by
 * weight: in a short run a light last phase would otherwise start with less
 * time than its gate takes. `null`: none was measured yet, so each is guessed
 * as the first gate's reserve is (FIRST_GATE_SHARE of an even share, at most
 * FIRST_GATE_MAX_SECONDS); 0 shares by weight alone.
 */
export function remainingPhaseBudget(phases: Pick<PhaseConfig, 'weight'>[], index: number, remainingSeconds: number, phaseEndSeconds: number | null = 0): number {
  const rest = phases.slice(index);
  if (rest.length === 0) return 0;
  const left = Math.max(0, remainingSeconds);
  const expectedEnd = phaseEndSeconds ?? Math.min((left * FIRST_GATE_SHARE) / rest.length, FIRST_GATE_MAX_SECONDS);
  const perEnd = Math.min(Math.max(0, expectedEnd), (left * MAX_GATE_SHARE) / rest.length);
  const shares = phaseDurations(rest, left - perEnd * rest.length);
  return (shares[0] ?? 0) + perEnd;
}

/** Headroom over the last gate's measured time: the project only grows, and a loaded machine varies. */
export const GATE_HEADROOM = 1.5;
/** Before any gate was measured: this share of the phase, at most FIRST_GATE_MAX_SECONDS. */
export const FIRST_GATE_SHARE = 0.4;
export const FIRST_GATE_MAX_SECONDS = 60;
/** The most of a phase its end may keep: the agents always get a quarter (a sim paces to it; a short run's gates weigh much). */
export const MAX_GATE_SHARE = 0.75;

/**
 * Seconds of a phase's budget kept for its end (the build and test run that
 * judge it, the commit, the phase checkpoint), so the phase, end included,
 * fits its time and the session its duration: the last phase end's measured
 * time with headroom, or before one was measured a share of the phase; never
 * more than MAX_GATE_SHARE of the phase. The agents are given the rest.
 */
export function gateReserveSeconds(budgetSeconds: number, lastPhaseEndSeconds: number | null): number {
  const budget = Math.max(0, budgetSeconds);
  const expected = lastPhaseEndSeconds === null ? Math.min(budget * FIRST_GATE_SHARE, FIRST_GATE_MAX_SECONDS) : lastPhaseEndSeconds * GATE_HEADROOM;
  return Math.min(budget * MAX_GATE_SHARE, Math.max(0, expected));
}

/**
 * Seconds past the session's duration the last phase's gate may take to
 * finish when the phase's tasks are all done: on a loaded machine a short
 * run's four gates can outgrow the reserve, and cutting the very last test
 * run would turn finished work into a timeout. A few seconds, so a run given
 * N seconds still ends within N and a few.
 */
export const LAST_GATE_GRACE_SECONDS = 5;

/** Splits a phase's tasks over the agents that work in it, round robin. */
export function distributeTasks(tasks: string[], agentNames: string[]): Map<string, string[]> {
  const plan = new Map<string, string[]>(agentNames.map((name) => [name, []]));
  if (agentNames.length === 0) return plan;
  tasks.forEach((task, i) => plan.get(agentNames[i % agentNames.length]!)!.push(task));
  return plan;
}

/** Roles for N agents: the configured list, cycled. */
export function rolesFor(count: number, roles: string[]): string[] {
  const list = roles.length > 0 ? roles : ['developer'];
  return Array.from({ length: count }, (_, i) => list[i % list.length]!);
}
