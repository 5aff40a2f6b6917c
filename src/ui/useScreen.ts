// The screen model for <App/>, re-rendering only when the frame changed.
// Each store flush, replay step and clock tick recomputes the view-models
// (cheap: pure functions over bounded state) and compares the frame with
// the one on screen; React hears of it only when they differ. Ink lays out
// and re-encodes the whole screen at every commit, so this is what keeps an
// idle or unchanged console nearly free.

import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { StoreApi } from 'zustand/vanilla';
import type { ConsoleStore } from '../state/store.js';
import { expireToast } from '../state/uiState.js';
import type { ReplayPosition } from './viewModels/timeline.js';
import { sameFrame, screenModel, type ScreenInput, type ScreenModel } from './viewModels/screen.js';

/** The clock's tick: elapsed and ETA are shown to the second at most. */
export const CLOCK_TICK_MS = 1000;

/** What the screen reads besides the stores: the props and the component's own state. */
export type ScreenProps = Omit<ScreenInput, 'run' | 'ui' | 'position' | 'wallMs' | 'minElapsedSeconds'>;

export interface ScreenSources {
  store: ConsoleStore;
  /** Replay's cursor; null live. */
  position: StoreApi<ReplayPosition> | null;
  /** The wall clock (tests pass a fixed one). */
  now: () => number;
}

export interface Screen {
  model: ScreenModel;
  /** The model for the state as it is this moment (for keys, which must act on the newest). */
  current(): ScreenModel;
}

export function useScreen({ store, position, now }: ScreenSources, props: ScreenProps): Screen {
  const clock = useSecondClock(store, now);
  // Live elapsed only goes forward; replay may seek back, so it has no floor.
  const elapsedFloor = useRef(0);
  // ...until a `megatest resume` takes out the time no orchestrator ran: a
  // console opened by `resume` counted that gap until the resume's event came
  // (35 s shown for 25 s, for ten seconds).
  const floorResumes = useRef(0);
  const shown = useRef<ScreenModel | null>(null);

  // React asks for the snapshot several times per change: the same inputs give the same model.
  const computed = useRef<{ inputs: unknown[]; model: ScreenModel } | null>(null);

  const compute = (): ScreenModel => {
    const { run, ui } = store.getState();
    const resumes = run.clock.resumes ?? 0;
    if (resumes !== floorResumes.current) {
      floorResumes.current = resumes;
      elapsedFloor.current = 0;
    }
    const input: ScreenInput = { ...props, run, ui, wallMs: clock.wallMs(), position: position?.getState() ?? null, minElapsedSeconds: elapsedFloor.current };
    const inputs = Object.values(input);
    const last = computed.current;
    if (last !== null && last.inputs.length === inputs.length && inputs.every((value, i) => Object.is(value, last.inputs[i]))) return last.model;
    const model = screenModel(input);
    if (ui.mode === 'live') elapsedFloor.current = Math.max(elapsedFloor.current, model.elapsedSeconds);
    // Remembered with the raised floor, which gives this same model: else every
    // second's first compute would be done twice (in the render, then after it).
    computed.current = { inputs: Object.values({ ...input, minElapsedSeconds: elapsedFloor.current }), model };
    return model;
  };
  const getSnapshot = (): ScreenModel => {
    const next = compute();
    const last = shown.current;
    if (last !== null && sameFrame(last.frame, next.frame)) return last;
    shown.current = next;
    return next;
  };
  const subscribe = useCallback(
    (notify: () => void) => {
      const unsubscribers = [store.subscribe(notify), clock.subscribe(notify), ...(position ? [position.subscribe(notify)] : [])];
      return () => unsubscribers.forEach((unsubscribe) => unsubscribe());
    },
    [store, position, clock],
  );
  const model = useSyncExternalStore(subscribe, getSnapshot);
  return { model, current: compute };
}

interface SecondClock {
  wallMs(): number;
  subscribe(listener: () => void): () => void;
}

/**
 * The wall clock to the second, read whenever the screen is computed, with
 * a tick every second for when nothing else changes. A flush that already
 * drew this second's time leaves the tick nothing to draw: a busy console
 * draws its few frames a second, not one more for the clock.
 */
function useSecondClock(store: ConsoleStore, now: () => number): SecondClock {
  const latestNow = useRef(now);
  latestNow.current = now;
  const [clock] = useState(() => {
    const listeners = new Set<() => void>();
    return {
      wallMs: () => Math.floor(latestNow.current() / CLOCK_TICK_MS) * CLOCK_TICK_MS,
      subscribe(listener: () => void) {
        listeners.add(listener);
        return () => void listeners.delete(listener);
      },
      tick() {
        for (const listener of listeners) listener();
      },
    };
  });
  useEffect(() => {
    const timer = setInterval(() => {
      const at = now();
      store.getState().updateUi((u) => expireToast(u, at));
      clock.tick();
    }, CLOCK_TICK_MS);
    return () => clearInterval(timer);
  }, [store, now, clock]);
  return clock;
}
