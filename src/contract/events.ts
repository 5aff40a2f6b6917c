// The event log contract (DESIGN §5). Every line of events.jsonl is one
// MegatestEvent: `{"seq":N,"ts":"…","type":"…",…}`. Pure types and helpers
// only: the engine, the console and replay all import this module.

import type { AgentCapabilities } from './capabilities.js';
import { hasReadableBody } from './eventShape.js';
import type { SessionMetrics } from './metrics.js';
import type { AgentStatus, CheckpointTrigger, CommandSource, SessionStatus, Severity } from './statuses.js';

export type { AgentStatus, CheckpointTrigger, CommandSource, LogLevel, SessionStatus, Severity } from './statuses.js';
export { SESSION_STATUSES } from './statuses.js';
export type { AgentCapabilities } from './capabilities.js';

export interface CriterionResult {
  id: string;
  description: string;
  /** critical | important | nice_to_have */
  level: 'critical' | 'important' | 'nice_to_have';
  passed: boolean;
  /** The measured evidence, human readable ("coverage 81.2% >= 80%"). */
  evidence: string;
}

export interface EventBodies {
  session_started: {
    session_id: string;
    project: string;
    project_name: string;
    agent_kind: string;
    simulated: boolean;
    agents: number;
    duration_seconds: number;
    /** The plan; `tasks` (each phase's task list) lets every view count tasks left before a phase starts. */
    phases: { name: string; duration_seconds: number; tasks?: string[] }[];
    megatest_version: string;
    /**
     * Set when this run is a branch of a finished one (`megatest resume` of a
     * completed, failed or timed-out run): the original run folder's name and
     * the checkpoint the branch continues from. The events before the branch's
     * own are the original's, copied up to that checkpoint. Absent otherwise.
     */
    resumed_from?: { run: string; checkpoint: string };
    /**
     * Set on an import whose recording has no times of its own (a file in
     * line order, 1 ms per line): its times say which line came first, not
     * when, so no duration or rate is read from them. Absent otherwise.
     */
    times?: 'line_order';
  };
  phase_started: { phase: string; index: number; duration_seconds: number; tasks: string[] };
  phase_ended: { phase: string; index: number; criteria: CriterionResult[]; passed: boolean };
  /** `capabilities`: what the agent kind can do when asked (absent in logs older than it). */
  agent_started: { agent: string; role: string; model?: string; pid?: number; capabilities?: AgentCapabilities };
  /**
   * `step`: the agent's own loop step that began (selfware's `📝 Step N`, a new Claude
   * assistant message), as its parser counted it; written by `megatest import`, absent otherwise.
   */
  agent_state: { agent: string; status: AgentStatus; task?: string; step?: number };
  agent_exited: { agent: string; code: number | null; signal: string | null; cause?: string };
  tool_call: { agent: string; tool: string; ok: boolean; duration_ms: number };
  /** `cost_usd`: what the agent itself reported the work cost (Claude's result.total_cost_usd), when it reports cost. */
  tokens: { agent: string; input: number; output: number; model: string; cost_usd?: number };
  task_completed: { agent: string; task: string; phase: string };
  build: { ok: boolean; duration_ms: number; command: string; output_tail?: string };
  /**
   * `problem`: the test command ran but gave no results to read (it crashed before its report, was killed at
   * the runtime limit, printed nothing readable): the counts are 0, and every test figure is not measured
   * until a run gives results again. An earlier run's figures are of older code, not of project/ as it is.
   * `coverage_problem`: the tests gave results but coverage is null, and why (its tool missing, its report
   * unreadable): a coverage criterion's evidence says it, not only session.log.
   * `flaky`: of `passed`, the tests that failed and then passed on a rerun (Gradle's test-retry, Maven
   * surefire's reruns in JUnit XML); absent when none did.
   */
  test_run: {
    passed: number;
    failed: number;
    skipped: number;
    duration: number;
    coverage: number | null;
    source: string;
    problem?: string;
    coverage_problem?: string;
    flaky?: number;
  };
  /**
   * The project's own benchmark ([project.performance] benchmark_command) at
   * a gate, after its tests: the number it printed, operations per second;
   * null with `problem` when it failed or printed none.
   */
  benchmark: { ok: boolean; ops_per_second: number | null; duration_ms: number; command: string; problem?: string };
  metrics: { metrics: SessionMetrics };
  checkpoint_created: {
    id: string;
    trigger: CheckpointTrigger;
    files: number;
    bytes: number;
    ms: number;
    phase: string;
    lines_of_code?: number;
    test_pass_rate?: number | null;
  };
  checkpoint_restored: {
    id: string;
    rolled_back_after_seq: number;
    ms: number;
    reason?: string;
    /** Where the checkpoint left the schedule (phases, duration limit), in seconds; elapsed time does not roll back. */
    schedule_seconds?: number;
    /** The checkpoint's phase, for a fold that never saw the checkpoint created. */
    phase?: string;
    phase_index?: number;
  };
  /**
   * `count`: how many occurrences this one event stands for, when it sums up
   * several (a parse_failure event counts the agent's malformed lines since
   * its previous one); 1 when absent. A parse_failure of 0 is an error the
   * agent said in its own words ("the model returned malformed JSON"): an
   * error, and no malformed line of the agent's (protocol errors).
   */
  error: { class: string; severity: Severity; agent?: string; message: string; count?: number };
  recovery: { action: string; attempt: number; outcome: 'started' | 'succeeded' | 'failed' | 'gave_up'; agent?: string; detail?: string };
  limit: { kind: string; agent?: string; action: string; detail?: string };
  /** `detail` says how it was done and which figure is an estimate (a harness compression's after is the summary's chars / 4). */
  /** tokens_after: null when the agent made no context report after the compression (not measured). */
  compress: { agent: string; tokens_before: number; tokens_after: number | null; detail?: string };
  vote: { agent: string; topic: string; choice: string };
  command: { name: string; source: CommandSource; detail?: string };
  /**
   * `checkpoint`: the checkpoint the alert found damaged (its checksum or a blob failed, a restore refused it or
   * fell back from it): the views mark it, and the restore picker says so before a person chooses it.
   */
  alert: { level: 'info' | 'warning' | 'critical'; message: string; checkpoint?: string };
  session_ended: { status: SessionStatus; exit_code: number; reason?: string };
}

export type EventType = keyof EventBodies;

export const EVENT_TYPES: readonly EventType[] = [
  'session_started',
  'phase_started',
  'phase_ended',
  'agent_started',
  'agent_state',
  'agent_exited',
  'tool_call',
  'tokens',
  'task_completed',
  'build',
  'test_run',
  'benchmark',
  'metrics',
  'checkpoint_created',
  'checkpoint_restored',
  'error',
  'recovery',
  'limit',
  'compress',
  'vote',
  'command',
  'alert',
  'session_ended',
];

export interface EventEnvelope {
  seq: number;
  /** ISO-8601 time the event was written. */
  ts: string;
}

export type EventOf<T extends EventType> = EventEnvelope & { type: T } & EventBodies[T];

/** Discriminated union of every event. */
export type MegatestEvent = { [T in EventType]: EventOf<T> }[EventType];

/** What a producer hands to the event log; the log adds seq and ts. */
export type EventInput = { [T in EventType]: { type: T } & EventBodies[T] }[EventType];

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
}

/** A well-formed event line of a type this build does not know. */
export interface UnknownEventLine {
  seq: number;
  ts: string;
  type: string;
}

/**
 * The seq, ts and type of a line that parseEventLine refused only for its
 * type: an event a newer megatest wrote (its seq a positive integer, its ts a
 * time, its type a word). Readers skip it and count it apart: it is no
 * damage, and its seq is no gap. Null for anything else.
 */
export function unknownEventLine(line: string): UnknownEventLine | null {
  try {
    const value = JSON.parse(line) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
    const { seq, ts, type } = value as Record<string, unknown>;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return null;
    if (typeof ts !== 'string' || Number.isNaN(Date.parse(ts))) return null;
    if (typeof type !== 'string' || !/^[a-z][a-z0-9_]*$/.test(type) || isEventType(type)) return null;
    return { seq, ts, type };
  } catch {
    return null;
  }
}

/** Parses one events.jsonl line; returns null for a line that is not an event (or one whose body lacks what readers go into: eventShape.ts). */
export function parseEventLine(line: string): MegatestEvent | null {
  if (line.trim() === '') return null;
  try {
    const value = JSON.parse(line) as Record<string, unknown>;
    if (typeof value !== 'object' || value === null) return null;
    if (typeof value.seq !== 'number' || typeof value.ts !== 'string' || !isEventType(value.type)) return null;
    if (!hasReadableBody(value as Record<string, unknown> & { type: string })) return null;
    return value as unknown as MegatestEvent;
  } catch {
    return null;
  }
}
