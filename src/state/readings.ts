// Readings of a RunState (runState.ts): what a view shows that depends on
// "now" (elapsed and remaining time, tokens per minute, utilization) or is
// counted from the state's lists (tasks done and left, the current phase).
// Functions of the state and a time; runState.ts re-exports them, so every
// view imports the state and its readings from one place.

import type { AgentView, PhaseView, RunState } from './runState.js';

/** Active milliseconds of the session at wall time nowMs (never less than at the last event). */
export function elapsedMsAt(state: Pick<RunState, 'clock'>, nowMs: number): number {
  const { activeMs, sinceMs } = state.clock;
  return sinceMs === null ? activeMs : activeMs + Math.max(0, nowMs - sinceMs);
}

export function elapsedSecondsAt(state: Pick<RunState, 'clock'>, nowMs: number): number {
  return elapsedMsAt(state, nowMs) / 1000;
}

/** Where the schedule (phases, duration limit) stands: elapsed less what restores gave back. */
export function scheduleSecondsAt(state: Pick<RunState, 'clock'>, nowMs: number): number {
  return Math.max(0, elapsedMsAt(state, nowMs) / 1000 - state.clock.rolledBackSeconds);
}

/**
 * Seconds of the configured duration left: the duration limits active time,
 * so a restore, which puts the schedule back, gives no time back to the session.
 */
export function remainingSecondsAt(state: RunState, nowMs: number): number {
  if (state.ended) return 0;
  return Math.max(0, (state.session?.durationSeconds ?? 0) - elapsedMsAt(state, nowMs) / 1000);
}

/** The clock's time of the state's last event: "now" for a run nobody is running. */
export function lastEventMs(state: RunState): number {
  const at = state.lastEventTs === null ? NaN : Date.parse(state.lastEventTs);
  return Number.isFinite(at) ? at : (state.session?.startedAtMs ?? 0);
}

/**
 * How long the run was active, in seconds, as far as its times tell: null
 * before it started, and for an import in line order (session_started's
 * `times`), whose times say which line came first, not how long anything took.
 */
export function recordedDurationSeconds(state: RunState): number | null {
  if (state.session === null || state.session.timesLineOrder) return null;
  return elapsedMsAt(state, lastEventMs(state)) / 1000;
}

/**
 * Whether any agent has reported a token figure yet (a tokens event, whatever
 * its count): until then the run's tokens are not recorded, never 0. A live
 * selfware run without `📊 Tokens:` lines showed 0, where an import of its log
 * said "not recorded", and compare read the 0 as "fewer tokens, better". Every
 * tokens event has a per-model entry (the model may be ''), so one is enough.
 */
export function usageRecorded(state: Pick<RunState, 'counters'>): boolean {
  return Object.keys(state.counters.byModel).length > 0;
}

export const TOKEN_WINDOW_SECONDS = 60;

/**
 * Tokens per minute over the last 60 s of wall time, or since the session
 * started while it is younger than that: a rate, never a running total.
 */
export function tokensPerMinuteAt(state: RunState, nowMs: number): number {
  const startedMs = state.session?.startedAtMs ?? null;
  const nowSec = Math.floor(nowMs / 1000);
  let sum = 0;
  for (const bucket of state.tokenWindow) if (bucket.sec > nowSec - TOKEN_WINDOW_SECONDS && bucket.sec <= nowSec) sum += bucket.tokens;
  const sinceStart = startedMs === null ? TOKEN_WINDOW_SECONDS : (nowMs - startedMs) / 1000;
  const window = Math.min(TOKEN_WINDOW_SECONDS, Math.max(1, sinceStart));
  return Math.round((sum * 60) / window);
}

/** Distinct tasks of the plan (all phases' task lists, each task once). */
export function tasksTotal(state: RunState): number {
  const names = new Set<string>();
  for (const phase of state.phases) for (const task of phase.tasks) names.add(task);
  return names.size;
}

export function completedTaskSet(state: RunState): Set<string> {
  return new Set(state.tasksDone.map((t) => t.task));
}

export function tasksCompleted(state: RunState): number {
  return state.tasksDone.length;
}

export function tasksRemaining(state: RunState): number {
  const total = tasksTotal(state);
  if (total === 0) return 0;
  const done = completedTaskSet(state);
  let left = 0;
  const seen = new Set<string>();
  for (const phase of state.phases) {
    for (const task of phase.tasks) {
      if (seen.has(task)) continue;
      seen.add(task);
      if (!done.has(task)) left += 1;
    }
  }
  return left;
}

export function currentPhase(state: RunState): PhaseView | null {
  return state.currentPhaseIndex >= 0 ? (state.phases[state.currentPhaseIndex] ?? null) : null;
}

/** Share of an agent's tool calls that succeeded (0..1); null before any call. */
export function trustOf(agent: AgentView): number | null {
  return agent.toolCalls > 0 ? (agent.toolCalls - agent.failedToolCalls) / agent.toolCalls : null;
}

/** Share of the agent's life it spent working (0..1), from its state events. */
export function utilizationAt(agent: AgentView, nowMs: number): number {
  const lifetime = Math.max(1, nowMs - agent.startedMs);
  const working = agent.workingMs + (agent.workingSinceMs !== null ? Math.max(0, nowMs - agent.workingSinceMs) : 0);
  return Math.min(1, working / lifetime);
}
