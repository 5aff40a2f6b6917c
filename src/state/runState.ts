// The run state: what one pure fold of events.jsonl knows about a run
// (DESIGN §1). The orchestrator's live metrics, `megatest status`, the
// report, the live console and replay all read this one shape, so two views
// of the same log cannot disagree. Plain data only (no Map, no Set, no
// class): a state can be copied, compared and written to a seek index.
//
// Readings that depend on "now" (elapsed time, tokens per minute) are
// functions of the state and a time, in readings.ts (re-exported here); the
// state itself holds no clock.

import type { AgentCapabilities, CriterionResult } from '../contract/events.js';
import type { SessionMetrics } from '../contract/metrics.js';
import type { AgentStatus, CheckpointTrigger, SessionStatus } from '../contract/statuses.js';
import { emptyCounters, emptyMeasured, type Counters, type Measured, type RecordedFigures } from './measuredState.js';

export { emptyCounters, emptyMeasured, RECORDED_FIGURES, type Counters, type Measured, type ModelUsage, type RecordedFigure, type RecordedFigures } from './measuredState.js';

export interface SessionInfo {
  sessionId: string;
  project: string;
  projectName: string;
  agentKind: string;
  simulated: boolean;
  agentCount: number;
  /** The planned length; null where it was not recorded (a legacy run whose files do not say). */
  durationSeconds: number | null;
  startedAtMs: number;
  megatestVersion: string;
  /** A branch (`resume` of a finished run): the run and checkpoint it goes on from. */
  resumedFrom?: { run: string; checkpoint: string };
  /** An import in line order (session_started's `times`): its durations and rates mean nothing. */
  timesLineOrder?: true;
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
  /** Found damaged since it was taken (an alert naming it): a restore of it is refused or falls back. */
  damaged?: true;
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

export interface OpenRecovery {
  agent: string | null;
  action: string;
  attempt: number;
  /** The started event's seq and time. */
  seq: number;
  ts: string;
  /** What the started event said it does (`rate_limit: waiting 2h 5m 10s for the usage limit to lift …`). */
  detail?: string;
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
  /**
   * `megatest resume`s so far (absent: none). Each takes out the time no
   * orchestrator ran, which a live view may already have counted: its
   * never-backwards floor on elapsed starts again at each.
   */
  resumes?: number;
}

export interface PauseView {
  since: string;
  by: string;
  why: string | null;
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
  /** The pause in effect: since when, who paused (a command source), and why, from the alert megatest paused with (none: a person's pause). Null while not paused. */
  pause: PauseView | null;
  /** Recoveries started and not yet ended, oldest first: the engine ends each (a session never ends with one open). */
  openRecoveries: OpenRecovery[];
  series: ChartSeries;
  /** The orchestrator's last snapshot, for its gauges (memory, disk, per-agent context). */
  metrics: SessionMetrics | null;
  /** Each snapshot figure as the latest snapshot that recorded it (a legacy runner's torn snapshot leaves some out). */
  recordedFigures: RecordedFigures;
  alerts: AlertView[];
  firstSeq: number | null;
  lastSeq: number;
  lastEventTs: string | null;
  eventsApplied: number;
  /** Places where seq did not follow on from the one before. */
  seqGaps: number;
  ended: { status: SessionStatus; exitCode: number; reason: string | null; ts: string } | null;
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
    pause: null,
    openRecoveries: [],
    series: { tokensPerMinute: [], testPassRate: [], linesOfCode: [], coverage: [], errors: [] },
    metrics: null,
    recordedFigures: {},
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

export {
  completedTaskSet,
  currentPhase,
  elapsedMsAt,
  elapsedSecondsAt,
  lastEventMs,
  recordedDurationSeconds,
  remainingSecondsAt,
  scheduleSecondsAt,
  tasksCompleted,
  tasksRemaining,
  tasksTotal,
  TOKEN_WINDOW_SECONDS,
  tokensPerMinuteAt,
  trustOf,
  usageRecorded,
  utilizationAt,
} from './readings.js';
