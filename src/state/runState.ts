// The run state: what one pure fold of events.jsonl knows about a run
// (DESIGN §1). The orchestrator's live metrics, `megatest status`, the
// report, the live console and replay all read this one shape, so two views
// of the same log cannot disagree. Plain data only (no Map, no Set, no
// class): a state can be copied, compared and written to a seek index.
//
// Readings that depend on "now" (elapsed time, tokens per minute) are
// functions of the state and a time, below; the state itself holds no clock.

import type { AgentCapabilities, CriterionResult } from '../contract/events.js';
import type { SessionMetrics } from '../contract/metrics.js';
import type { AgentStatus, CheckpointTrigger, SessionStatus } from '../contract/statuses.js';

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
  /** The phase's time budget: planned at session start, then as phase_started gave it. */
  durationSeconds: number;
  status: PhaseStatus;
  criteriaPassed: number | null;
  criteriaTotal: number | null;
  criteria: CriterionResult[];
  /** The phase's task list (empty until known). */
  tasks: string[];
  /** Schedule seconds (see scheduleSecondsAt) when the phase started; null before. */
  startedAtSeconds: number | null;
  startedAt: string | null;
  endedAt: string | null;
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
  /** Gauges measured by the orchestrator's snapshot; null until the first one. */
  contextTokens: number | null;
  maxContextTokens: number | null;
  idleSeconds: number | null;
  exitCause: string | null;
  /**
   * Lines the agent printed that broke its protocol (malformed, binary, numbers
   * out of bounds, a task_done for a task not its own): the counts its
   * parse_failure error events carry.
   */
  protocolErrors: number;
  /** What the agent can do when asked, from its agent_started (null in logs older than it). */
  capabilities: AgentCapabilities | null;
  /** Its tokens and tool calls so far at each metrics snapshot: the agent's detail draws them over time. */
  series: AgentSeries;
  /** Event times (ms) for utilization and idleness. */
  startedMs: number;
  workingMs: number;
  workingSinceMs: number | null;
  lastActivityMs: number;
}

export interface CheckpointView {
  id: string;
  seq: number;
  ts: string;
  /** Where the schedule stood when it was taken (seconds; see scheduleSecondsAt). */
  atSeconds: number;
  phase: string;
  trigger: CheckpointTrigger;
  files: number;
  bytes: number;
  linesOfCode: number | null;
  testPassRate: number | null;
}

/** One agent's running totals, a point per metrics snapshot (bounded like the charts). */
export interface AgentSeries {
  tokens: number[];
  toolCalls: number[];
}

export type AlertKind = 'error' | 'recovery' | 'limit' | 'alert' | 'restore' | 'session' | 'compress';
/** How an alert reads: its colour role and its weight. */
export type AlertTone = 'info' | 'good' | 'warning' | 'critical';

export interface AlertView {
  seq: number;
  ts: string;
  kind: AlertKind;
  tone: AlertTone;
  text: string;
  /** The agent the event names, if any (the agent's detail lists its errors). */
  agent: string | null;
}

export type SeriesName = 'tokensPerMinute' | 'testPassRate' | 'linesOfCode' | 'coverage' | 'errors';
export const SERIES_NAMES: readonly SeriesName[] = ['tokensPerMinute', 'testPassRate', 'linesOfCode', 'coverage', 'errors'];
/** One point per metrics snapshot; figures not yet measured are left out, never invented. */
export type ChartSeries = Record<SeriesName, number[]>;

/** What the measuring tools last said about project/. Rolls back with a restore. */
export interface Measured {
  linesOfCode: number | null;
  docCoverage: number | null;
  filesModified: number | null;
  testsPassed: number | null;
  testsFailed: number | null;
  testsSkipped: number | null;
  /** passed / (passed + failed), 0..1. */
  testPassRate: number | null;
  /** Line coverage, 0..100. */
  testCoverage: number | null;
  lastBuildOk: boolean | null;
  lastBuildMs: number | null;
}

/** Running counters: what was spent and seen. They never roll back. */
export interface Counters {
  totalTokens: number;
  inputTokens: number;
  outputTokens: number;
  toolCalls: number;
  toolCallsFailed: number;
  errors: number;
  errorsByClass: Record<string, number>;
  fatalErrors: number;
  recoveriesStarted: number;
  recoveriesSucceeded: number;
  recoveriesFailed: number;
  /** Agents' lines that broke their protocol, all agents (the parse_failure events' counts). */
  protocolErrors: number;
  /** Recovery events per action (restore_checkpoint, resolve_conflict, reassign, …); failed includes gave_up. */
  recoveriesByAction: Record<string, { started: number; succeeded: number; failed: number }>;
  /** Tokens and cost per model, by the model each tokens event names ('' when it names none). */
  byModel: Record<string, ModelUsage>;
  limits: number;
  compressions: number;
  votes: number;
  commands: number;
  alerts: number;
  checkpoints: number;
  restores: number;
  builds: number;
  buildsOk: number;
  testRuns: number;
}

/** What one model spent: the sums of the tokens events that name it. */
export interface ModelUsage {
  input: number;
  output: number;
  /** USD the agents reported (Claude's result.total_cost_usd); null when no event for this model carried a cost. */
  costUsd: number | null;
}

/** A recovery whose `started` has no outcome (succeeded, failed, gave_up) yet. */
export interface OpenRecovery {
  agent: string | null;
  action: string;
  attempt: number;
  /** The started event's seq and time. */
  seq: number;
  ts: string;
}

export interface TaskDone {
  task: string;
  agent: string;
  phase: string;
  seq: number;
  /** The agent's model when the task was completed (its last tokens event's, else agent_started's). */
  model: string | null;
}

/**
 * The part of the state a restore puts back: as it was when the checkpoint
 * was created (its checkpoint_created event).
 */
export interface RollbackPoint {
  id: string;
  seq: number;
  scheduleSeconds: number;
  phases: PhaseView[];
  currentPhaseIndex: number;
  phaseEnded: boolean;
  tasksDone: TaskDone[];
  measured: Measured;
  agentTasks: Record<string, string | null>;
}

/**
 * The session's clock, from the events' own times. Active time stops while
 * the session is paused, after it ended, and while no orchestrator ran it
 * (between the last event before a `resume` and the resume). The schedule
 * (phases, the duration limit) runs on active time less what restores gave
 * back: a restore puts the schedule back to the checkpoint's, never the
 * elapsed time.
 */
export interface RunClock {
  activeMs: number;
  /** Wall ms since which the clock runs; null while stopped. */
  sinceMs: number | null;
  /** Seconds restores handed back to the schedule. */
  rolledBackSeconds: number;
}

export interface RunState {
  session: SessionInfo | null;
  status: SessionStatus | null;
  phases: PhaseView[];
  currentPhaseIndex: number;
  /** The current phase's phase_ended is recorded and the next has not started. */
  phaseEnded: boolean;
  agents: AgentView[];
  tasksDone: TaskDone[];
  measured: Measured;
  counters: Counters;
  clock: RunClock;
  /** Tokens spent per wall second, the last minute of them. */
  tokenWindow: { sec: number; tokens: number }[];
  checkpoints: CheckpointView[];
  rollbackPoints: RollbackPoint[];
  lastRestore: { id: string; ts: string } | null;
  /** Recoveries started and not yet ended, oldest first: the engine ends each (a session never ends with one open). */
  openRecoveries: OpenRecovery[];
  series: ChartSeries;
  /** The orchestrator's last snapshot, for its gauges (memory, disk, per-agent context). */
  metrics: SessionMetrics | null;
  alerts: AlertView[];
  firstSeq: number | null;
  lastSeq: number;
  lastEventTs: string | null;
  eventsApplied: number;
  /** Places where seq did not follow on from the one before. */
  seqGaps: number;
  ended: { status: SessionStatus; exitCode: number; reason: string | null; ts: string } | null;
}

export function emptyMeasured(): Measured {
  return {
    linesOfCode: null,
    docCoverage: null,
    filesModified: null,
    testsPassed: null,
    testsFailed: null,
    testsSkipped: null,
    testPassRate: null,
    testCoverage: null,
    lastBuildOk: null,
    lastBuildMs: null,
  };
}

export function emptyCounters(): Counters {
  return {
    totalTokens: 0,
    inputTokens: 0,
    outputTokens: 0,
    toolCalls: 0,
    toolCallsFailed: 0,
    errors: 0,
    errorsByClass: {},
    fatalErrors: 0,
    recoveriesStarted: 0,
    recoveriesSucceeded: 0,
    recoveriesFailed: 0,
    protocolErrors: 0,
    recoveriesByAction: {},
    byModel: {},
    limits: 0,
    compressions: 0,
    votes: 0,
    commands: 0,
    alerts: 0,
    checkpoints: 0,
    restores: 0,
    builds: 0,
    buildsOk: 0,
    testRuns: 0,
  };
}

export function initialRunState(): RunState {
  return {
    session: null,
    status: null,
    phases: [],
    currentPhaseIndex: -1,
    phaseEnded: false,
    agents: [],
    tasksDone: [],
    measured: emptyMeasured(),
    counters: emptyCounters(),
    clock: { activeMs: 0, sinceMs: null, rolledBackSeconds: 0 },
    tokenWindow: [],
    checkpoints: [],
    rollbackPoints: [],
    lastRestore: null,
    openRecoveries: [],
    series: { tokensPerMinute: [], testPassRate: [], linesOfCode: [], coverage: [], errors: [] },
    metrics: null,
    alerts: [],
    firstSeq: null,
    lastSeq: 0,
    lastEventTs: null,
    eventsApplied: 0,
    seqGaps: 0,
    ended: null,
  };
}

const TERMINAL_STATUSES: readonly SessionStatus[] = ['completed', 'failed', 'interrupted', 'timeout'];
export function isTerminalStatus(status: SessionStatus | null): boolean {
  return status !== null && TERMINAL_STATUSES.includes(status);
}

// ------------------------------------------------------------------ readings

/** Active milliseconds of the session at wall time nowMs (never less than at the last event). */
export function elapsedMsAt(state: Pick<RunState, 'clock'>, nowMs: number): number {
  const { activeMs, sinceMs } = state.clock;
  return sinceMs === null ? activeMs : activeMs + Math.max(0, nowMs - sinceMs);
}

export function elapsedSecondsAt(state: Pick<RunState, 'clock'>, nowMs: number): number {
  return elapsedMsAt(state, nowMs) / 1000;
}

/** Where the schedule (phases, duration limit) stands: elapsed less what restores gave back. */
export function scheduleSecondsAt(state: Pick<RunState, 'clock'>, nowMs: number): number {
  return Math.max(0, elapsedMsAt(state, nowMs) / 1000 - state.clock.rolledBackSeconds);
}

/**
 * Seconds of the configured duration left: the duration limits active time,
 * so a restore, which puts the schedule back, gives no time back to the session.
 */
export function remainingSecondsAt(state: RunState, nowMs: number): number {
  if (state.ended) return 0;
  return Math.max(0, (state.session?.durationSeconds ?? 0) - elapsedMsAt(state, nowMs) / 1000);
}

/** The clock's time of the state's last event: "now" for a run nobody is running. */
export function lastEventMs(state: RunState): number {
  const at = state.lastEventTs === null ? NaN : Date.parse(state.lastEventTs);
  return Number.isFinite(at) ? at : (state.session?.startedAtMs ?? 0);
}

export const TOKEN_WINDOW_SECONDS = 60;

/**
 * Tokens per minute over the last 60 s of wall time, or since the session
 * started while it is younger than that: a rate, never a running total.
 */
export function tokensPerMinuteAt(state: RunState, nowMs: number): number {
  const startedMs = state.session?.startedAtMs ?? null;
  const nowSec = Math.floor(nowMs / 1000);
  let sum = 0;
  for (const bucket of state.tokenWindow) if (bucket.sec > nowSec - TOKEN_WINDOW_SECONDS && bucket.sec <= nowSec) sum += bucket.tokens;
  const sinceStart = startedMs === null ? TOKEN_WINDOW_SECONDS : (nowMs - startedMs) / 1000;
  const window = Math.min(TOKEN_WINDOW_SECONDS, Math.max(1, sinceStart));
  return Math.round((sum * 60) / window);
}

/** Distinct tasks of the plan (all phases' task lists, each task once). */
export function tasksTotal(state: RunState): number {
  const names = new Set<string>();
  for (const phase of state.phases) for (const task of phase.tasks) names.add(task);
  return names.size;
}

export function completedTaskSet(state: RunState): Set<string> {
  return new Set(state.tasksDone.map((t) => t.task));
}

export function tasksCompleted(state: RunState): number {
  return state.tasksDone.length;
}

export function tasksRemaining(state: RunState): number {
  const total = tasksTotal(state);
  if (total === 0) return 0;
  const done = completedTaskSet(state);
  let left = 0;
  const seen = new Set<string>();
  for (const phase of state.phases) {
    for (const task of phase.tasks) {
      if (seen.has(task)) continue;
      seen.add(task);
      if (!done.has(task)) left += 1;
    }
  }
  return left;
}

export function currentPhase(state: RunState): PhaseView | null {
  return state.currentPhaseIndex >= 0 ? (state.phases[state.currentPhaseIndex] ?? null) : null;
}

/** Share of an agent's tool calls that succeeded (0..1); null before any call. */
export function trustOf(agent: AgentView): number | null {
  return agent.toolCalls > 0 ? (agent.toolCalls - agent.failedToolCalls) / agent.toolCalls : null;
}

/** Share of the agent's life it spent working (0..1), from its state events. */
export function utilizationAt(agent: AgentView, nowMs: number): number {
  const lifetime = Math.max(1, nowMs - agent.startedMs);
  const working = agent.workingMs + (agent.workingSinceMs !== null ? Math.max(0, nowMs - agent.workingSinceMs) : 0);
  return Math.min(1, working / lifetime);
}
