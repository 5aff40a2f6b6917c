// Replay's transport settings: the speeds, the frame and refresh rates, the
// targets a cursor can be sent to, the timers that drive play, and the
// options a replay opens with. The controller (controller.ts) moves the
// cursor by them.

import type { MegatestEvent } from '../../contract/events.js';

/** The speeds + and - step through; --speed may start anywhere from 1 to 1000. */
export const SPEEDS: readonly number[] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
export const MIN_SPEED = 1;
export const MAX_SPEED = 1000;
/** At most 10 frames a second while playing; the events of a frame are folded as one batch. */
export const FRAME_MS = 100;
/** How often a replay at the end asks the source for what a run still going has appended. */
export const REFRESH_MS = 1000;
/** Shift+←/→. */
export const MINUTE_MS = 60_000;
/** A jump forward by more events than this asks the source (snapshot + fold) instead of reading each. */
export const FOLD_FORWARD_LIMIT = 256;
/** session.log lines kept as of the cursor: the log pane's scrollback in replay. */
export const REPLAY_LOG_LINES = 500;
/**
 * A quiet stretch of the recording (an orchestrator that was down for an
 * hour, say) holds the screen at most this long at any speed; the status
 * line's clock still shows the recording's real times.
 */
export const MAX_QUIET_WALL_MS = 3000;
export type ReplayTarget =
  | { kind: 'start' }
  | { kind: 'end' }
  | { kind: 'seq'; seq: number }
  | { kind: 'time'; ms: number }
  /** ms after the first event. */
  | { kind: 'offset'; ms: number };

export interface ReplayTimers {
  now(): number;
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const realTimers: ReplayTimers = {
  now: () => Date.now(),
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

export interface ReplayOptions {
  at?: ReplayTarget;
  speed?: number;
  play?: boolean;
  timers?: ReplayTimers;
  /** Poll the source for a run still going while at the end (default true; a one-frame render needs none). */
  follow?: boolean;
  /** No orchestrator runs the run: at its end, one with no end recorded was killed, and is shown so (with how to resume it). */
  orchestratorGone?: boolean;
}

export function msOf(event: MegatestEvent | undefined): number | null {
  if (!event) return null;
  const ms = Date.parse(event.ts);
  return Number.isFinite(ms) ? ms : null;
}

export function sameLines(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((line, i) => line === b[i]);
}

/** The next speed up or down the list from `speed` (which may lie between two). */
export function nextSpeed(speed: number, direction: 1 | -1): number {
  if (direction > 0) return SPEEDS.find((s) => s > speed) ?? MAX_SPEED;
  return [...SPEEDS].reverse().find((s) => s < speed) ?? MIN_SPEED;
}
