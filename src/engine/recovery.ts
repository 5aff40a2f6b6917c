// Recovery (DESIGN §8): an agent's error is classified, an action is
// chosen for it (the recovery table's sequences), carried out, and counted
// against max_recovery_attempts and max_consecutive_errors; past them the
// session pauses for a person. A recovery succeeds when the agent makes
// progress again, and fails when the error comes back first. A merge
// conflict (worktree isolation) is settled by the merge itself: resolved
// when the agent's branch lands on main, reassigned when the task does.
// This file decides and counts; recoveryActions.ts carries out the action.
//
// Every recovery that starts ends with an outcome: a pause for a person
// succeeds when the session is continued, and whatever is still open when
// the session ends (or was open when a killed orchestrator stopped) is
// recorded failed then. Failures seen before a restore that has since put
// every agent back (all agents crashing at once) are covered by that one
// restore: they are recorded as errors, not recovered again.

import type { AgentErrorReport } from '../agents/types.js';
import type { AgentPool, AgentSlot } from './agentPool.js';
import type { CheckpointKeeper } from './checkpointKeeper.js';
import { MERGE_CONFLICT, MERGE_FAILED, MODEL_UNAVAILABLE_CLASS, type Classification } from './classify.js';
import { chooseAction, classifyAgentError, holdsTheAgent } from './recoveryChoice.js';
import type { EngineContext } from './context.js';
import type { OpenRecovery } from '../state/runState.js';
import type { PauseEnd } from './controlSurface.js';
import { capEventText } from '../contract/textCap.js';
import { formatDuration } from '../config/duration.js';
import { utcMinute } from './limitLifts.js';
import type { CommandSource } from '../contract/statuses.js';
import { RecoveryActions, type Outcome, type Reassigned } from './recoveryActions.js';

export interface RecoveryHooks {
  /** Pauses the session for a person, with an alert saying why (the disk guard lifts a refused write's by itself). */
  pauseForPerson(why: string, until?: PauseEnd): Promise<void>;
  /** Compresses one agent's context (natively, or by a restart on a summary). */
  compress(slot: AgentSlot, why: 'recovery'): Promise<unknown>;
  /** Merge conflicts in hand (worktree isolation; absent when agents share project/). */
  conflicts?: ConflictHandling;
}

export interface ConflictHandling {
  /** Leaves the conflict in the agent's worktree; the note for its phase command (null: main no longer conflicts). */
  handOver(slot: AgentSlot): Promise<{ files: string[]; note: string | null } | null>;
  /** Gives the conflicting tasks to another agent and starts the agent's branch again from main. */
  reassign(slot: AgentSlot): Promise<{ target: string; tasks: string[]; detail: string } | null>;
  /** A person continued: the merges whose retries were spent (merge_failed) are tried again. */
  retryFailedMerges(): void;
}

// Defined beside the wait it pads (recoveryActions.ts); exported here too, where the recovery's callers import it.
export { LIFT_MARGIN_SECONDS } from './recoveryActions.js';


/** Recoveries that wait for a person: they end when the session is continued. */
const PAUSE_ACTIONS: ReadonlySet<string> = new Set(['pause_and_alert', 'escalate']);

export class Recovery {
  /** Errors across the session since any agent last made progress. */
  private errorsInARow = 0;
  /** Tasks reassigned after a merge conflict, each with its reassignment (one recovery for all its tasks). */
  private readonly reassigned = new Map<string, Reassigned>();
  /** What carries out the action chosen for an error (recoveryActions.ts). */
  private readonly actions: RecoveryActions;

  constructor(
    private readonly ctx: EngineContext,
    private readonly pool: AgentPool,
    keeper: CheckpointKeeper,
    private readonly hooks: RecoveryHooks,
  ) {
    this.actions = new RecoveryActions(ctx, pool, keeper, hooks, this.reassigned);
  }

  /** A person (or the disk guard) said continue: the counts start again, and the pauses for a person end. */
  reset(source: CommandSource = 'api'): void {
    this.errorsInARow = 0;
    for (const slot of this.pool.slots) slot.attempts.clear();
    // What the person fixed (a worktree an agent broke) is what a merge_failed pause waited for.
    this.hooks.conflicts?.retryFailedMerges();
    this.endOpen((open) => (PAUSE_ACTIONS.has(open.action) ? { outcome: 'succeeded', detail: `the session was continued (${source})` } : null));
  }

  /**
   * The session ends (or a resumed one finds recoveries its killed
   * orchestrator left open): every recovery still open is recorded failed,
   * saying why it never ended.
   */
  endAllOpen(why: string): void {
    for (const slot of this.pool.slots) slot.pendingRecovery = null;
    this.endOpen((open) =>
      PAUSE_ACTIONS.has(open.action)
        ? { outcome: 'gave_up', detail: `${why} while paused for a person` }
        : { outcome: 'failed', detail: `${why} before ${open.agent ?? 'the session'} made progress` },
    );
  }

  /** Ends the open recoveries (the fold's list) that `decide` gives an outcome. */
  private endOpen(decide: (open: OpenRecovery) => { outcome: Outcome; detail: string } | null): void {
    for (const open of [...this.ctx.state.openRecoveries]) {
      const end = decide(open);
      if (end === null) continue;
      const slot = open.agent === null ? undefined : this.pool.find(open.agent);
      if (slot?.pendingRecovery?.action === open.action && slot.pendingRecovery.attempt === open.attempt) slot.pendingRecovery = null;
      this.ctx.emit({ type: 'recovery', action: open.action, attempt: open.attempt, outcome: end.outcome, ...(open.agent ? { agent: open.agent } : {}), detail: end.detail });
    }
  }

  /**
   * The agent made progress: a step (a tool call that succeeded, a model
   * call that returned) or a finished task. The recovery in wait succeeds at
   * either, and its class's attempts start again, except after a restore:
   * those are counted until the agent finishes a task. An agent that crashed
   * after each first step restored the checkpoint for ever, attempt 1 every
   * time, rolling back every agent's work with it, and never reached
   * max_recovery_attempts (seen with a command agent that crashed on its
   * tasks: ten restores in 21 s).
   */
  onProgress(slot: AgentSlot, progress: 'step' | 'task done' = 'step'): void {
    this.errorsInARow = 0;
    // A conflict handed to the agent is resolved when its branch merges, not at its next tool call.
    if (slot.pendingRecovery && slot.pendingRecovery.class !== MERGE_CONFLICT.class) {
      const { action, attempt, class: errorClass } = slot.pendingRecovery;
      slot.pendingRecovery = null;
      if (action !== 'restore_checkpoint') slot.attempts.delete(errorClass);
      this.ctx.emit({ type: 'recovery', action, attempt, outcome: 'succeeded', agent: slot.name, detail: `${slot.name} made progress after ${errorClass}` });
    }
    if (progress === 'task done') {
      // Lasting progress: what a restore's attempts wait for (a conflict's are settled by its merge).
      for (const errorClass of [...slot.attempts.keys()]) if (errorClass !== MERGE_CONFLICT.class) slot.attempts.delete(errorClass);
    }
  }

  /** An error the agent reported: classified (classifyAgentError) and recovered from. */
  async onAgentError(slot: AgentSlot, error: AgentErrorReport): Promise<void> {
    await this.handle(slot, classifyAgentError(error, this.ctx.config.error_handling.rules), error.message, undefined, error.pausedMidRun === true);
  }

  /**
   * Called as the agent reports its error, before the handling queued behind
   * the engine's other work: an error whose recovery holds the agent (a wait,
   * another model, a person) holds it now. A CLI agent starts its next task
   * the moment one fails; under a rate limit that run met the same limit (or
   * was frozen mid-request by the wait), and its failure counted as the
   * wait's, so the agent moved to the next model after one wait of seconds.
   */
  holdAtError(slot: AgentSlot, error: AgentErrorReport): void {
    if (this.ctx.stopRequest || this.ctx.status === 'paused' || !slot.adapter) return;
    const c = classifyAgentError(error, this.ctx.config.error_handling.rules);
    if (holdsTheAgent(c, (slot.attempts.get(c.class) ?? 0) + 1)) slot.adapter.control('pause');
  }

  /** The merger could not merge the agent's branch into main. */
  async onMergeConflict(slot: AgentSlot, message: string): Promise<void> {
    await this.handle(slot, { ...MERGE_CONFLICT, matched: 'merger' }, message);
  }

  /** The merger could not merge the agent's branch for another reason than a conflict, its retries spent. */
  async onMergeFailed(slot: AgentSlot, message: string): Promise<void> {
    await this.handle(slot, { ...MERGE_FAILED, matched: 'merger' }, message);
  }

  /** The agent's branch is on main with these tasks: a conflict it was resolving, or a task reassigned to it, is settled. */
  mergeLanded(slot: AgentSlot, tasks: string[]): void {
    const pending = slot.pendingRecovery;
    if (pending?.class === MERGE_CONFLICT.class) {
      slot.pendingRecovery = null;
      slot.attempts.delete(pending.class);
      this.ctx.emit({ type: 'recovery', action: pending.action, attempt: pending.attempt, outcome: 'succeeded', agent: slot.name, detail: `${slot.name}'s branch merged into main` });
    }
    for (const task of tasks) {
      const from = this.reassigned.get(task);
      if (!from) continue;
      this.reassigned.delete(task);
      from.waiting.delete(task);
      // One reassignment is one recovery: it succeeds once all its tasks are on main (one event, not one per task).
      if (from.waiting.size > 0) continue;
      const label = from.tasks.map((t) => JSON.stringify(t)).join(', ');
      this.ctx.emit({ type: 'recovery', action: 'reassign', attempt: from.attempt, outcome: 'succeeded', agent: from.agent, detail: `${label} merged into main by ${slot.name}` });
    }
  }

  /**
   * seenAtGeneration: ctx.restoreGeneration when the failure was seen (a
   * crash, a hang). A restore since then has already put every agent back:
   * the failure is recorded, and covered by that restore. pausedMidRun: the
   * failed task run was under way at a pause and failed after the continue
   * (the adapter's word), so it may predate the person's fix.
   */
  async handle(slot: AgentSlot, c: Classification, said: string, seenAtGeneration?: number, pausedMidRun = false): Promise<void> {
    const { ctx } = this;
    if (ctx.stopRequest) return;
    const message = capEventText(said);
    // An error the agent said (or its adapter made of a run) that reads as a parse failure ("the model returned malformed
    // tool call JSON") is no line of the agent's that megatest could not read: count 0 keeps it off the protocol errors,
    // which the ParseFailureReporter's events count (the sim's parse fault showed "proto 2" for its one bad line).
    ctx.emit({ type: 'error', class: c.class, severity: c.severity, agent: slot.name, message, ...(c.class === 'parse_failure' ? { count: 0 } : {}) });
    ctx.log.error(slot.name, `${c.class} (${c.severity}, ${c.matched}): ${message}`);
    const limits = ctx.config.error_handling;
    // Only an error the agent fails on ends a recovery in wait: a report that
    // it is silent but working, or a failed test run, is logged and the run
    // goes on (a restarted agent starting slowly on a loaded machine is not
    // the crash coming back).
    if (slot.pendingRecovery && c.action !== 'log_and_continue') {
      const pending = slot.pendingRecovery;
      ctx.emit({ type: 'recovery', action: pending.action, attempt: pending.attempt, outcome: 'failed', agent: slot.name, detail: `${c.class} again before progress` });
      slot.pendingRecovery = null;
    }
    if (c.action === 'log_and_continue') {
      // Logged (its error event), and that is all: no recovery, so neither a recovery that "succeeded" (failing tests
      // counted as recoveries in the metrics and the report) nor an error in a row (three failed test runs paused the
      // session for a person with max_consecutive_errors = 2).
      return;
    }
    if (seenAtGeneration !== undefined && seenAtGeneration !== ctx.restoreGeneration && c.action === 'restore_checkpoint') {
      ctx.log.info('recovery', `${slot.name}'s ${c.class} came before the restore that has since put every agent back: that one recovery covers it`);
      return;
    }
    // A usage limit that says when it lifts is waited out, each agent as it meets it: a swarm of one account meets it all at once, which is no run of errors.
    const liftsAt = chooseAction(c, 1) === 'retry_with_backoff' ? c.limitLiftsAtMs : undefined;
    if (liftsAt === undefined) this.errorsInARow += 1;
    const attempt = (slot.attempts.get(c.class) ?? 0) + 1;
    slot.attempts.set(c.class, attempt);
    if (attempt > limits.max_recovery_attempts || this.errorsInARow > limits.max_consecutive_errors) {
      const why =
        attempt > limits.max_recovery_attempts
          ? `${slot.name}: ${c.class} persisted through ${limits.max_recovery_attempts} recovery attempts (checkpoint.max_recovery_attempts)`
          : `${this.errorsInARow} errors in a row (error_handling.max_consecutive_errors)`;
      ctx.emit({ type: 'recovery', action: 'pause_and_alert', attempt, outcome: 'gave_up', agent: slot.name, detail: why });
      await this.hooks.pauseForPerson(`recovery gave up: ${why}`);
      return;
    }
    if (liftsAt !== undefined && liftsAt - Date.now() > ctx.config.session.duration_seconds * 1000) {
      // While every agent waits the run's clock stops (limitHold.ts), so the run's end is no bound; a wait longer than a whole run (a weekly limit) is for a person to wait for or to change the account.
      const whole = formatDuration(ctx.config.session.duration_seconds);
      await this.actions.carryOut(slot, c, 'pause_and_alert', attempt, `${message} (the usage limit lifts at ${utcMinute(liftsAt)}, more than this run's whole duration (${whole}) from now)`);
      return;
    }
    const action = chooseAction(c, attempt, limits.max_recovery_attempts);
    if (action === 'switch_model' && !this.pool.hasNextModel(slot) && c.class === MODEL_UNAVAILABLE_CLASS) {
      // A model that does not exist does not come back by waiting: each wait only spent a recovery attempt (and the
      // agent's time) before the same refusal, max_recovery_attempts times. A person corrects [agents].models.
      await this.actions.carryOut(slot, c, 'pause_and_alert', attempt, `${message} (no model left after ${this.pool.modelOf(slot)} in [agents].models)`);
      return;
    }
    if (action === 'switch_model' && !this.pool.hasNextModel(slot)) {
      // The list is used up: going round again would return to a model just rate-limited. The agent waits on the
      // model it has, and max_recovery_attempts (then a person) bounds the waits.
      await this.actions.carryOut(slot, c, 'retry_with_backoff', attempt, message, `${c.class}: no model left after ${this.pool.modelOf(slot)} in [agents].models, so no switch`);
      return;
    }
    if (pausedMidRun && PAUSE_ACTIONS.has(action) && ctx.status !== 'paused') {
      // The run was frozen by a pause and failed after the continue: it may have
      // decided before the person's fix (a login checked, then stopped). Asking
      // again at once would pause a session the person has just continued; the
      // task runs again first, and a run begun since then that fails asks.
      await this.actions.carryOut(slot, c, 'retry_immediate', attempt, message, `${c.class}: its run was under way at the pause and failed after the continue; the task runs again before a person is asked again`);
      return;
    }
    await this.actions.carryOut(slot, c, action, attempt, message);
  }

  /** Resolves once every failed attempt's artifacts are written (or given up on): the session waits for this before it ends. */
  drain(): Promise<void> {
    return this.actions.drain();
  }
}
