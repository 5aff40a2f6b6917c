// Replay's transport: a cursor over the recorded events, moved by keys and by
// a play timer, that puts the one fold's state at the cursor (plus
// session.log as of then) into the console's store. It reads the run only
// through a ReplaySource, which does the I/O; the console renders the store.
//
// A step forward folds the next event onto the state it has (cheap); a jump
// back, or far forward, asks the source for the state at the new cursor,
// which folds forward from its nearest snapshot. Operations run one at a
// time, in the order asked, so a burst of keys never interleaves two folds.

import { createStore, type StoreApi } from 'zustand/vanilla';
import { assertNever } from '../../contract/assertNever.js';
import type { MegatestEvent } from '../../contract/events.js';
import type { ReplaySource, TimelineMark, TimelineMarkKind } from '../../replay/types.js';
import { applyLogLines, type ConsoleState } from '../../state/applyEvent.js';
import { foldEvents } from '../../state/fold.js';
import type { RunState } from '../../state/runState.js';
import { createConsoleStore, type ConsoleStore } from '../../state/store.js';
import { showToast } from '../../state/uiState.js';
import type { ReplayControls } from '../actions.js';
import { emptyReplayPosition, type ReplayPosition } from '../viewModels/timeline.js';
import { placeDamage } from './placeDamage.js';
import {
  FOLD_FORWARD_LIMIT,
  FRAME_MS,
  MAX_QUIET_WALL_MS,
  MAX_SPEED,
  MIN_SPEED,
  MINUTE_MS,
  msOf,
  nextSpeed,
  realTimers,
  REFRESH_MS,
  REPLAY_LOG_LINES,
  sameLines,
  type ReplayOptions,
  type ReplayTarget,
  type ReplayTimers,
} from './transport.js';

export {
  FOLD_FORWARD_LIMIT,
  FRAME_MS,
  MAX_QUIET_WALL_MS,
  MAX_SPEED,
  MIN_SPEED,
  MINUTE_MS,
  nextSpeed,
  REFRESH_MS,
  REPLAY_LOG_LINES,
  SPEEDS,
  type ReplayOptions,
  type ReplayTarget,
  type ReplayTimers,
} from './transport.js';

const CHECKPOINT_KINDS: readonly TimelineMarkKind[] = ['checkpoint', 'restore'];
const ERROR_KINDS: readonly TimelineMarkKind[] = ['error', 'recovery'];


export class ReplayController implements ReplayControls {
  readonly store: ConsoleStore = createConsoleStore('replay');
  readonly position: StoreApi<ReplayPosition> = createStore<ReplayPosition>()(() => emptyReplayPosition());
  private state!: RunState;
  private log: string[] = [];
  /** The state last put in the store; null to put it again (the end was reached or left). */
  private committed: RunState | null = null;
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;
  private playTimer: unknown = null;
  private refreshTimer: unknown = null;
  private lastTickMs = 0;
  private nextEventMs: { cursor: number; ms: number | null } | null = null;
  private readonly damageTimes = new Map<number, number | null>();
  private readonly timers: ReplayTimers;
  private readonly orchestratorGone: boolean;
  private atEnd = false;
  private closed = false;

  private constructor(
    readonly source: ReplaySource,
    options: ReplayOptions,
  ) {
    this.timers = options.timers ?? realTimers;
    this.orchestratorGone = options.orchestratorGone === true;
    this.position.setState({ speed: Math.max(MIN_SPEED, Math.min(MAX_SPEED, options.speed ?? 1)) });
  }

  /** Opens at `at` (default the start), playing when asked. */
  static async open(source: ReplaySource, options: ReplayOptions = {}): Promise<ReplayController> {
    const controller = new ReplayController(source, options);
    controller.state = await source.stateAt(0);
    await controller.syncSource();
    await controller.goTo(options.at ?? { kind: 'start' });
    if (options.follow !== false) controller.refreshTimer = controller.timers.setInterval(() => controller.refreshAtEnd(), REFRESH_MS);
    if (options.play) controller.play();
    return controller;
  }

  /** The fold at the cursor (what the console shows), without the log. */
  runState(): RunState {
    return this.state;
  }

  /** Resolves once every operation asked so far has finished (tests, --frame). */
  async idle(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.queue;
      await seen;
    } while (seen !== this.queue);
  }

  close(): void {
    this.closed = true;
    this.stopTimer();
    if (this.refreshTimer !== null) this.timers.clearInterval(this.refreshTimer);
    this.refreshTimer = null;
  }

  // ---- what the keys ask ----

  playPause(): void {
    if (this.position.getState().playing) this.pause();
    else this.play();
  }

  play(): void {
    if (this.closed || this.position.getState().playing) return;
    const { cursor, count } = this.position.getState();
    // Play at the end of a finished run plays it again from the start.
    if (count > 0 && cursor >= count && this.endIsFinal()) void this.goTo({ kind: 'start' });
    this.position.setState({ playing: true });
    this.lastTickMs = this.timers.now();
    this.playTimer = this.timers.setInterval(() => this.tick(), FRAME_MS);
  }

  pause(): void {
    this.stopTimer();
    if (this.position.getState().playing) this.position.setState({ playing: false });
  }

  // A step is for looking event by event: it pauses, or the play would carry the cursor on at once.
  stepForward(): void {
    this.pause();
    void this.run(() => this.moveTo(this.position.getState().cursor + 1));
  }

  stepBack(): void {
    this.pause();
    void this.run(() => this.moveTo(this.position.getState().cursor - 1));
  }

  minuteForward(): void {
    void this.run(() => this.moveToMs(this.position.getState().clockMs + MINUTE_MS));
  }

  minuteBack(): void {
    void this.run(() => this.moveToMs(this.position.getState().clockMs - MINUTE_MS));
  }

  faster(): void {
    this.setSpeed(nextSpeed(this.position.getState().speed, 1));
  }

  slower(): void {
    this.setSpeed(nextSpeed(this.position.getState().speed, -1));
  }

  toStart(): void {
    void this.goTo({ kind: 'start' });
  }

  toEnd(): void {
    void this.goTo({ kind: 'end' });
  }

  nextCheckpoint(): void {
    void this.run(() => this.jumpToMark(CHECKPOINT_KINDS, 1, 'checkpoint or restore'));
  }

  previousCheckpoint(): void {
    void this.run(() => this.jumpToMark(CHECKPOINT_KINDS, -1, 'checkpoint or restore'));
  }

  nextError(): void {
    void this.run(() => this.jumpToMark(ERROR_KINDS, 1, 'error or recovery'));
  }

  previousError(): void {
    void this.run(() => this.jumpToMark(ERROR_KINDS, -1, 'error or recovery'));
  }

  setSpeed(speed: number): void {
    this.position.setState({ speed: Math.max(MIN_SPEED, Math.min(MAX_SPEED, speed)) });
  }

  /** Moves to a target (start, end, a seq, a time); the CLI's --at and g/G. */
  goTo(target: ReplayTarget): Promise<void> {
    return this.run(async () => {
      const { startMs } = this.position.getState();
      switch (target.kind) {
        case 'start':
          return this.moveTo(await this.source.cursorAtMs(startMs), startMs);
        case 'end':
          // The present of a run still going.
          await this.source.refresh();
          await this.syncSource();
          return this.moveTo(this.source.count());
        case 'seq':
          return this.moveTo(await this.source.cursorOfSeq(target.seq));
        case 'time':
          return this.moveToMs(target.ms);
        case 'offset':
          return this.moveToMs(startMs + target.ms);
        default:
          return assertNever(target, 'replay target');
      }
    });
  }

  // ---- inside ----

  private stopTimer(): void {
    if (this.playTimer !== null) this.timers.clearInterval(this.playTimer);
    this.playTimer = null;
  }

  /** Runs `operation` after those already asked; a failure is shown, never thrown at the keys. */
  private run(operation: () => Promise<void>): Promise<void> {
    this.pending += 1;
    const next = this.queue.then(async () => {
      if (this.closed) return;
      try {
        await operation();
      } catch (error) {
        this.toast('critical', `replay: ${(error as Error).message}`);
      } finally {
        this.pending -= 1;
      }
    });
    this.queue = next;
    return next;
  }

  private toast(tone: 'info' | 'critical', message: string): void {
    this.store.getState().updateUi((ui) => showToast(ui, tone, message, this.timers.now()));
  }

  /** Counts, times, marks and damage as the source knows them now. */
  private async syncSource(): Promise<void> {
    const source = this.source;
    const damage = await placeDamage(source, this.damageTimes);
    this.position.setState({ count: source.count(), startMs: source.startMs(), endMs: source.endMs(), marks: source.marks(), damage });
  }

  private refreshAtEnd(): void {
    const { cursor, count } = this.position.getState();
    if (this.pending > 0 || cursor < count) return;
    void this.run(async () => {
      await this.source.refresh();
      await this.syncSource();
      // Playing at the end of a run still going follows it: what it wrote meanwhile is shown at once. Played from the
      // last event's time, it fell behind by the time waited at the end at each look (10 s after two minutes at 1x).
      const { playing, count, endMs } = this.position.getState();
      if (playing && count > cursor) await this.moveTo(count, endMs);
    });
  }

  private tick(): void {
    const now = this.timers.now();
    // A frame still being folded: skip this one; the next covers the time.
    if (this.pending > 0) return;
    const wallMs = now - this.lastTickMs;
    this.lastTickMs = now;
    void this.run(async () => {
      const { clockMs, cursor, count, startMs, endMs, speed, playing } = this.position.getState();
      if (!playing) return;
      // max: a log that was empty when opened has a start only once its first events arrive.
      let clock = Math.max(clockMs, startMs) + wallMs * speed;
      let target = await this.source.cursorAtMs(clock);
      if (target <= cursor && cursor < count) {
        const nextMs = await this.timeOfEventAt(cursor);
        if (nextMs !== null && (nextMs - clock) / speed > MAX_QUIET_WALL_MS) clock = nextMs - MAX_QUIET_WALL_MS * speed;
      }
      clock = Math.min(clock, endMs);
      target = Math.max(target, cursor);
      await this.moveTo(target, clock);
      // The end of a finished run stops the play; a run still going is followed as it grows.
      if (target >= this.position.getState().count && this.endIsFinal()) this.pause();
    });
  }

  /**
   * Nothing more will come after the log's end: the run recorded its end, or
   * it was killed (its orchestrator is gone), or it is a legacy folder's
   * (converted once). A play there stops rather than "playing" on at a log
   * that cannot grow.
   */
  private endIsFinal(): boolean {
    return this.state.ended !== null || this.orchestratorGone || this.source.legacy;
  }

  private async timeOfEventAt(index: number): Promise<number | null> {
    if (this.nextEventMs?.cursor !== index) this.nextEventMs = { cursor: index, ms: msOf(await this.source.eventAt(index)) };
    return this.nextEventMs.ms;
  }

  private async moveToMs(ms: number): Promise<void> {
    const { startMs, endMs } = this.position.getState();
    const clock = Math.max(startMs, Math.min(endMs, ms));
    await this.moveTo(await this.source.cursorAtMs(clock), clock);
  }

  private async jumpToMark(kinds: readonly TimelineMarkKind[], direction: 1 | -1, what: string): Promise<void> {
    const { cursor, marks } = this.position.getState();
    const wanted = marks.filter((m) => kinds.includes(m.kind));
    // A mark's event is folded once the cursor is past it: the cursor after mark m is m.index + 1.
    const mark: TimelineMark | undefined = direction > 0 ? wanted.find((m) => m.index + 1 > cursor) : [...wanted].reverse().find((m) => m.index + 1 < cursor);
    if (!mark) {
      this.toast('info', `no ${direction > 0 ? 'later' : 'earlier'} ${what}`);
      return;
    }
    await this.moveTo(mark.index + 1, mark.atMs);
  }

  /**
   * Puts the fold after `cursor` events into the store. `clockMs` is where
   * the replay stands in time (default: the time of the last event folded).
   */
  private async moveTo(wanted: number, clockMs?: number): Promise<void> {
    const before = this.position.getState();
    const cursor = Math.max(0, Math.min(this.source.count(), wanted));
    let state = this.state;
    let last: MegatestEvent | undefined;
    if (cursor === this.source.count() && cursor !== before.cursor) {
      // The log's end is the source's own state there (it holds what follows the last event, an unknown-type line's seq).
      state = await this.source.stateAt(cursor);
      last = cursor > 0 ? await this.source.eventAt(cursor - 1) : undefined;
    } else if (cursor > before.cursor && cursor - before.cursor <= FOLD_FORWARD_LIMIT) {
      state = await this.foldForward(state, before.cursor, cursor);
      last = await this.source.eventAt(cursor - 1);
    } else if (cursor !== before.cursor) {
      state = await this.source.stateAt(cursor);
      last = cursor > 0 ? await this.source.eventAt(cursor - 1) : undefined;
    }
    const seq = cursor === before.cursor ? before.seq : (last?.seq ?? null);
    const clock = clockMs ?? (cursor === 0 ? before.startMs : (msOf(last) ?? before.clockMs));
    const log = await this.source.logLinesAt(clock, REPLAY_LOG_LINES);
    const atEnd = cursor >= this.source.count();
    if (atEnd !== this.atEnd) {
      this.atEnd = atEnd;
      this.committed = null;
    }
    this.commit(state, log);
    this.position.setState({ cursor, seq, clockMs: clock });
  }

  /** Events [from, to) folded onto `state` as the source folds them (an unknown-type line among them is no seq gap). */
  private async foldForward(state: RunState, from: number, to: number): Promise<RunState> {
    if (this.source.foldForward) return this.source.foldForward(state, from, to);
    const events: MegatestEvent[] = [];
    for (let i = from; i < to; i++) {
      const event = await this.source.eventAt(i);
      if (event) events.push(event);
    }
    return foldEvents(state, events);
  }

  private commit(state: RunState, log: string[]): void {
    const logChanged = !sameLines(log, this.log);
    if (state === this.state && !logChanged && this.committed !== null) return;
    this.state = state;
    this.committed = state;
    if (logChanged) this.log = log;
    const lines = this.log;
    // At the end of a run killed before its end: as the live console shows one whose orchestrator is gone.
    const orchestrator = this.orchestratorGone && this.atEnd && state.ended === null ? 'dead' : 'unknown';
    this.store.getState().updateRun((previous) => {
      // The log is rebuilt only when it changed, so the log pane keeps its lines (and their ids).
      if (!logChanged) return { ...state, log: previous.log, nextLogId: previous.nextLogId, orchestrator };
      const empty: ConsoleState = { ...state, log: [], nextLogId: 1, orchestrator };
      return applyLogLines(empty, lines);
    });
  }
}
