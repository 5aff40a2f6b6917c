// What a restore puts back. At each checkpoint_created the fold keeps a
// rollback point: the rolled-back part of the state as it was then (cheap:
// the state is immutable, so these are references). checkpoint_restored
// puts it back; the running counters (tokens, tool calls, errors, elapsed
// time) are not part of it and go on. The schedule goes back to where the
// checkpoint left it; elapsed time never goes back.

import type { MegatestEvent } from '../contract/events.js';
import { withAlert } from './foldParts.js';
import { scheduleSecondsAt, type PhaseView, type RollbackPoint, type RunState } from './runState.js';

export function rollbackPoint(state: RunState, id: string, seq: number, ms: number): RollbackPoint {
  return {
    id,
    seq,
    scheduleSeconds: scheduleSecondsAt(state, ms),
    phases: state.phases,
    currentPhaseIndex: state.currentPhaseIndex,
    phaseEnded: state.phaseEnded,
    tasksDone: state.tasksDone,
    measured: state.measured,
    agentTasks: Object.fromEntries(state.agents.map((a) => [a.name, a.task])),
  };
}

export function restore(state: RunState, event: Extract<MegatestEvent, { type: 'checkpoint_restored' }>, ms: number): RunState {
  const point = state.rollbackPoints.find((p) => p.id === event.id);
  const scheduleNow = scheduleSecondsAt(state, ms);
  const scheduleAt = event.schedule_seconds ?? point?.scheduleSeconds ?? null;
  const clock =
    scheduleAt === null ? state.clock : { ...state.clock, rolledBackSeconds: state.clock.rolledBackSeconds + Math.max(0, scheduleNow - scheduleAt) };
  const status = state.status === 'paused' ? 'paused' : 'running';
  const common = {
    ...state,
    clock,
    status,
    lastRestore: { id: event.id, ts: event.ts },
    counters: { ...state.counters, restores: state.counters.restores + 1 },
    alerts: withAlert(state, event, 'restore', 'warning', `restored ${event.id}${event.reason ? ` (${event.reason})` : ''} in ${event.ms} ms`),
  } satisfies RunState;
  if (point) {
    return {
      ...common,
      phases: point.phases,
      currentPhaseIndex: point.currentPhaseIndex,
      phaseEnded: point.phaseEnded,
      tasksDone: point.tasksDone,
      measured: point.measured,
      agents: state.agents.map((a) => (a.name in point.agentTasks ? { ...a, task: point.agentTasks[a.name] ?? null } : a)),
    };
  }
  // A checkpoint this fold never saw created (its event was lost to a kill,
  // or the fold started later): the event's own account is all there is.
  const tasksDone = state.tasksDone.filter((t) => t.seq <= event.rolled_back_after_seq);
  const index = event.phase_index ?? state.currentPhaseIndex;
  const phases = state.phases.map((p, i): PhaseView => {
    if (i < index) return p;
    if (i === index) return { ...p, status: 'running', endedAt: null, criteria: [], criteriaPassed: null, criteriaTotal: null };
    return { ...p, status: 'pending', startedAt: null, endedAt: null, startedAtSeconds: null, criteria: [], criteriaPassed: null, criteriaTotal: null };
  });
  return { ...common, tasksDone, phases, currentPhaseIndex: index, phaseEnded: false };
}
