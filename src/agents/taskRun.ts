// One run of a task by a CLI agent, as the adapter follows it: what it said
// so far (its session, its model, its outcome) and why megatest ended it, if
// it did. Its messages pass through here on their way to the pool: tokens get
// the model the stream named (or the one megatest asked for), the outcome's
// cost becomes a cost-only tokens message, and a process that lingers after
// its outcome is ended.

import type { NativeSessions } from './nativeSessions.js';
import type { TaskProcess } from './taskProcess.js';
import type { AgentMessage } from './types.js';
import { assertNever } from '../contract/assertNever.js';

export type TaskEndedBy = 'stop' | 'compress' | 'reassign' | 'outcome' | null;

export interface TaskRunHooks {
  emit(message: AgentMessage): void;
  sessions: NativeSessions;
  /** The agent's own context report. */
  onContext(tokens: number): void;
  /** The input tokens of a model call: its context then. */
  onPromptTokens(tokens: number): void;
  /** How long a process may linger after its outcome, and the grace of its SIGTERM. */
  outcomeExitGraceMs: number;
  terminateGraceMs: number;
  /** The session id the run saved without printing it (CliAgentSpec.savedSessionLookup); absent when the agent prints it. */
  findSavedSession?: () => string | null;
}

export class TaskRun {
  process: TaskProcess | null = null;
  /** The first outcome the agent reported. */
  outcome: Extract<AgentMessage, { type: 'outcome' }> | null = null;
  /** Why megatest ended it, when it did. */
  endedBy: TaskEndedBy = null;
  /** The summary a harness compression restarts it on. */
  summary: string | undefined;
  /** Under way when the agent was paused, and resumed: a failure it ends in may predate the person's fix. */
  pausedMidRun = false;
  private outcomeTimer: NodeJS.Timeout | undefined;
  /** The run's native session id, once it said or saved one. */
  private sessionId: string | null = null;

  constructor(
    readonly objective: string,
    /** The model the stream named last, else the one megatest asked for. */
    private model: string,
    private readonly hooks: TaskRunHooks,
  ) {}

  take(message: AgentMessage): void {
    const { hooks } = this;
    switch (message.type) {
      case 'session':
        this.sessionId = message.id;
        hooks.sessions.attach(this.objective, message.id);
        break;
      case 'step':
        // A step is saved as it ends: look for the run's saved session until it is found.
        this.lookForSavedSession();
        break;
      case 'tokens': {
        this.model = message.model || this.model;
        hooks.sessions.count(this.objective, message.input, message.output);
        if (message.input > 0) hooks.onPromptTokens(message.input);
        hooks.emit({ ...message, model: this.model });
        return;
      }
      case 'context':
        hooks.onContext(message.tokens);
        break;
      case 'outcome':
        if (this.outcome === null) this.noteOutcome(message);
        break;
      case 'task_done':
        // Completion is the adapter's to say, from the run's outcome: a name the agent made up is not a task of the plan.
        return;
      // Handed on as they are.
      case 'tool_call':
      case 'state':
      case 'error':
      case 'vote':
      case 'output':
      case 'retry':
      case 'parse_failure':
        break;
      default:
        assertNever(message, 'agent message');
    }
    hooks.emit(message);
  }

  /** The run is over (its process ended): its saved session is final now. */
  ended(): void {
    if (this.outcomeTimer) clearTimeout(this.outcomeTimer);
    this.lookForSavedSession();
  }

  private lookForSavedSession(): void {
    if (this.sessionId !== null || !this.hooks.findSavedSession) return;
    const id = this.hooks.findSavedSession();
    // As if the agent had printed it: kept for a native resume, and passed on.
    if (id !== null) this.take({ type: 'session', id });
  }

  private noteOutcome(message: Extract<AgentMessage, { type: 'outcome' }>): void {
    this.outcome = message;
    const cost = message.cost_usd;
    if (cost !== undefined && Number.isFinite(cost) && cost >= 0) {
      this.hooks.emit({ type: 'tokens', input: 0, output: 0, model: this.model, cost_usd: cost });
    }
    // The run is over by the agent's own word; a process that lingers is made to go.
    this.outcomeTimer = setTimeout(() => {
      if (this.endedBy === null) this.endedBy = 'outcome';
      void this.process?.terminate(this.hooks.terminateGraceMs);
    }, this.hooks.outcomeExitGraceMs);
    this.outcomeTimer.unref();
  }
}
