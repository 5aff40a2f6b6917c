// Lines-of-code targets scaled to the run's length. A template's target (a
// 5,000-line task queue) is what the phases' nominal length is for; a run
// shorter than that (a 60 s demo, a 10-minute smoke run) is judged on the
// same share of the target as it has of the time, and its report says so.
// A longer run keeps the target as it is.

import type { CriterionConfig, PhaseConfig } from '../config/types.js';

export interface LocScale {
  /** duration / nominal, below 1. */
  factor: number;
  /** The phases' nominal length: the sum of their weights, which are their duration_minutes. */
  nominalSeconds: number;
  durationSeconds: number;
}

/** The phases' nominal length in seconds: each phase's weight is its nominal minutes (duration_minutes). */
export function nominalPhasesSeconds(phases: readonly Pick<PhaseConfig, 'weight'>[]): number {
  return phases.reduce((sum, phase) => sum + Math.max(0, phase.weight), 0) * 60;
}

/** The scale for a run of `durationSeconds`, or null when it is not shorter than the phases' nominal length. */
export function locScaleFor(durationSeconds: number, phases: readonly Pick<PhaseConfig, 'weight'>[]): LocScale | null {
  const nominalSeconds = nominalPhasesSeconds(phases);
  if (!(durationSeconds > 0) || !(nominalSeconds > durationSeconds)) return null;
  return { factor: durationSeconds / nominalSeconds, nominalSeconds, durationSeconds };
}

/** Lines of code the scaled target asks for: at least one. */
export function scaledLoc(value: number, scale: LocScale): number {
  return Math.max(1, Math.round(value * scale.factor));
}

function seconds(value: number): string {
  if (value < 120) return `${Math.round(value)} s`;
  if (value < 7200) return `${Math.round(value / 60)} min`;
  return `${Math.round((value / 3600) * 10) / 10} h`;
}

/** How the report words a scale: "this 60 s run is 0.3% of the phases' nominal 6 h". */
export function describeLocScale(scale: LocScale): string {
  const share = scale.factor * 100;
  return `this ${seconds(scale.durationSeconds)} run is ${share < 1 ? share.toFixed(2) : share.toFixed(1)}% of the phases' nominal ${seconds(scale.nominalSeconds)}`;
}

/**
 * The criteria with every lines-of-code minimum (>=, >) scaled; the
 * description says from what. Other criteria are returned as they are.
 */
export function scaleLocCriteria(criteria: readonly CriterionConfig[], scale: LocScale | null): CriterionConfig[] {
  if (scale === null) return [...criteria];
  return criteria.map((c) => {
    if (c.metric !== 'lines_of_code' || (c.op !== '>=' && c.op !== '>')) return c;
    const value = scaledLoc(c.value, scale);
    return { ...c, value, description: `${c.description} (target ${c.value} scaled to ${value}: ${describeLocScale(scale)})` };
  });
}
