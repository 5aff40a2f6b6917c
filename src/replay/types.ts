// What replay reads a run through (DESIGN §1, §11): the one fold fed from the
// recorded file, reached at any cursor without folding the whole log. A
// ReplaySource serves the console's replay mode, `replay --frame`, and any
// view that needs the run as it was at some point (attach, resume, compare).

import type { MegatestEvent } from '../contract/events.js';
import type { RunState } from '../state/runState.js';

export type TimelineMarkKind = 'checkpoint' | 'restore' | 'error' | 'recovery' | 'damage';

/** A point worth jumping to, placed on the timeline bar. */
export interface TimelineMark {
  /** Position of the event in the log (0-based); the cursor after it is index + 1. */
  index: number;
  seq: number;
  atMs: number;
  kind: TimelineMarkKind;
  label: string;
}

/** Something wrong with the recorded files: shown on the timeline and in a status line, never fatal. */
export interface ReplayDamage {
  /** File name relative to the run folder (events.jsonl, status, metrics/…). */
  file: string;
  /** 1-based line, where the damage is a line. */
  line?: number;
  problem: string;
  /** Events position the damage sits before, where it has one. */
  atIndex?: number;
  /**
   * The value was read whole all the same (a legacy count written as two lines, a time taken from the file's name):
   * listed, as the file is malformed, but nothing was lost, so the report's "event log is complete" does not count it.
   */
  recovered?: true;
}

export interface ReplaySource {
  readonly runDir: string;
  /** Converted from a run folder of the original Python/Bash runner. */
  readonly legacy: boolean;
  /** Events known so far (grows on refresh() for a run still in progress). */
  count(): number;
  /** Time of the first and last event (ms since the epoch); 0 for an empty log. */
  startMs(): number;
  endMs(): number;
  marks(): readonly TimelineMark[];
  damage(): readonly ReplayDamage[];
  /** The fold after the first `cursor` events (0 = nothing folded; count() = the whole run). */
  stateAt(cursor: number): Promise<RunState>;
  /**
   * `state` (the fold after `from` events) with events [from, to) folded onto
   * it, the way stateAt(to) folds them: a line of an event type this build
   * does not know among them gives its seq only, so the event after it is no
   * seq gap. Without it, a reader folds eventAt(from … to-1) (a source that
   * holds no such lines).
   */
  foldForward?(state: RunState, from: number, to: number): Promise<RunState>;
  /** The event at position index (0-based). */
  eventAt(index: number): Promise<MegatestEvent | undefined>;
  /** The cursor that has folded every event with seq <= seq. */
  cursorOfSeq(seq: number): Promise<number>;
  /** The cursor that has folded every event written at or before ms. */
  cursorAtMs(ms: number): Promise<number>;
  /** The last n lines of session.log written at or before ms. */
  logLinesAt(ms: number, n: number): Promise<string[]>;
  /** Picks up what a run still in progress appended since. */
  refresh(): Promise<void>;
  close(): Promise<void>;
}
