// What the orchestrator offers its controllers (control API, signals, the
// console through the API). Every action is serialized with the engine's own
// work and answers with the event it produced, or a ControlError.

import type { AgentCapabilities, CommandSource, MegatestEvent, SessionStatus } from './events.js';
import type { SessionMetrics } from './metrics.js';

export interface CheckpointSummary {
  id: string;
  timestamp: string;
  phase: string;
  trigger: string;
  files: number;
  bytes: number;
  lines_of_code: number | null;
  test_pass_rate: number | null;
  valid: boolean;
}

export interface StatusSnapshot {
  session_id: string;
  project: string;
  agent_kind: string;
  simulated: boolean;
  status: SessionStatus;
  phase: string;
  started_at: string;
  duration_seconds: number;
  metrics: SessionMetrics | null;
  last_checkpoint: CheckpointSummary | null;
  pid: number;
  /** What each agent can do when asked, by agent name (from its agent_started event). */
  capabilities?: Record<string, AgentCapabilities>;
  /** The newest critical alert, with its time: why a paused run waits for a person (absent from older orchestrators). */
  last_alert?: { ts: string; message: string } | null;
  /** While paused: since when, who paused (a command source: key, api, signal, cli or engine) and why, from the alert megatest paused with (null: a person's pause); null while not paused (absent from older orchestrators). */
  pause?: { since: string; by: string; why: string | null } | null;
  /** Recoveries started and not yet ended, oldest first: why an agent waits (absent from older orchestrators). */
  recoveries_under_way?: { agent: string | null; action: string; attempt: number; since: string; detail: string | null }[];
  /** What the agents said the work cost so far, in USD, summed over models (Claude Code's total_cost_usd); null when none reported a cost (absent from older orchestrators). */
  cost_usd?: number | null;
  /** Set once the session is ending (a stop asked for, its time up, all phases done): why; every action is then refused (409) until it has ended. Null otherwise (absent from older orchestrators). */
  stopping?: string | null;
  /** Why the last test run gave no results (its test_run's problem), the test figures then null; null otherwise (absent from older orchestrators). */
  tests_problem?: string | null;
}

/** An action the engine refused; `status` is the HTTP status it maps to. */
export class ControlError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 | 409 | 500 | 503 = 409,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

export interface EngineControl {
  status(): StatusSnapshot;
  metrics(): SessionMetrics | null;
  checkpoint(source: CommandSource): Promise<MegatestEvent>;
  /** Compress one agent's context, or every agent's when agent is undefined. */
  compress(agent: string | undefined, source: CommandSource): Promise<MegatestEvent[]>;
  restore(checkpointId: string, source: CommandSource): Promise<MegatestEvent>;
  pause(source: CommandSource): Promise<MegatestEvent>;
  resume(source: CommandSource): Promise<MegatestEvent>;
  stop(source: CommandSource): Promise<MegatestEvent>;
}

/** checkpoint ids are `checkpoint_` and digits, nothing else (no paths). */
export const CHECKPOINT_ID_PATTERN = /^checkpoint_\d{1,9}$/;
