// Small pieces the fold is built of: agent rows, alerts, chart points, the
// token window and the clock. Those named …InPlace change an object the
// caller's Draft owns (draft.ts); the others return a new value and never
// change their input, so a state can be shared between views and snapshots.

import type { MegatestEvent } from '../contract/events.js';
import type { SessionMetrics } from '../contract/metrics.js';
import type { AgentStatus } from '../contract/statuses.js';
import { isoTimeMs } from './isoTime.js';
import { appendBounded, MAX_SERIES_POINTS } from './limits.js';
import { TOKEN_WINDOW_SECONDS } from './readings.js';
import { RECORDED_FIGURES, type AgentView, type AlertKind, type AlertTone, type AlertView, type ChartSeries, type RecordedFigures, type RunState } from './runState.js';

export function blankAgent(name: string, ms: number): AgentView {
  return {
    name,
    role: '',
    model: null,
    status: 'starting',
    task: null,
    tokens: 0,
    toolCalls: 0,
    failedToolCalls: 0,
    contextTokens: null,
    maxContextTokens: null,
    idleSeconds: null,
    exitCause: null,
    protocolErrors: 0,
    capabilities: null,
    series: { tokens: [], toolCalls: [] },
    startedMs: ms,
    workingMs: 0,
    workingSinceMs: null,
    lastActivityMs: ms,
  };
}

/** Gives a draft-owned agent row its new status, with its working time accounted up to ms. */
export function setStatusInPlace(agent: AgentView, status: AgentStatus, ms: number): void {
  if (agent.workingSinceMs !== null) agent.workingMs += Math.max(0, ms - agent.workingSinceMs);
  agent.status = status;
  agent.workingSinceMs = status === 'working' ? ms : null;
}

/** The alert an event makes (the agent it names, if any, so the agent's detail can list it). */
export function alertOf(event: MegatestEvent, kind: AlertKind, tone: AlertTone, text: string): AlertView {
  const agent = 'agent' in event && typeof event.agent === 'string' && event.agent !== '' ? event.agent : null;
  return { seq: event.seq, ts: event.ts, kind, tone, text, agent };
}

/** A draft-owned agent row's totals as one more point of its series (at a metrics snapshot); the series arrays are new. */
export function pushAgentSeriesInPlace(agent: AgentView): void {
  // Logs folded before agents had series (an older seek index) start one here.
  const series = agent.series ?? { tokens: [], toolCalls: [] };
  agent.series = {
    tokens: appendBounded(series.tokens, [agent.tokens], MAX_SERIES_POINTS),
    toolCalls: appendBounded(series.toolCalls, [agent.toolCalls], MAX_SERIES_POINTS),
  };
}

export function pushSeries(series: ChartSeries, metrics: SessionMetrics): ChartSeries {
  const add = (list: number[], value: number | null): number[] =>
    value === null || !Number.isFinite(value) ? list : appendBounded(list, [value], MAX_SERIES_POINTS);
  return {
    tokensPerMinute: add(series.tokensPerMinute, metrics.tokens_per_minute),
    testPassRate: add(series.testPassRate, metrics.test_pass_rate === null ? null : metrics.test_pass_rate * 100),
    linesOfCode: add(series.linesOfCode, metrics.lines_of_code),
    coverage: add(series.coverage, metrics.test_coverage),
    errors: add(series.errors, metrics.errors_encountered),
  };
}

/**
 * Adds tokens to a draft-owned per-second window, dropping seconds older
 * than a minute before `sec`. Buckets are replaced, never changed: the
 * caller's state may share them.
 */
export function addTokensInPlace(window: RunState['tokenWindow'], sec: number, tokens: number): void {
  const last = window[window.length - 1];
  if (last && last.sec > sec) {
    // An event a little out of time order: its second goes where it belongs.
    if (sec <= last.sec - TOKEN_WINDOW_SECONDS) return;
    const at = window.findIndex((b) => b.sec >= sec);
    if (window[at]!.sec === sec) window[at] = { sec, tokens: window[at]!.tokens + tokens };
    else window.splice(at, 0, { sec, tokens });
    return;
  }
  if (last && last.sec === sec) window[window.length - 1] = { sec, tokens: last.tokens + tokens };
  else window.push({ sec, tokens });
  let drop = 0;
  while (drop < window.length && window[drop]!.sec <= sec - TOKEN_WINDOW_SECONDS) drop += 1;
  if (drop > 0) window.splice(0, drop);
}

/** An event's time in ms (0 when ts is not a time): Date.parse's answer, read faster (isoTime.ts). */
export function msOf(ts: string): number {
  const ms = isoTimeMs(ts);
  return Number.isFinite(ms) ? ms : 0;
}

/** Stops the clock at ms (counting active time up to it). */
export function stopClock(clock: RunState['clock'], ms: number): RunState['clock'] {
  if (clock.sinceMs === null) return clock;
  return { ...clock, activeMs: clock.activeMs + Math.max(0, ms - clock.sinceMs), sinceMs: null };
}

export function startClock(clock: RunState['clock'], ms: number): RunState['clock'] {
  return clock.sinceMs === null ? { ...clock, sinceMs: ms } : clock;
}

/** The figures a snapshot recorded over those of the snapshots before it: one it left out (null) keeps the latest that recorded it. */
export function withRecordedFigures(recorded: RecordedFigures | undefined, metrics: SessionMetrics): RecordedFigures {
  const next: RecordedFigures = { ...recorded };
  for (const key of RECORDED_FIGURES) {
    const value = metrics[key];
    if (typeof value === 'number' && Number.isFinite(value)) next[key] = value;
  }
  return next;
}
