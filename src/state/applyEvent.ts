// The console's state is a fold of events.jsonl through applyEvent (DESIGN
// §1): the live console feeds it from the tail, replay from the recorded file.
// Pure: no clock, no I/O. Time comes from the events' own `ts`.
//
// Counters are idempotent: an event whose seq is not above the last applied
// one is ignored, so a tail that re-reads a file (truncation, replacement,
// reattach) never counts a tool call or a token twice.

import type { AgentStatus, CheckpointTrigger, LogLevel, MegatestEvent, SessionStatus } from '../engine/events.js';
import { assertNever } from '../engine/events.js';
import type { AgentMetrics, SessionMetrics } from '../engine/metrics.js';
import { appendBounded, MAX_ALERTS, MAX_CHECKPOINTS, MAX_LOG_LINES, MAX_SERIES_POINTS } from './limits.js';

export interface SessionInfo {
  sessionId: string;
  project: string;
  projectName: string;
  agentKind: string;
  simulated: boolean;
  agentCount: number;
  durationSeconds: number;
  startedAtMs: number;
  megatestVersion: string;
}

export type PhaseStatus = 'pending' | 'running' | 'passed' | 'failed';

export interface PhaseView {
  name: string;
  durationSeconds: number;
  status: PhaseStatus;
  criteriaPassed: number | null;
  criteriaTotal: number | null;
}

export interface AgentView {
  name: string;
  role: string;
  model: string | null;
  status: AgentStatus;
  task: string | null;
  tokens: number;
  toolCalls: number;
  failedToolCalls: number;
  /** Measured by the orchestrator's snapshot; null until the first one. */
  contextTokens: number | null;
  maxContextTokens: number | null;
  trust: number | null;
  idleSeconds: number | null;
  exitCause: string | null;
}

export interface CheckpointView {
  id: string;
  seq: number;
  ts: string;
  /** Seconds into the session when it was taken (from the events' clock). */
  atSeconds: number;
  phase: string;
  trigger: CheckpointTrigger;
  files: number;
  bytes: number;
  linesOfCode: number | null;
  testPassRate: number | null;
}

export type AlertKind = 'error' | 'recovery' | 'limit' | 'alert' | 'restore' | 'session';
/** How an alert reads: its colour role and its weight. */
export type AlertTone = 'info' | 'good' | 'warning' | 'critical';

export interface AlertView {
  seq: number;
  ts: string;
  kind: AlertKind;
  tone: AlertTone;
  text: string;
}

export type SeriesName = 'tokensPerMinute' | 'testPassRate' | 'linesOfCode' | 'coverage' | 'errors';
export const SERIES_NAMES: readonly SeriesName[] = ['tokensPerMinute', 'testPassRate', 'linesOfCode', 'coverage', 'errors'];
/** One point per metrics snapshot; figures not yet measured are left out, never invented. */
export type ChartSeries = Record<SeriesName, number[]>;

export interface LogLine {
  /** Increasing per console, so scroll positions survive the buffer's trimming. */
  id: number;
  ts: string | null;
  level: LogLevel | null;
  source: string | null;
  message: string;
}

export type OrchestratorLiveness = 'unknown' | 'alive' | 'dead';

export interface ConsoleState {
  session: SessionInfo | null;
  /** From events and the `status` file, whichever spoke last. */
  status: SessionStatus | null;
  phases: PhaseView[];
  currentPhaseIndex: number;
  agents: AgentView[];
  checkpoints: CheckpointView[];
  lastRestore: { id: string; ts: string } | null;
  series: ChartSeries;
  metrics: SessionMetrics | null;
  alerts: AlertView[];
  log: LogLine[];
  nextLogId: number;
  lastSeq: number;
  lastEventTs: string | null;
  eventsApplied: number;
  tasksCompleted: number;
  ended: { status: SessionStatus; exitCode: number; reason: string | null; ts: string } | null;
  orchestrator: OrchestratorLiveness;
}

export function initialConsoleState(): ConsoleState {
  return {
    session: null,
    status: null,
    phases: [],
    currentPhaseIndex: -1,
    agents: [],
    checkpoints: [],
    lastRestore: null,
    series: { tokensPerMinute: [], testPassRate: [], linesOfCode: [], coverage: [], errors: [] },
    metrics: null,
    alerts: [],
    log: [],
    nextLogId: 1,
    lastSeq: 0,
    lastEventTs: null,
    eventsApplied: 0,
    tasksCompleted: 0,
    ended: null,
    orchestrator: 'unknown',
  };
}

const TERMINAL_STATUSES: readonly SessionStatus[] = ['completed', 'failed', 'interrupted', 'timeout'];
export function isTerminalStatus(status: SessionStatus | null): boolean {
  return status !== null && TERMINAL_STATUSES.includes(status);
}

function blankAgent(name: string): AgentView {
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
    trust: null,
    idleSeconds: null,
    exitCause: null,
  };
}

/** Replaces (or appends) one agent, keeping the order agents first appeared in. */
function updateAgent(agents: AgentView[], name: string, change: (agent: AgentView) => AgentView): AgentView[] {
  const index = agents.findIndex((a) => a.name === name);
  if (index < 0) return [...agents, change(blankAgent(name))];
  const next = agents.slice();
  next[index] = change(agents[index]!);
  return next;
}

function withAlert(state: ConsoleState, event: MegatestEvent, kind: AlertKind, tone: AlertTone, text: string): AlertView[] {
  return appendBounded(state.alerts, [{ seq: event.seq, ts: event.ts, kind, tone, text }], MAX_ALERTS);
}

function secondsSinceStart(state: ConsoleState, ts: string): number {
  if (!state.session) return 0;
  const at = Date.parse(ts);
  return Number.isFinite(at) ? Math.max(0, (at - state.session.startedAtMs) / 1000) : 0;
}

function pushSeries(series: ChartSeries, metrics: SessionMetrics): ChartSeries {
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
 * The snapshot's per-agent figures are measured by the orchestrator and win
 * over our running sums. Counters are taken only from a snapshot that sits in
 * the event order (a `metrics` event): events after it add on top. The
 * metrics file has no seq, so from it only gauges are taken.
 */
function mergeAgentMetrics(agents: AgentView[], snapshot: AgentMetrics[], takeCounters: boolean): AgentView[] {
  let next = agents;
  for (const measured of snapshot) {
    next = updateAgent(next, measured.name, (agent) => ({
      ...agent,
      role: measured.role || agent.role,
      model: measured.model ?? agent.model,
      status: measured.status,
      task: measured.task,
      tokens: takeCounters ? measured.tokens : agent.tokens,
      toolCalls: takeCounters ? measured.tool_calls : agent.toolCalls,
      contextTokens: measured.context_tokens,
      maxContextTokens: measured.max_context_tokens,
      trust: measured.trust_score,
      idleSeconds: measured.idle_seconds,
    }));
  }
  return next;
}

function percent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? 'n/a' : `${(rate * 100).toFixed(1)}%`;
}

export function applyEvent(state: ConsoleState, event: MegatestEvent): ConsoleState {
  if (event.type === 'session_started' && state.session !== null && state.session.sessionId !== event.session_id) {
    // A different session in the same file (the file was replaced): start over.
    return applyEvent({ ...initialConsoleState(), log: state.log, nextLogId: state.nextLogId, orchestrator: state.orchestrator }, event);
  }
  if (event.seq <= state.lastSeq) return state;
  const base: ConsoleState = { ...state, lastSeq: event.seq, lastEventTs: event.ts, eventsApplied: state.eventsApplied + 1 };
  return reduce(base, event);
}

/** Counters a run of tool_call and tokens events adds to one agent. */
interface AgentCounts {
  tokens: number;
  toolCalls: number;
  failedToolCalls: number;
  /** The last non-empty model named, as `tokens` keeps it. */
  model: string;
}

/**
 * The same fold as applying each event in turn with applyEvent, but a batch
 * costs one copy of the state, not one per event: under load almost every
 * event is a tool_call or tokens counter, and copying the state, the agent
 * list and an agent for each of 10,000 events a second was most of the
 * reducer's cost. Runs of those two are summed per agent and written once;
 * any other event first writes the sums, then goes through applyEvent.
 */
export function applyEvents(state: ConsoleState, events: readonly MegatestEvent[]): ConsoleState {
  let next = state;
  // Map keeps insertion order: agents first named here are appended in the order applyEvent would.
  const counts = new Map<string, AgentCounts>();
  let lastSeq = state.lastSeq;
  let lastEventTs = state.lastEventTs;
  let counted = 0;
  const writeCounts = () => {
    if (counted === 0) return;
    let agents = next.agents;
    for (const [name, add] of counts) {
      agents = updateAgent(agents, name, (a) => ({
        ...a,
        tokens: a.tokens + add.tokens,
        toolCalls: a.toolCalls + add.toolCalls,
        failedToolCalls: a.failedToolCalls + add.failedToolCalls,
        model: add.model || a.model,
      }));
    }
    next = { ...next, agents, lastSeq, lastEventTs, eventsApplied: next.eventsApplied + counted };
    counts.clear();
    counted = 0;
  };
  for (const event of events) {
    if (event.type !== 'tool_call' && event.type !== 'tokens') {
      writeCounts();
      next = applyEvent(next, event);
      lastSeq = next.lastSeq;
      lastEventTs = next.lastEventTs;
      continue;
    }
    if (event.seq <= lastSeq) continue;
    lastSeq = event.seq;
    lastEventTs = event.ts;
    counted += 1;
    let add = counts.get(event.agent);
    if (add === undefined) {
      add = { tokens: 0, toolCalls: 0, failedToolCalls: 0, model: '' };
      counts.set(event.agent, add);
    }
    if (event.type === 'tool_call') {
      add.toolCalls += 1;
      if (!event.ok) add.failedToolCalls += 1;
    } else {
      add.tokens += event.input + event.output;
      if (event.model) add.model = event.model;
    }
  }
  writeCounts();
  return next;
}

function reduce(state: ConsoleState, event: MegatestEvent): ConsoleState {
  switch (event.type) {
    case 'session_started': {
      const startedAtMs = Date.parse(event.ts);
      return {
        ...state,
        session: {
          sessionId: event.session_id,
          project: event.project,
          projectName: event.project_name,
          agentKind: event.agent_kind,
          simulated: event.simulated,
          agentCount: event.agents,
          durationSeconds: event.duration_seconds,
          startedAtMs: Number.isFinite(startedAtMs) ? startedAtMs : 0,
          megatestVersion: event.megatest_version,
        },
        status: state.status ?? 'starting',
        phases: event.phases.map((p) => ({ name: p.name, durationSeconds: p.duration_seconds, status: 'pending', criteriaPassed: null, criteriaTotal: null })),
        currentPhaseIndex: -1,
      };
    }
    case 'phase_started': {
      const phases = state.phases.slice();
      if (event.index >= 0 && event.index < phases.length) {
        phases[event.index] = { ...phases[event.index]!, status: 'running' };
      } else {
        // The plan did not list this phase (older logs): show it anyway.
        phases.push({ name: event.phase, durationSeconds: event.duration_seconds, status: 'running', criteriaPassed: null, criteriaTotal: null });
      }
      const index = event.index >= 0 && event.index < state.phases.length ? event.index : phases.length - 1;
      return { ...state, phases, currentPhaseIndex: index, status: state.status === 'starting' || state.status === null ? 'running' : state.status };
    }
    case 'phase_ended': {
      const phases = state.phases.slice();
      const index = event.index >= 0 && event.index < phases.length ? event.index : phases.findIndex((p) => p.name === event.phase);
      if (index >= 0) {
        phases[index] = {
          ...phases[index]!,
          status: event.passed ? 'passed' : 'failed',
          criteriaPassed: event.criteria.filter((c) => c.passed).length,
          criteriaTotal: event.criteria.length,
        };
      }
      return { ...state, phases };
    }
    case 'agent_started':
      return {
        ...state,
        agents: updateAgent(state.agents, event.agent, (a) => ({ ...a, role: event.role, model: event.model ?? a.model, status: 'starting', exitCause: null })),
      };
    case 'agent_state':
      return {
        ...state,
        agents: updateAgent(state.agents, event.agent, (a) => ({ ...a, status: event.status, task: event.task ?? (event.status === 'idle' ? null : a.task) })),
      };
    case 'agent_exited': {
      const crashed = event.code !== 0 && event.code !== null ? true : event.signal !== null && event.signal !== 'SIGTERM';
      const cause = event.cause ?? (event.signal ? `signal ${event.signal}` : `exit ${event.code}`);
      return { ...state, agents: updateAgent(state.agents, event.agent, (a) => ({ ...a, status: crashed ? 'crashed' : 'exited', exitCause: cause })) };
    }
    case 'tool_call':
      return {
        ...state,
        agents: updateAgent(state.agents, event.agent, (a) => ({ ...a, toolCalls: a.toolCalls + 1, failedToolCalls: a.failedToolCalls + (event.ok ? 0 : 1) })),
      };
    case 'tokens':
      return {
        ...state,
        agents: updateAgent(state.agents, event.agent, (a) => ({ ...a, tokens: a.tokens + event.input + event.output, model: event.model || a.model })),
      };
    case 'task_completed':
      return { ...state, tasksCompleted: state.tasksCompleted + 1 };
    case 'build':
    case 'test_run':
    case 'vote':
    case 'command':
      // Shown through the metrics snapshot and session.log; nothing to keep here.
      return state;
    case 'metrics':
      return {
        ...state,
        metrics: event.metrics,
        series: pushSeries(state.series, event.metrics),
        agents: mergeAgentMetrics(state.agents, event.metrics.agents, true),
        status: isTerminalStatus(state.status) ? state.status : event.metrics.status,
      };
    case 'checkpoint_created': {
      const checkpoint: CheckpointView = {
        id: event.id,
        seq: event.seq,
        ts: event.ts,
        atSeconds: secondsSinceStart(state, event.ts),
        phase: event.phase,
        trigger: event.trigger,
        files: event.files,
        bytes: event.bytes,
        linesOfCode: event.lines_of_code ?? null,
        testPassRate: event.test_pass_rate ?? null,
      };
      return { ...state, checkpoints: appendBounded(state.checkpoints, [checkpoint], MAX_CHECKPOINTS) };
    }
    case 'checkpoint_restored':
      return {
        ...state,
        lastRestore: { id: event.id, ts: event.ts },
        alerts: withAlert(state, event, 'restore', 'warning', `restored ${event.id}${event.reason ? ` (${event.reason})` : ''} in ${event.ms} ms`),
      };
    case 'error': {
      const tone: AlertTone = event.severity === 'critical' || event.severity === 'fatal' ? 'critical' : 'warning';
      const who = event.agent ? `${event.agent}: ` : '';
      return { ...state, alerts: withAlert(state, event, 'error', tone, `${who}${event.class} (${event.severity}) ${event.message}`) };
    }
    case 'recovery': {
      const tone: AlertTone = event.outcome === 'succeeded' ? 'good' : event.outcome === 'started' ? 'info' : 'critical';
      const who = event.agent ? `${event.agent}: ` : '';
      const detail = event.detail ? ` — ${event.detail}` : '';
      const status = event.outcome === 'started' ? 'recovering' : state.status === 'recovering' ? 'running' : state.status;
      return {
        ...state,
        status: isTerminalStatus(state.status) ? state.status : status,
        alerts: withAlert(state, event, 'recovery', tone, `${who}${event.action} #${event.attempt} ${event.outcome}${detail}`),
      };
    }
    case 'limit': {
      const who = event.agent ? `${event.agent}: ` : '';
      const detail = event.detail ? ` (${event.detail})` : '';
      return { ...state, alerts: withAlert(state, event, 'limit', 'warning', `${who}${event.kind} limit → ${event.action}${detail}`) };
    }
    case 'compress':
      return {
        ...state,
        agents: updateAgent(state.agents, event.agent, (a) => ({ ...a, contextTokens: event.tokens_after })),
      };
    case 'alert': {
      const tone: AlertTone = event.level === 'critical' ? 'critical' : event.level === 'warning' ? 'warning' : 'info';
      return { ...state, alerts: withAlert(state, event, 'alert', tone, event.message) };
    }
    case 'session_ended': {
      const tone: AlertTone = event.status === 'completed' ? 'good' : 'critical';
      const reason = event.reason ?? null;
      return {
        ...state,
        status: event.status,
        ended: { status: event.status, exitCode: event.exit_code, reason, ts: event.ts },
        alerts: withAlert(state, event, 'session', tone, `session ${event.status} (exit ${event.exit_code})${reason ? `: ${reason}` : ''}`),
      };
    }
    default:
      return assertNever(event, 'event type');
  }
}

const LOG_LINE_PATTERN = /^(\S+)\s+(DEBUG|INFO|WARN|ERROR)\s+\[([^\]]*)\]\s?(.*)$/;

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
 * metrics_current.json: newer than the last snapshot event? Then it drives
 * the header and agent grid. Chart points come only from `metrics` events
 * (one per snapshot), so the file never adds a duplicate point.
 */
export function applyMetricsFile(state: ConsoleState, metrics: SessionMetrics): ConsoleState {
  if (state.metrics !== null && Date.parse(metrics.timestamp) <= Date.parse(state.metrics.timestamp)) return state;
  return {
    ...state,
    metrics,
    agents: mergeAgentMetrics(state.agents, metrics.agents, false),
  };
}

export function setOrchestratorLiveness(state: ConsoleState, alive: boolean): ConsoleState {
  const orchestrator: OrchestratorLiveness = alive ? 'alive' : 'dead';
  return orchestrator === state.orchestrator ? state : { ...state, orchestrator };
}

/** Human summary of a checkpoint's measured figures, for the picker and toasts. */
export function checkpointFigures(checkpoint: CheckpointView): string {
  const loc = checkpoint.linesOfCode === null ? 'LOC n/a' : `${checkpoint.linesOfCode} LOC`;
  return `${loc}, pass ${percent(checkpoint.testPassRate)}`;
}
