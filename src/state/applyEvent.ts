// The console's state: the run's one fold (fold.ts) plus what only a
// console has — the tail of session.log, and whether the orchestrator is
// alive. The live console feeds it from the tail, replay from the recorded
// file; both through the same fold, so the console agrees with `status` and
// the report by construction.

import type { LogLevel, MegatestEvent } from '../contract/events.js';
import type { SessionMetrics } from '../contract/metrics.js';
import type { SessionStatus } from '../contract/statuses.js';
import { foldEvent, foldEvents } from './fold.js';
import { appendBounded, MAX_LOG_LINES } from './limits.js';
import { initialRunState, isTerminalStatus, type CheckpointView, type RunState } from './runState.js';

export type {
  AgentView,
  AlertKind,
  AlertTone,
  AlertView,
  ChartSeries,
  CheckpointView,
  PhaseStatus,
  PhaseView,
  SeriesName,
  SessionInfo,
} from './runState.js';
export { isTerminalStatus, SERIES_NAMES } from './runState.js';

export interface LogLine {
  /** Increasing per console, so scroll positions survive the buffer's trimming. */
  id: number;
  ts: string | null;
  level: LogLevel | null;
  source: string | null;
  message: string;
}

/** Whether the run's orchestrator runs: `stopped` (Ctrl-Z, SIGSTOP) is there but answers nothing until continued. */
export type OrchestratorLiveness = 'unknown' | 'alive' | 'stopped' | 'dead';

export interface ConsoleState extends RunState {
  log: LogLine[];
  nextLogId: number;
  orchestrator: OrchestratorLiveness;
}

export function initialConsoleState(): ConsoleState {
  return { ...initialRunState(), log: [], nextLogId: 1, orchestrator: 'unknown' };
}

/** One event through the fold; the console's own fields ride along. */
export function applyEvent(state: ConsoleState, event: MegatestEvent): ConsoleState {
  const next = foldEvent(state, event);
  if (next === state) return state;
  // The fold starts over on a different session: keep what the console holds of its own.
  return { ...next, log: state.log, nextLogId: state.nextLogId, orchestrator: state.orchestrator };
}

/** A batch of events through the fold, in one state copy per run of counters. */
export function applyEvents(state: ConsoleState, events: readonly MegatestEvent[]): ConsoleState {
  const next = foldEvents(state, events);
  if (next === state) return state;
  return { ...next, log: state.log, nextLogId: state.nextLogId, orchestrator: state.orchestrator };
}

function percent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? 'n/a' : `${(rate * 100).toFixed(1)}%`;
}

// `s`: a message of an older session.log may hold a carriage return, which `.` alone does not match (the line was shown unparsed).
const LOG_LINE_PATTERN = /^(\S+)\s+(DEBUG|INFO|WARN|ERROR)\s+\[([^\]]*)\]\s?(.*)$/s;

export function parseLogLine(text: string, id: number): LogLine {
  const match = LOG_LINE_PATTERN.exec(text);
  if (!match) return { id, ts: null, level: null, source: null, message: text };
  return { id, ts: match[1]!, level: match[2] as LogLevel, source: match[3]!, message: match[4]! };
}

/** session.log lines, parsed and appended to the bounded log buffer. */
export function applyLogLines(state: ConsoleState, lines: readonly string[]): ConsoleState {
  const kept = lines.length > MAX_LOG_LINES ? lines.slice(lines.length - MAX_LOG_LINES) : lines;
  if (kept.length === 0) return state;
  const firstId = state.nextLogId + (lines.length - kept.length);
  const parsed = kept.map((text, i) => parseLogLine(text, firstId + i));
  return { ...state, log: appendBounded(state.log, parsed, MAX_LOG_LINES), nextLogId: state.nextLogId + lines.length };
}

/** The session.log file was truncated or replaced: its old lines no longer exist. */
export function clearLog(state: ConsoleState): ConsoleState {
  return { ...state, log: [] };
}

/** The `status` file's word; an unknown word is ignored (the file may be mid-edit by hand). */
export function applyStatusWord(state: ConsoleState, word: string): ConsoleState {
  const status = word.trim() as SessionStatus;
  const known: readonly string[] = ['starting', 'running', 'paused', 'recovering', 'completed', 'failed', 'interrupted', 'timeout'];
  if (!known.includes(status) || status === state.status) return state;
  // Once the session has ended by its own event, a stale file cannot revive it.
  if (state.ended !== null && !isTerminalStatus(status)) return state;
  return { ...state, status };
}

/**
 * metrics_current.json: newer than the last snapshot event? Then its gauges
 * (context, idle time, memory, disk) show. Counters and chart points come
 * only from events, so the file never counts anything twice.
 */
export function applyMetricsFile(state: ConsoleState, metrics: SessionMetrics): ConsoleState {
  if (state.metrics !== null && Date.parse(metrics.timestamp) <= Date.parse(state.metrics.timestamp)) return state;
  const gauges = new Map(metrics.agents.map((a) => [a.name, a]));
  return {
    ...state,
    metrics,
    agents: state.agents.map((a) => {
      const m = gauges.get(a.name);
      return m ? { ...a, contextTokens: m.context_tokens, maxContextTokens: m.max_context_tokens, idleSeconds: m.idle_seconds } : a;
    }),
  };
}

export function setOrchestratorLiveness(state: ConsoleState, orchestrator: Exclude<OrchestratorLiveness, 'unknown'>): ConsoleState {
  return orchestrator === state.orchestrator ? state : { ...state, orchestrator };
}

/** Human summary of a checkpoint's measured figures, for the picker and toasts. */
export function checkpointFigures(checkpoint: CheckpointView): string {
  const loc = checkpoint.linesOfCode === null ? 'LOC n/a' : `${checkpoint.linesOfCode} LOC`;
  return `${loc}, pass ${percent(checkpoint.testPassRate)}`;
}
