// Small pure pieces the fold is built of: agent rows, alerts, chart
// points, the token window and the clock. Each returns a new value and never
// mutates its input, so a state can be shared between views and snapshots.

import type { MegatestEvent } from '../contract/events.js';
import type { SessionMetrics } from '../contract/metrics.js';
import type { AgentStatus } from '../contract/statuses.js';
import { appendBounded, MAX_ALERTS, MAX_SERIES_POINTS } from './limits.js';
import {
  TOKEN_WINDOW_SECONDS,
  type AgentView,
  type AlertKind,
  type AlertTone,
  type ChartSeries,
  type ModelUsage,
  type RunState,
} from './runState.js';

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

/** Adds one tokens event to its model's sums (a new object; the input is not changed). */
export function addModelUsage(byModel: Record<string, ModelUsage>, model: string, input: number, output: number, costUsd: number | undefined): Record<string, ModelUsage> {
  const before = byModel[model] ?? { input: 0, output: 0, costUsd: null };
  const cost = costUsd === undefined || !Number.isFinite(costUsd) ? before.costUsd : (before.costUsd ?? 0) + costUsd;
  return { ...byModel, [model]: { input: before.input + input, output: before.output + output, costUsd: cost } };
}

/** Replaces (or appends) one agent, keeping the order agents first appeared in. */
export function updateAgent(agents: AgentView[], name: string, ms: number, change: (agent: AgentView) => AgentView): AgentView[] {
  const index = agents.findIndex((a) => a.name === name);
  if (index < 0) return [...agents, change(blankAgent(name, ms))];
  const next = agents.slice();
  next[index] = change(agents[index]!);
  return next;
}

/** The agent's new status, with its working time accounted up to ms. */
export function withStatus(agent: AgentView, status: AgentStatus, ms: number): AgentView {
  let workingMs = agent.workingMs;
  if (agent.workingSinceMs !== null) workingMs += Math.max(0, ms - agent.workingSinceMs);
  return { ...agent, status, workingMs, workingSinceMs: status === 'working' ? ms : null };
}

export function withAlert(state: RunState, event: MegatestEvent, kind: AlertKind, tone: AlertTone, text: string): RunState['alerts'] {
  const agent = 'agent' in event && typeof event.agent === 'string' && event.agent !== '' ? event.agent : null;
  return appendBounded(state.alerts, [{ seq: event.seq, ts: event.ts, kind, tone, text, agent }], MAX_ALERTS);
}

/** Every agent's totals as one more point of its series (at a metrics snapshot). */
export function pushAgentSeries(agents: AgentView[]): AgentView[] {
  return agents.map((a) => {
    // Logs folded before agents had series (an older seek index) start one here.
    const series = a.series ?? { tokens: [], toolCalls: [] };
    return {
      ...a,
      series: { tokens: appendBounded(series.tokens, [a.tokens], MAX_SERIES_POINTS), toolCalls: appendBounded(series.toolCalls, [a.toolCalls], MAX_SERIES_POINTS) },
    };
  });
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

/** Adds tokens to the per-second window, dropping seconds older than a minute before `sec`. */
export function addTokens(window: RunState['tokenWindow'], sec: number, tokens: number): RunState['tokenWindow'] {
  const last = window[window.length - 1];
  let next: RunState['tokenWindow'];
  if (last && last.sec === sec) next = [...window.slice(0, -1), { sec, tokens: last.tokens + tokens }];
  else if (last && last.sec > sec) {
    // An event a little out of time order: its second goes where it belongs.
    if (sec <= last.sec - TOKEN_WINDOW_SECONDS) return window;
    const at = window.findIndex((b) => b.sec >= sec);
    next = window[at]!.sec === sec
      ? window.map((b, i) => (i === at ? { sec, tokens: b.tokens + tokens } : b))
      : [...window.slice(0, at), { sec, tokens }, ...window.slice(at)];
    return next;
  } else next = [...window, { sec, tokens }];
  let drop = 0;
  while (drop < next.length && next[drop]!.sec <= sec - TOKEN_WINDOW_SECONDS) drop += 1;
  return drop > 0 ? next.slice(drop) : next;
}

export function msOf(ts: string): number {
  const ms = Date.parse(ts);
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
