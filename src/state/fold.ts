// The one fold: events.jsonl → RunState (DESIGN §1). Every view of a run
// (the orchestrator's live metrics, status, the report, the live console,
// replay) is a reading of its result, so they agree by construction.
// foldEvent (reduce.ts) takes one event; foldEvents takes a batch through
// the very same code, folding into one Draft (draft.ts): the objects the
// batch made are changed in place instead of copied per event, so a batch
// costs little more than reading its events. Neither changes the state it
// is given, nor anything that state shares.

import type { MegatestEvent } from '../contract/events.js';
import { Draft } from './draft.js';
import { msOf } from './foldParts.js';
import { foldInto } from './reduce.js';
import { elapsedMsAt } from './readings.js';
import { initialRunState, type RunState } from './runState.js';

export { foldEvent } from './reduce.js';

/**
 * The same fold as foldEvent over each event in turn. The state given comes
 * back as it is when no event applies (all already folded); a state of a
 * type extending RunState keeps its own fields unless a different session
 * starts the fold over.
 */
export function foldEvents<S extends RunState>(state: S, events: readonly MegatestEvent[]): S {
  const draft = new Draft(state);
  for (const event of events) foldInto(draft, event);
  return draft.state as S;
}

export function foldAll(events: readonly MegatestEvent[]): RunState {
  return foldEvents(initialRunState(), events);
}

/** Elapsed active ms the state reached by its last event (for a run nobody is running now). */
export function elapsedMsAtLastEvent(state: RunState): number {
  return elapsedMsAt(state, state.lastEventTs === null ? 0 : msOf(state.lastEventTs));
}
