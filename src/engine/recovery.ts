// Recovery (DESIGN §8): an agent's error is classified, an action is
// chosen for it (the recovery table's sequences), carried out, and counted
// against max_recovery_attempts and max_consecutive_errors; past them the
// session pauses for a person. A recovery succeeds when the agent makes
// progress again, and fails when the error comes back first.

import path from 'node:path';
import type { RecoveryAction } from '../config/types.js';
import { assertNever } from '../contract/assertNever.js';
import type { AgentPool, AgentSlot } from './agentPool.js';
import type { CheckpointKeeper } from './checkpointKeeper.js';
import { backoffSeconds, classifyError, type Classification } from './classify.js';
import type { EngineContext } from './context.js';
import { keepAttempt } from './attempts.js';

export interface RecoveryHooks {
  /** Pauses the session for a person, with an alert saying why. */
  pauseForPerson(why: string): Promise<void>;
  /** Compresses one agent's context (natively, or by a restart on a summary). */
  compress(slot: AgentSlot, why: 'recovery'): Promise<unknown>;
}

type Outcome = 'started' | 'succeeded' | 'failed' | 'gave_up';

export class Recovery {
  /** Errors across the session since any agent last made progress. */
  private errorsInARow = 0;

  constructor(
    private readonly ctx: EngineContext,
    private readonly pool: AgentPool,
    private readonly keeper: CheckpointKeeper,
    private readonly hooks: RecoveryHooks,
  ) {}

  /** A person said continue: the counts start again. */
  reset(): void {
    this.errorsInARow = 0;
    for (const slot of this.pool.slots) slot.attempts.clear();
  }

  onProgress(slot: AgentSlot): void {
    this.errorsInARow = 0;
    if (slot.pendingRecovery) {
      const { action, attempt, class: errorClass } = slot.pendingRecovery;
      slot.pendingRecovery = null;
      slot.attempts.delete(errorClass);
      this.ctx.emit({ type: 'recovery', action, attempt, outcome: 'succeeded', agent: slot.name, detail: `${slot.name} made progress after ${errorClass}` });
    }
  }

  async onAgentError(slot: AgentSlot, message: string): Promise<void> {
    await this.handle(slot, classifyError(message, this.ctx.config.error_handling.rules), message);
  }

  async handle(slot: AgentSlot, c: Classification, message: string): Promise<void> {
    const { ctx } = this;
    if (ctx.stopRequest) return;
    ctx.emit({ type: 'error', class: c.class, severity: c.severity, agent: slot.name, message });
    ctx.log.error(slot.name, `${c.class} (${c.severity}, ${c.matched}): ${message}`);
    const limits = ctx.config.error_handling;
    this.errorsInARow += 1;
    const attempt = (slot.attempts.get(c.class) ?? 0) + 1;
    slot.attempts.set(c.class, attempt);
    if (slot.pendingRecovery) {
      const pending = slot.pendingRecovery;
      ctx.emit({ type: 'recovery', action: pending.action, attempt: pending.attempt, outcome: 'failed', agent: slot.name, detail: `${c.class} again before progress` });
      slot.pendingRecovery = null;
    }
    if (attempt > limits.max_recovery_attempts || this.errorsInARow > limits.max_consecutive_errors) {
      const why =
        attempt > limits.max_recovery_attempts
          ? `${slot.name}: ${c.class} persisted through ${limits.max_recovery_attempts} recovery attempts (error_handling.max_recovery_attempts)`
          : `${this.errorsInARow} errors in a row (error_handling.max_consecutive_errors)`;
      ctx.emit({ type: 'recovery', action: 'pause_and_alert', attempt, outcome: 'gave_up', agent: slot.name, detail: why });
      await this.hooks.pauseForPerson(`recovery gave up: ${why}`);
      return;
    }
    await this.carryOut(slot, c, chooseAction(c, attempt), attempt, message);
  }

  private async carryOut(slot: AgentSlot, c: Classification, action: RecoveryAction, attempt: number, message: string): Promise<void> {
    const { ctx, pool } = this;
    const record = (outcome: Outcome, detail: string) => ctx.emit({ type: 'recovery', action, attempt, outcome, agent: slot.name, detail });
    const expectProgress = () => {
      slot.pendingRecovery = { class: c.class, action, attempt };
    };
    switch (action) {
      case 'retry_immediate':
        record('started', `${c.class}: retry ${attempt}`);
        this.keepArtifacts(slot, c, attempt, message);
        slot.adapter?.control('resume');
        expectProgress();
        break;
      case 'retry_with_backoff': {
        const cfg = ctx.config.error_handling;
        const delay = backoffSeconds(cfg.backoff_strategy, attempt, cfg.backoff_initial_seconds, cfg.backoff_max_seconds);
        record('started', `${c.class}: waiting ${delay} s (${cfg.backoff_strategy} backoff) before retry ${attempt}`);
        this.keepArtifacts(slot, c, attempt, message);
        slot.adapter?.control('pause');
        slot.throttledUntilMs = Date.now() + delay * 1000;
        setTimeout(() => {
          if (slot.throttledUntilMs <= Date.now() && ctx.status !== 'paused') slot.adapter?.control('resume');
        }, delay * 1000).unref();
        expectProgress();
        break;
      }
      case 'retry_with_modification':
        record('started', `${c.class}: re-sending the remaining task(s) with a note on what went wrong`);
        this.keepArtifacts(slot, c, attempt, message);
        pool.assignRemaining(
          slot,
          `Your last step failed (${c.class}: ${message.slice(0, 200)}). Answer with one valid JSON tool call per line and do not repeat the output that failed.`,
        );
        expectProgress();
        break;
      case 'switch_model': {
        const before = pool.modelOf(slot);
        slot.modelIndex += 1;
        const after = pool.modelOf(slot);
        record('started', `${c.class}: switching model ${before} -> ${after}`);
        this.keepArtifacts(slot, c, attempt, message);
        await pool.restart(slot, `model ${before} -> ${after}`);
        expectProgress();
        break;
      }
      case 'compress_and_retry':
        record('started', `${c.class}: compressing context`);
        await this.hooks.compress(slot, 'recovery');
        expectProgress();
        break;
      case 'pause_and_alert':
      case 'escalate':
        record('started', `${c.class}: pausing the session for a person`);
        await this.hooks.pauseForPerson(`${c.class} on ${slot.name}: ${message}`);
        break;
      case 'restore_checkpoint':
        record('started', `${c.class}: restoring the last checkpoint and restarting the agents`);
        this.keepArtifacts(slot, c, attempt, message);
        if ((await ctx.store.list()).length === 0) {
          await pool.restart(slot, `${c.class}, no checkpoint yet`);
        } else {
          try {
            await this.keeper.restore(undefined, `recovery from ${c.class} on ${slot.name}`, true);
          } catch (error) {
            record('failed', `restore failed: ${(error as Error).message}`);
            await pool.restart(slot, `${c.class}, restore failed`);
          }
        }
        expectProgress();
        break;
      case 'log_and_continue':
        record('succeeded', `${c.class}: logged, the run continues`);
        slot.attempts.delete(c.class);
        break;
      case 'stop':
        record('started', `${c.class}: stopping the session`);
        ctx.requestStop({ status: 'failed', reason: `${c.class}: ${message}`, exitCode: 1 });
        break;
      default:
        assertNever(action, 'recovery action');
    }
  }

  /** Keeps what the failed attempt left: the agent's output and the project diff. */
  private keepArtifacts(slot: AgentSlot, c: Classification, attempt: number, message: string): void {
    const { paths } = this.ctx;
    const dir = path.join(paths.agents, slot.name, 'attempts', `${Date.now()}-${c.class}-${attempt}`);
    keepAttempt(dir, path.join(paths.agents, slot.name), paths.project, message).catch((e: Error) =>
      this.ctx.log.warn('recovery', `could not keep attempt artifacts: ${e.message}`),
    );
  }
}

/**
 * The recovery table's sequences (DESIGN §8) for the classes' default
 * actions: a network timeout is retried 3 times, then backed off; a rate
 * limit or LLM error waits once, then moves to the next model. A rule that
 * names another action is carried out as written.
 */
export function chooseAction(c: Classification, attempt: number): RecoveryAction {
  if (c.class === 'network_timeout' && c.action === 'retry_with_backoff') return attempt <= 3 ? 'retry_immediate' : 'retry_with_backoff';
  if ((c.class === 'rate_limit' || c.class === 'llm_error') && (c.action === 'switch_model' || c.action === 'retry_with_backoff')) {
    return attempt === 1 ? 'retry_with_backoff' : 'switch_model';
  }
  return c.action;
}
