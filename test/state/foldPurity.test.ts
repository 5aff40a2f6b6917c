// The fold changes objects in place only inside one call, and only objects
// that call made (src/state/draft.ts). What a caller can see must be as if
// every event made a new state: the state and the events given are never
// changed, and a state once returned is never changed by later folds. Deep-
// frozen inputs check it: in strict mode (ES modules) any write to a frozen
// object throws, so a fold that wrote to something it did not make fails here.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { MegatestEvent } from '../../src/contract/events.js';
import { foldAll, foldEvent, foldEvents } from '../../src/state/fold.js';
import { initialRunState, type RunState } from '../../src/state/runState.js';
import { loadEvents } from './foldOracle.js';

function deepFreeze<T>(value: T, seen = new Set<object>()): T {
  if (typeof value !== 'object' || value === null || seen.has(value)) return value;
  seen.add(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key], seen);
  return Object.freeze(value);
}

const logs = [
  ['restore_session.jsonl', loadEvents('restore_session.jsonl')],
  ['sim_session.jsonl', loadEvents('sim_session.jsonl')],
] as const;

const frozenCopy = (events: readonly MegatestEvent[]) => deepFreeze(structuredClone([...events]));

describe.each(logs)('the fold of %s is pure to its callers', (_name, events) => {
  const whole = foldAll(events);

  it('never changes the state it is given, nor the events: folding onto frozen ones gives the same state', () => {
    fc.assert(
      fc.property(fc.nat({ max: events.length }), fc.integer({ min: 1, max: 300 }), (k, size) => {
        const head = deepFreeze(foldAll(events.slice(0, k)));
        const rest = frozenCopy(events.slice(k));
        let state: RunState = head;
        for (let i = 0; i < rest.length; i += size) state = foldEvents(state, rest.slice(i, i + size));
        expect(state).toStrictEqual(whole);
        expect(rest.reduce(foldEvent, head as RunState)).toStrictEqual(whole);
      }),
      { numRuns: 40 },
    );
  });

  it('never changes a state it returned: each frozen as it comes back, the fold goes on to the same end', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 30 }), (sizes) => {
        let state = deepFreeze(initialRunState());
        let i = 0;
        for (let s = 0; i < events.length; s++) {
          const size = sizes[s % sizes.length]!;
          state = deepFreeze(foldEvents(state, events.slice(i, i + size)));
          i += size;
        }
        expect(state).toStrictEqual(whole);
      }),
      { numRuns: 40 },
    );
  });

  it('what earlier states hold is unchanged after the fold went on (compared with copies taken then)', () => {
    const cuts = [1, 7, 50, Math.floor(events.length / 3), Math.floor(events.length / 2), events.length - 1];
    const states: RunState[] = [];
    const copies: unknown[] = [];
    let state = initialRunState();
    let at = 0;
    for (const cut of cuts) {
      state = foldEvents(state, events.slice(at, cut));
      at = cut;
      states.push(state);
      copies.push(structuredClone(state));
    }
    foldEvents(state, events.slice(at));
    states.forEach((s, i) => expect(s).toStrictEqual(copies[i]));
  });
});

describe('within one batch', () => {
  it('a restore puts back what its checkpoint saw, though the batch changed the state since', () => {
    const events = loadEvents('restore_session.jsonl');
    const restore = events.findIndex((e) => e.type === 'checkpoint_restored');
    expect(restore).toBeGreaterThan(0);
    // One batch from the start through the restore: checkpoint, later changes and restore all in the same draft.
    const batched = foldEvents(initialRunState(), events.slice(0, restore + 1));
    const oneByOne = events.slice(0, restore + 1).reduce(foldEvent, initialRunState());
    expect(batched).toStrictEqual(oneByOne);
  });
});
