// Carrying out a recovery action (DESIGN §8): the recovery (recovery.ts)
// decides which action an agent's error gets and counts it; this file does
// what the action says (a retry, a wait until a limit lifts, another model, a
// compression, a pause for a person, a restore, a merge conflict handed over
// or reassigned), records the recovery's `started` event, and keeps each
// failed attempt's artifacts beside it, waited for before the session ends.

import path from 'node:path';
import { assertNever } from '../contract/assertNever.js';
import type { AgentPool, AgentSlot } from './agentPool.js';
import type { CheckpointKeeper } from './checkpointKeeper.js';
import { backoffSeconds, DATA_CORRUPTION, type Classification, type EngineAction } from './classify.js';
import { backoffStep } from './recoveryChoice.js';
import type { EngineContext } from './context.js';
import { keepAttempt } from './attempts.js';
import type { PauseEnd } from './controlSurface.js';
import { diskRefusedWrite } from './diskGuard.js';
import { countOf } from '../state/groupDigits.js';
import { formatDuration } from '../config/duration.js';
import { utcMinute } from './limitLifts.js';
import type { RecoveryHooks } from './recovery.js';

export type Outcome = 'started' | 'succeeded' | 'failed' | 'gave_up';

/** A reassignment after a merge conflict: the agent and attempt it came from, its tasks, and those not on main yet. */
export interface Reassigned {
  agent: string;
  attempt: number;
  tasks: string[];
  waiting: Set<string>;
}

/** Seconds waited past the time a usage limit lifts. */
export const LIFT_MARGIN_SECONDS = 10;

export class RecoveryActions {
  /** Failed attempts' artifacts still being written: kept beside the recovery, not in its way, and waited for before the session ends. */
  private readonly keeping = new Set<Promise<void>>();

  /** reassigned: the recovery's tasks reassigned after a merge conflict, which a `reassign` adds to. */
  constructor(
    private readonly ctx: EngineContext,
    private readonly pool: AgentPool,
    private readonly keeper: CheckpointKeeper,
    private readonly hooks: RecoveryHooks,
    private readonly reassigned: Map<string, Reassigned>,
  ) {}

  /** startedDetail: what the recovery's `started` event says, where the action's usual words do not say why. */
  async carryOut(slot: AgentSlot, c: Classification, action: EngineAction, attempt: number, message: string, startedDetail?: string): Promise<void> {
    const { ctx, pool } = this;
    const record = (outcome: Outcome, detail: string) => ctx.emit({ type: 'recovery', action, attempt, outcome, agent: slot.name, detail });
    const expectProgress = () => {
      slot.pendingRecovery = { class: c.class, action, attempt };
    };
    switch (action) {
      case 'retry_immediate':
        record('started', startedDetail ?? `${c.class}: retry ${attempt}`);
        this.keepArtifacts(slot, c, attempt, message);
        // A paused session's agent tries again when the session continues (which resumes every agent), not before.
        if (ctx.status !== 'paused') slot.adapter?.control('resume');
        expectProgress();
        break;
      case 'retry_with_backoff': {
        const cfg = ctx.config.error_handling;
        const liftsAt = c.limitLiftsAtMs;
        // Until the limit lifts, and a little more: its time is given to the minute, or in seconds counted before the message came.
        const delay = liftsAt === undefined ? backoffSeconds(cfg.backoff_strategy, backoffStep(c, attempt), cfg.backoff_initial_seconds, cfg.backoff_max_seconds) : Math.max(0, Math.ceil((liftsAt - Date.now()) / 1000)) + LIFT_MARGIN_SECONDS;
        record(
          'started',
          liftsAt === undefined
            ? `${startedDetail ?? c.class}: waiting ${delay} s (${cfg.backoff_strategy} backoff) before retry ${attempt}`
            : `${startedDetail ?? c.class}: waiting ${formatDuration(delay)} for the usage limit to lift (${utcMinute(liftsAt)}) before retry ${attempt}`,
        );
        this.keepArtifacts(slot, c, attempt, message);
        slot.adapter?.control('pause');
        const until = Date.now() + delay * 1000;
        slot.throttledUntilMs = until;
        slot.usageLimitUntilMs = liftsAt === undefined ? 0 : until;
        // Not `until <= Date.now()`: a timer counts from the event loop's
        // cached time, so on a loaded machine it can fire a little before the
        // wall clock reaches `until`, and the agent would stay paused for ever.
        // Only a later wait (its own timer resumes) keeps this one from resuming.
        // The wait is marked over when the timer fires, so that a `continue`
        // of a session paused meanwhile resumes the agent whatever the clock says.
        setTimeout(() => {
          if (slot.throttledUntilMs !== until) return;
          slot.throttledUntilMs = 0;
          slot.usageLimitUntilMs = 0;
          if (ctx.status !== 'paused') slot.adapter?.control('resume');
        }, delay * 1000).unref();
        expectProgress();
        break;
      }
      case 'retry_with_modification':
        record('started', `${c.class}: re-sending ${countOf(pool.remainingOf(slot).length, 'remaining task')} with a note on what went wrong`);
        this.keepArtifacts(slot, c, attempt, message);
        pool.assignRemaining(
          slot,
          // Any kind of agent reads it: a CLI agent's run is not JSON tool calls, and was told to answer with them.
          `Your last step failed (${c.class}: ${message.slice(0, 200)}). Keep to the output format you were given (one valid JSON object per line, where that is your protocol) and do not repeat the output that failed.`,
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
        // ...and retry: a CLI agent's task that failed on the overflow was set aside until megatest says to try
        // again, and the session completed without it (20 of 21 tasks). Not while the session or the agent waits.
        if (ctx.status !== 'paused' && slot.throttledUntilMs <= Date.now()) slot.adapter?.control('resume');
        expectProgress();
        break;
      case 'pause_and_alert':
      case 'escalate': {
        record('started', `${c.class}: pausing the session for a person`);
        const until: PauseEnd = diskRefusedWrite(c.class, message) ? 'the disk takes writes' : 'a person continues';
        await this.hooks.pauseForPerson(`${c.class} on ${slot.name}: ${message}`, until);
        // In CI that pause is the session's end: no person will continue it.
        if (ctx.unattended && until === 'a person continues') record('gave_up', `${c.class}: no person to continue the session (CI is set); it stops`);
        break;
      }
      case 'restore_checkpoint':
        record('started', `${c.class}: restoring the last checkpoint and restarting the agents`);
        this.keepArtifacts(slot, c, attempt, message);
        if ((await ctx.store.ids()).length === 0) {
          await pool.restart(slot, `${c.class}, no checkpoint yet`);
        } else {
          try {
            await this.keeper.restore(undefined, `recovery from ${c.class} on ${slot.name}`, true);
          } catch (error) {
            // project/ is as it was and the keeper has started the agents again as they were (if it had stopped them).
            record('failed', `restore failed: ${(error as Error).message}`);
            if (!slot.adapter) await pool.restart(slot, `${c.class}, restore failed`);
            break;
          }
        }
        expectProgress();
        break;
      case 'log_and_continue':
        // handle() stops before: a logged error is no recovery (no event, not counted).
        break;
      case 'stop': {
        // Data corruption is stopped and restored (DESIGN §8): the run ends on its last checkpoint, not on what the
        // corruption left, which its final checkpoint and a resume of the failed run would otherwise carry on from.
        const restoreFirst = c.class === DATA_CORRUPTION && (await ctx.store.ids()).length > 0;
        record('started', restoreFirst ? `${c.class}: restoring the last checkpoint, then stopping the session` : `${c.class}: stopping the session`);
        if (restoreFirst) {
          // What the corruption left (the project diff) is kept before the restore puts project/ back.
          await this.keepArtifacts(slot, c, attempt, message);
          try {
            await this.keeper.restore(undefined, `recovery from ${c.class} on ${slot.name}`, true);
          } catch (error) {
            ctx.log.warn('recovery', `${c.class}: the last checkpoint could not be restored (${(error as Error).message}); the session stops on project/ as it is`);
          }
        }
        ctx.requestStop({ status: 'failed', reason: `${c.class}: ${message}`, exitCode: 1 });
        // Carried out: the session stops (status failed, the final checkpoint kept).
        record('succeeded', `${c.class}: the session stops`);
        break;
      }
      case 'resolve_conflict': {
        const handed = await this.hooks.conflicts?.handOver(slot);
        if (!handed) {
          record('failed', `${c.class}: no merge conflict of ${slot.name} in hand`);
          break;
        }
        if (handed.note === null) {
          record('started', `${c.class}: main no longer conflicts with ${slot.name}'s branch; merging it again`);
        } else {
          record('started', `${c.class}: handed to ${slot.name} to resolve in ${handed.files.join(', ')} (main merged into its branch, the markers left in its work dir)`);
          pool.assignRemaining(slot, handed.note);
        }
        this.keepArtifacts(slot, c, attempt, message);
        expectProgress();
        break;
      }
      case 'reassign': {
        const moved = await this.hooks.conflicts?.reassign(slot);
        if (!moved) {
          record('failed', `${c.class}: no merge conflict of ${slot.name} in hand`);
          break;
        }
        record('started', moved.detail);
        const reassignment: Reassigned = { agent: slot.name, attempt, tasks: moved.tasks, waiting: new Set(moved.tasks) };
        for (const task of moved.tasks) this.reassigned.set(task, reassignment);
        // A fresh branch from main: a later conflict starts its count again.
        slot.attempts.delete(c.class);
        break;
      }
      default:
        assertNever(action, 'recovery action');
    }
  }

  /** Keeps what the failed attempt left: the agent's output and the project diff. */
  private keepArtifacts(slot: AgentSlot, c: Classification, attempt: number, message: string): Promise<void> {
    const { paths } = this.ctx;
    const dir = path.join(paths.agents, slot.name, 'attempts', `${Date.now()}-${c.class}-${attempt}`);
    const keeping: Promise<void> = keepAttempt(dir, path.join(paths.agents, slot.name), this.pool.workDirOf(slot), message)
      .catch((e: Error) => this.ctx.log.warn('recovery', `could not keep attempt artifacts: ${e.message}`))
      .finally(() => this.keeping.delete(keeping));
    this.keeping.add(keeping);
    return keeping;
  }

  /** Resolves once every failed attempt's artifacts are written (or given up on): the session waits for this before it ends. */
  async drain(): Promise<void> {
    while (this.keeping.size > 0) await Promise.all([...this.keeping]);
  }
}
