// The console's zustand store: `run` (the fold of what the run folder says)
// and `ui` (what the person chose). Input from the tail is batched and
// applied in one store update every flush interval, so a burst of thousands
// of events costs one render, not thousands; a steady stream is applied
// twice a second (MIN_FLUSH_GAP_MS), since every frame Ink draws lays out
// and re-encodes the whole screen.

import { createStore, type StoreApi } from 'zustand/vanilla';
import type { MegatestEvent } from '../contract/events.js';
import type { SessionMetrics } from '../contract/metrics.js';
import {
  applyEvents,
  applyLogLines,
  applyMetricsFile,
  applyStatusWord,
  clearLog,
  initialConsoleState,
  setOrchestratorLiveness,
  type ConsoleState,
  type OrchestratorLiveness,
} from './applyEvent.js';
import { MAX_LOG_LINES } from './limits.js';
import type { RunState } from './runState.js';
import { initialUiState, type ConsoleMode, type UiState } from './uiState.js';

export interface ConsoleStoreState {
  run: ConsoleState;
  ui: UiState;
  updateRun(change: (run: ConsoleState) => ConsoleState): void;
  updateUi(change: (ui: UiState) => UiState): void;
}

export type ConsoleStore = StoreApi<ConsoleStoreState>;

export function createConsoleStore(mode: ConsoleMode = 'live', run: ConsoleState = initialConsoleState()): ConsoleStore {
  return createStore<ConsoleStoreState>()((set) => ({
    run,
    ui: initialUiState(mode),
    updateRun: (change) =>
      set((s) => {
        const next = change(s.run);
        return next === s.run ? s : { run: next };
      }),
    updateUi: (change) =>
      set((s) => {
        const next = change(s.ui);
        return next === s.ui ? s : { ui: next };
      }),
  }));
}

/** 50–100 ms: fast enough to feel live, slow enough to batch a burst. */
export const DEFAULT_FLUSH_MS = 100;
/**
 * Least time from one flush to the next: input that keeps coming (a busy
 * run writes events and log lines every few milliseconds) is drawn twice a
 * second, about the pace a person reads a scrolling log at. A frame costs
 * Ink ~20 ms of CPU at 120x40 on a small machine, and under a steady stream
 * the frames are most of the console's cost: four a second kept it above
 * 10% of a core (bench/console.mjs). A line written shows within this gap,
 * the tail's read gap and one frame: 0.4 s in the median, 0.7 s at the 95th
 * percentile, on a loaded 2-core machine.
 */
export const MIN_FLUSH_GAP_MS = 500;

export interface BatcherTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

const realTimers: BatcherTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  now: () => Date.now(),
};

/** Collects tail input and applies it to the store `intervalMs` after it came, at most once per `minGapMs`. */
export class InputBatcher {
  private events: MegatestEvent[] = [];
  private logLines: string[] = [];
  private droppedLogLines = 0;
  private status: string | null = null;
  private metrics: SessionMetrics | null = null;
  private liveness: Exclude<OrchestratorLiveness, 'unknown'> | null = null;
  private resetEvents = false;
  private resetLog = false;
  private start: RunState | null = null;
  private timer: unknown = null;
  private closed = false;
  private lastFlushMs = -Infinity;

  constructor(
    private readonly store: ConsoleStore,
    private readonly intervalMs = DEFAULT_FLUSH_MS,
    private readonly timers: BatcherTimers = realTimers,
    private readonly minGapMs = MIN_FLUSH_GAP_MS,
  ) {}

  pushEvents(events: readonly MegatestEvent[]): void {
    if (events.length === 0) return;
    for (const event of events) this.events.push(event);
    this.schedule();
  }

  pushLogLines(lines: readonly string[]): void {
    if (lines.length === 0) return;
    for (const line of lines) this.logLines.push(line);
    // Reading a long history: only the newest lines can ever be shown, so hold no more.
    if (this.logLines.length > 2 * MAX_LOG_LINES) {
      const excess = this.logLines.length - MAX_LOG_LINES;
      this.logLines = this.logLines.slice(excess);
      this.droppedLogLines += excess;
    }
    this.schedule();
  }

  pushStatus(word: string): void {
    this.status = word;
    this.schedule();
  }

  pushMetrics(metrics: SessionMetrics): void {
    this.metrics = metrics;
    this.schedule();
  }

  /** The fold of the events before the first one pushed (a big run's folded snapshot): it replaces the run's state, not the log. */
  pushStart(state: RunState): void {
    this.events = [];
    this.start = state;
    this.schedule();
  }

  pushLiveness(liveness: Exclude<OrchestratorLiveness, 'unknown'>): void {
    this.liveness = liveness;
    this.schedule();
  }

  /** The file was truncated or replaced; the tail re-reads it from the start. */
  reset(which: 'events' | 'log'): void {
    if (which === 'events') {
      this.events = [];
      this.start = null;
      this.resetEvents = true;
    } else {
      this.logLines = [];
      this.droppedLogLines = 0;
      this.resetLog = true;
    }
    this.schedule();
  }

  flush(): void {
    if (this.timer !== null) {
      this.timers.clearTimeout(this.timer);
      this.timer = null;
    }
    const events = this.events;
    const logLines = this.logLines;
    const { status, metrics, liveness, resetEvents, resetLog, droppedLogLines, start } = this;
    this.droppedLogLines = 0;
    this.start = null;
    this.events = [];
    this.logLines = [];
    this.status = null;
    this.metrics = null;
    this.liveness = null;
    this.resetEvents = false;
    this.resetLog = false;
    this.lastFlushMs = this.timers.now();
    this.store.getState().updateRun((run) => {
      let next = run;
      if (resetEvents) next = { ...initialConsoleState(), log: next.log, nextLogId: next.nextLogId, orchestrator: next.orchestrator };
      if (start !== null) next = { ...start, log: next.log, nextLogId: next.nextLogId, orchestrator: next.orchestrator };
      if (resetLog) next = clearLog(next);
      next = applyEvents(next, events);
      // Lines dropped unseen still take their ids, so ids keep counting lines of the file.
      if (droppedLogLines > 0) next = { ...next, nextLogId: next.nextLogId + droppedLogLines };
      next = applyLogLines(next, logLines);
      if (metrics !== null) next = applyMetricsFile(next, metrics);
      if (status !== null) next = applyStatusWord(next, status);
      if (liveness !== null) next = setOrchestratorLiveness(next, liveness);
      return next;
    });
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.closed || this.timer !== null) return;
    const delay = Math.max(this.intervalMs, this.lastFlushMs + this.minGapMs - this.timers.now());
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.flush();
    }, delay);
  }
}
