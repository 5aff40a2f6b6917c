// What a restore puts back. At each checkpoint_created the fold keeps a
// rollback point: the rolled-back part of the state as it was then (cheap:
// these parts are never changed in place, not even inside a Draft, so these
// are references). checkpoint_restored puts it back; the running counters
// (tokens, tool calls, errors, elapsed time) are not part of it and go on.
// The schedule goes back to where the checkpoint left it; elapsed time never
// goes back.

import type { EventOf } from '../contract/events.js';
import type { Draft } from './draft.js';
import { alertOf } from './foldParts.js';
import { MAX_ALERTS } from './limits.js';
import { scheduleSecondsAt } from './readings.js';
import type { PhaseView, RollbackPoint, RunState } from './runState.js';

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

export function restore(draft: Draft, s: RunState, event: EventOf<'checkpoint_restored'>, ms: number): void {
  const point = s.rollbackPoints.find((p) => p.id === event.id);
  const scheduleNow = scheduleSecondsAt(s, ms);
  const scheduleAt = event.schedule_seconds ?? point?.scheduleSeconds ?? null;
  if (scheduleAt !== null) s.clock = { ...s.clock, rolledBackSeconds: s.clock.rolledBackSeconds + Math.max(0, scheduleNow - scheduleAt) };
  s.status = s.status === 'paused' ? 'paused' : 'running';
  s.lastRestore = { id: event.id, ts: event.ts };
  draft.counters().restores += 1;
  draft.pushAlert(alertOf(event, 'restore', 'warning', `restored ${event.id}${event.reason ? ` (${event.reason})` : ''} in ${event.ms} ms`), MAX_ALERTS);
  if (point) {
    // The point's objects are shared with the state as it was: put back as they are, never changed in place.
    s.phases = point.phases;
    s.currentPhaseIndex = point.currentPhaseIndex;
    s.phaseEnded = point.phaseEnded;
    s.tasksDone = point.tasksDone;
    s.measured = point.measured;
    for (let i = 0; i < s.agents.length; i++) {
      const name = s.agents[i]!.name;
      if (name in point.agentTasks) draft.agentAt(i).task = point.agentTasks[name] ?? null;
    }
    return;
  }
  // A checkpoint this fold never saw created (its event was lost to a kill,
  // or the fold started later): the event's own account is all there is.
  const index = event.phase_index ?? s.currentPhaseIndex;
  s.tasksDone = s.tasksDone.filter((t) => t.seq <= event.rolled_back_after_seq);
  s.phases = s.phases.map((p, i): PhaseView => {
    if (i < index) return p;
    if (i === index) return { ...p, status: 'running', endedAt: null, criteria: [], criteriaPassed: null, criteriaTotal: null };
    return { ...p, status: 'pending', startedAt: null, endedAt: null, startedAtSeconds: null, criteria: [], criteriaPassed: null, criteriaTotal: null };
  });
  s.currentPhaseIndex = index;
  s.phaseEnded = false;
}
