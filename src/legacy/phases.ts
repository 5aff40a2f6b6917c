// When each phase of a legacy run began and ended. The python runner's log
// says so exactly ("Starting phase: development (120 minutes)", "Phase
// development complete"); without the log, each snapshot's elapsed_seconds
// (counted from the start of ITS phase) places the phase's start, and a phase
// ends when the next one begins (the runner only moves on when a phase
// returned success).

import type { RunnerLogLine } from './runnerLog.js';

/**
 * A phase whose planned length no file records: 0, which every view reads as not recorded (no share of a plan).
 * test_runner.py logs each phase's minutes as it starts it ("Starting phase: bootstrap (20 minutes)"), and they are
 * not always 60/120/120/60: assuming that schedule gave a 1-hour run a 6-hour plan.
 */
export const PHASE_LENGTH_NOT_RECORDED = 0;

const DURATION = /^Duration: (\d+(?:\.\d+)?) hours?$/;

/** The planned length test_runner.py logs as it starts ("Duration: 1 hours"), in seconds; null when the log does not say. */
export function plannedSecondsFromLog(lines: readonly { line: RunnerLogLine }[]): number | null {
  for (const { line } of lines) {
    const hours = DURATION.exec(line.message.trim())?.[1];
    if (hours !== undefined && Number(hours) > 0) return Number(hours) * 3600;
  }
  return null;
}

export interface PhaseEvidence {
  ms: number;
  phase: string;
  /** Seconds since the phase began, as the file says; null when it does not. */
  elapsedSeconds: number | null;
}

export interface PhaseSpan {
  name: string;
  startMs: number;
  /** When the runner said (or showed, by moving on) the phase was done; null while it ran. */
  endMs: number | null;
  /** As the log gave it; PHASE_LENGTH_NOT_RECORDED (0) when no file records it. */
  durationSeconds: number;
}

const START = /^Starting phase: (\S+)(?: \((\d+) minutes\))?/;
const DONE = /^Phase (\S+) complete/;

export function phasesFromLog(lines: readonly { ms: number; line: RunnerLogLine }[]): PhaseSpan[] {
  const spans: PhaseSpan[] = [];
  for (const { ms, line } of lines) {
    const start = START.exec(line.message);
    if (start) {
      const open = spans.at(-1);
      if (open && open.endMs === null && open.name !== start[1]) open.endMs = ms;
      const minutes = start[2] === undefined ? null : Number(start[2]);
      spans.push({ name: start[1]!, startMs: ms, endMs: null, durationSeconds: minutes === null ? PHASE_LENGTH_NOT_RECORDED : minutes * 60 });
      continue;
    }
    const done = DONE.exec(line.message);
    const open = spans.at(-1);
    if (done && open && open.name === done[1] && open.endMs === null) open.endMs = ms;
  }
  return spans;
}

export function phasesFromEvidence(evidence: readonly PhaseEvidence[]): PhaseSpan[] {
  const sorted = [...evidence].sort((a, b) => a.ms - b.ms);
  const spans: PhaseSpan[] = [];
  let lastMs = -Infinity;
  for (const item of sorted) {
    const open = spans.at(-1);
    if (!open || open.name !== item.phase) {
      const derived = item.elapsedSeconds === null ? item.ms : item.ms - item.elapsedSeconds * 1000;
      // never before what the previous phase was last seen doing
      const startMs = Math.min(item.ms, Math.max(derived, lastMs));
      if (open) open.endMs = startMs;
      spans.push({ name: item.phase, startMs, endMs: null, durationSeconds: PHASE_LENGTH_NOT_RECORDED });
    }
    lastMs = item.ms;
  }
  return spans;
}

/** The name of the part of a plan no file records: the time left of the planned length after the phases the files name. */
export const REST_OF_PLAN_NOT_RECORDED = 'rest not recorded';

/**
 * session_started's plan: the phases the files name, in order, each with its logged length (0: not recorded). The
 * runner runs its phases until its planned length is used up (a 6-hour run: bootstrap 60, development 120, refinement
 * 120, finalization 60 minutes; a 1-hour run: bootstrap 60), so a run that completed ran its whole plan. One that
 * stopped before (killed, interrupted, failed) names only the phases it began: the time its planned length leaves after
 * them is one more, pending, phase whose name says it is not recorded, so no view reads the phases begun as the whole
 * plan ("phase 1/1 bootstrap … plan 99%" at 1 h of a 6-hour run). Without a planned length nothing is added.
 */
export function phasePlan(
  phases: readonly PhaseSpan[],
  plannedSeconds: number | null,
  completed: boolean,
): { name: string; duration_seconds: number; tasks: string[] }[] {
  const plan = phases.map((phase) => ({ name: phase.name, duration_seconds: phase.durationSeconds, tasks: [] as string[] }));
  const named = plan.reduce((sum, phase) => sum + Math.max(0, phase.duration_seconds), 0);
  // phases whose lengths no file records (no log) leave nothing to subtract from: the rest is not reckoned
  const lengthsRecorded = plan.length > 0 && plan.every((phase) => phase.duration_seconds > 0);
  if (!completed && plannedSeconds !== null && lengthsRecorded && named < plannedSeconds) {
    plan.push({ name: REST_OF_PLAN_NOT_RECORDED, duration_seconds: plannedSeconds - named, tasks: [] });
  }
  return plan;
}
