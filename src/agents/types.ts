// The adapter contract (DESIGN §9). An adapter starts one agent process,
// hands it its phase work, turns what it prints into agent messages, and
// carries out control commands, saying clearly when it cannot.

import type { AgentKind } from '../config/types.js';
import type { AgentCapabilities } from '../contract/capabilities.js';
import type { LogRotation } from '../io/rotatingLog.js';

/** What an agent reported, already parsed from its own output format. */
export type AgentMessage =
  | { type: 'tool_call'; tool: string; ok: boolean; duration_ms: number }
  /** cost_usd: what the agent said the work cost, when it says (a cost-only message has input = output = 0). */
  | { type: 'tokens'; input: number; output: number; model: string; cost_usd?: number }
  | { type: 'state'; status: 'working' | 'idle' | 'waiting' | 'blocked'; task?: string }
  | { type: 'task_done'; task: string }
  | { type: 'context'; tokens: number }
  /**
   * errorClass: the class the adapter knows for sure (an exit code's meaning); otherwise the message is classified.
   * fallbackClass: the class an exit code suggests when the words name none (selfware's exit 4: some model API
   * error, and its `Error:` line says which: a rate limit, a refused key).
   * cause: the message without the task's title, when the adapter put it in: what is classified then (a task
   * titled "Reject an invalid API key" that failed for any reason is not an authentication failure).
   * pausedMidRun: the task run that failed was under way when the agent was paused and went on after the
   * resume; what it failed on may be what the person fixed before continuing (a login, a full disk).
   */
  | { type: 'error'; message: string; errorClass?: string; fallbackClass?: string; cause?: string; pausedMidRun?: boolean }
  | { type: 'vote'; topic: string; choice: string }
  /** Any other line: the agent's own output, kept in its log. */
  | { type: 'output'; line: string }
  /** A step of the agent's own loop began (selfware's `📝 Step N`). */
  | { type: 'step'; step: number }
  /** The agent's own session or thread id, kept so the task can be resumed natively. */
  | { type: 'session'; id: string }
  /** The agent retries a model call by itself (Claude's system/api_retry); not a failure of the task. */
  | { type: 'retry'; message: string; attempt?: number; delay_ms?: number }
  /** A line that should have been the agent's format but could not be parsed; kept, counted, never fatal. */
  | { type: 'parse_failure'; line: string; reason: string }
  /** How one task run ended, as the agent itself reported it. */
  | { type: 'outcome'; outcome: TaskOutcome; detail?: string; cost_usd?: number; duration_ms?: number };

/** An error an agent reported, as the recovery takes it (AgentMessage's `error` above). */
export type AgentErrorReport = Omit<Extract<AgentMessage, { type: 'error' }>, 'type'>;

/** succeeded; failed (the agent said so); max_turns (a turn or iteration limit); interrupted (shutdown or killed). */
export type TaskOutcome = 'succeeded' | 'failed' | 'max_turns' | 'interrupted';

/**
 * Turns one agent's output, line by line, into messages. Parsers are pure
 * state machines: no I/O, no clocks; a line may complete a block begun
 * earlier (selfware's multi-line <tool> blocks), and end() flushes what a
 * stream cut mid-block leaves. A malformed line is a parse_failure message,
 * never an exception.
 */
export interface AgentStreamParser {
  line(text: string): AgentMessage[];
  end(): AgentMessage[];
}

export type AgentControl = 'checkpoint' | 'compress' | 'pause' | 'resume' | 'stop';

export interface PhaseAssignment {
  phase: string;
  /** The tasks this agent owns in this phase. */
  objectives: string[];
  /** Seconds the phase has left; agents pace themselves to it. */
  duration_seconds: number;
  /** Guidance for this step: why the last attempt failed and what to do differently. */
  note?: string;
}

export interface AgentLaunch {
  name: string;
  role: string;
  /** Index among the session's agents (0-based). */
  index: number;
  sessionDir: string;
  /** The agent's work dir: project/, or with [agents] isolation = "worktree" its own worktree (worktrees/<name>/). */
  projectDir: string;
  /** agents/<name>/: raw output and the agent's private home. */
  agentDir: string;
  model: string;
  seed: number;
  phase: string;
  /** Extra environment (MEGATEST_* are set by the adapter). */
  env?: Record<string, string>;
  /** State saved by a checkpoint, when resuming. */
  resume?: AgentResumeState;
  /** Set when the agent starts again because a restore (or a resume) put project/ back to a checkpoint. */
  restored?: RestoredCheckpoint;
  /**
   * Worktree isolation: resolves once megatest has taken (committed on the agent's branch) the work of every
   * task_done the agent said so far. An adapter that starts tasks itself starts the next only then, so the next
   * task's first files never go into the last one's merge.
   */
  workTaken?: () => Promise<void>;
  /** When output.log is rotated ([monitoring] log_rotate_mb, log_rotate_keep); the shipped defaults without it. */
  logRotation?: LogRotation;
}

/**
 * The checkpoint a restore put project/ back to, as an agent started after it
 * needs to know it: every change made to project/ after `taken_at` is gone.
 */
export interface RestoredCheckpoint {
  id: string;
  /** When the checkpoint was taken (ISO 8601, the checkpoint's own timestamp). */
  taken_at: string;
  /**
   * The agent may have worked after the checkpoint was taken (it was at work or paused mid-task
   * then, or the log has tool calls or tokens of it since, or the checkpoint does not say): the
   * native sessions the checkpoint recorded for it may hold work the restore undid.
   */
  worked_after: boolean;
}

/** What a checkpoint keeps so the adapter can resume the agent. */
export interface AgentResumeState {
  kind: AgentKind;
  name: string;
  role: string;
  model: string;
  phase: string;
  objectives: string[];
  completed: string[];
  context_tokens: number;
  /** Adapter-specific (e.g. a claude-code session id, a codex thread id). */
  native?: Record<string, unknown>;
}

export interface AgentExit {
  code: number | null;
  signal: string | null;
  /** What its last stderr lines say of the exit (stderrClue.ts), if they say anything. */
  stderrClue?: string;
}

export interface CommandOutcome {
  ok: boolean;
  /** Why the agent could not do it, when ok is false. */
  reason?: string;
  /** What it did, when ok is true and there is more to say than "done". */
  detail?: string;
}

/** A compression an adapter carried out itself, with the figures the compress event records. */
export interface CompressReport {
  tokensBefore: number;
  tokensAfter: number;
  /** How it was done, and which figure is an estimate (never usage). */
  detail: string;
}

/** The orchestrator's last test run, as an adapter may pass it on to its agent. */
export interface TestRunNote {
  passed: number;
  failed: number;
  /** Names of the failing tests (at most a few dozen). */
  failing: string[];
}

export interface AgentAdapter {
  readonly kind: AgentKind;
  readonly name: string;
  readonly role: string;
  readonly pid: number | undefined;
  /** What the agent can do when asked; announced on agent_started. */
  readonly capabilities: AgentCapabilities;
  /** How the adapter took the resume state it was launched with (done, or not supported and why); null when launched fresh. */
  readonly resumed: CommandOutcome | null;
  /** Starts the process; messages arrive through onMessage. */
  start(onMessage: (message: AgentMessage) => void, onExit: (exit: AgentExit) => void): Promise<void>;
  assign(assignment: PhaseAssignment): void;
  control(command: AgentControl): CommandOutcome;
  /**
   * Compresses the agent's context and says by how much, for adapters that
   * do it themselves (the harness restart on a summary). Without it,
   * control('compress') is all there is and the agent's next context report
   * is the "after".
   */
  compressContext?(): Promise<CompressReport>;
  /** The orchestrator's latest test run, for the summary a harness compression restarts the agent on. */
  observeTestRun?(run: TestRunNote): void;
  /** State for a checkpoint. */
  resumeState(): AgentResumeState;
  /** Ends the process: stop command, then SIGTERM, then SIGKILL. */
  stop(graceMs?: number): Promise<AgentExit>;
}
