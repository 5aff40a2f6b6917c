// The checkpoint keeper: when to take a checkpoint (time, tool calls,
// tokens, phase end, on demand, final), taking it, and putting the run back
// to one (restore while running, resume after a crash). A restore goes
// through one event, checkpoint_restored, which the fold turns into the
// checkpoint's phase, tasks and figures; the engine then reads its own
// fold like every other view. The restore itself is checkpointRestore.ts.

import type { CheckpointTrigger, MegatestEvent } from '../contract/events.js';
import { ControlError, type CheckpointSummary } from '../contract/control.js';
import type { SnapshotResult } from '../checkpoint/store.js';
import type { CheckpointBody } from '../checkpoint/types.js';
import type { AgentPool } from './agentPool.js';
import type { EngineContext } from './context.js';
import { countOf } from '../state/groupDigits.js';
import { headCommit } from './git.js';
import { CheckpointSuspension } from './checkpointSuspension.js';
import type { Measurer } from './measurer.js';
import { summaryOf } from './checkpointSummary.js';
import { UnnamedItems } from './unnamedItems.js';
import { CheckpointRestore } from './checkpointRestore.js';
import type { WorktreeHead } from './worktrees.js';

/** Worktree isolation's part in checkpoints (isolation.ts). */
export interface WorktreeCheckpoints {
  record(trigger: CheckpointTrigger): Promise<WorktreeHead[]>;
  restore(id: string, gitCommit: string | null, heads: WorktreeHead[] | undefined): Promise<void>;
}

/** How long after a failed checkpoint the next is tried. */
const CHECKPOINT_RETRY_MS = 60_000;

export class CheckpointKeeper {
  lastCheckpoint: CheckpointSummary | null = null;
  invalidCheckpoints = 0;
  /** Checkpoints suspended while the disk limits are exceeded (Limits.checkDisk suspends and lifts). */
  readonly suspension: CheckpointSuspension;
  private lastCheckpointScheduleMs = 0;
  private toolCallsAtCheckpoint = 0;
  private tokensAtCheckpoint = 0;
  private readonly unnamedItems = new UnnamedItems();
  /** Putting the run back to a checkpoint (checkpointRestore.ts). */
  private readonly restorer: CheckpointRestore;

  constructor(
    private readonly ctx: EngineContext,
    private readonly pool: AgentPool,
    private readonly measurer: Measurer,
    private readonly worktrees: WorktreeCheckpoints | null = null,
  ) {
    this.suspension = new CheckpointSuspension(ctx);
    this.restorer = new CheckpointRestore(ctx, pool, measurer, worktrees, {
      countInvalid: () => (this.invalidCheckpoints += 1),
      markInvalid: (id) => this.markInvalid(id),
      countFromNow: () => this.countFromNow(),
    });
  }

  /** After a failed checkpoint, none is tried before this (ms since the epoch). */
  private retryAfterMs = 0;

  async checkTriggers(): Promise<void> {
    const { config, state } = this.ctx;
    if (!config.checkpoint.enabled || Date.now() < this.retryAfterMs) return;
    const cfg = config.checkpoint;
    const schedule = this.ctx.scheduleMs();
    const trigger: CheckpointTrigger | null =
      cfg.interval_minutes > 0 && schedule - this.lastCheckpointScheduleMs >= cfg.interval_minutes * 60_000
        ? 'time'
        : cfg.tool_call_threshold > 0 && state.counters.toolCalls - this.toolCallsAtCheckpoint >= cfg.tool_call_threshold
          ? 'tool_calls'
          : cfg.token_threshold > 0 && state.counters.totalTokens - this.tokensAtCheckpoint >= cfg.token_threshold
            ? 'tokens'
            : null;
    if (trigger === null) return;
    if (this.suspension.active) {
      // Counted as if taken, so that the next is due an interval (or a threshold) later: a count of what was missed, not a skip a tick.
      this.lastCheckpointScheduleMs = schedule;
      this.toolCallsAtCheckpoint = state.counters.toolCalls;
      this.tokensAtCheckpoint = state.counters.totalTokens;
      this.suspension.skip(trigger);
      return;
    }
    try {
      await this.create(trigger);
    } catch (error) {
      // Not tried again at every tick: on a full disk that made a failed checkpoint (and its alert) a second.
      this.retryAfterMs = Date.now() + CHECKPOINT_RETRY_MS;
      throw error;
    }
  }

  /** The checkpoint's body: the snapshot's manifest, and the run's state as it stands now. */
  private async bodyOf(snapshot: SnapshotResult, trigger: CheckpointTrigger, lastSeq: number, worktrees: WorktreeHead[] | undefined): Promise<Omit<CheckpointBody, 'id'>> {
    const state = this.ctx.state;
    const phaseView = state.phases[this.ctx.phaseIndex];
    const lastTestRun = this.measurer.lastTestRun;
    return {
      timestamp: new Date().toISOString(),
      session_id: this.ctx.info.session_id,
      phase: this.ctx.currentPhase.name,
      phase_index: this.ctx.phaseIndex,
      trigger,
      last_event_seq: lastSeq,
      // The schedule's position: a restore puts the schedule back here (elapsed time does not go back).
      elapsed_seconds: this.ctx.scheduleMs() / 1000,
      agent_states: this.pool.slots.map((slot) => this.pool.resumeState(slot)),
      working_memory: {
        phase_start_seconds: phaseView?.startedAtSeconds ?? 0,
        phase_budget_seconds: phaseView?.durationSeconds ?? 0,
        completed_tasks: [...this.ctx.completedTasks()],
        objectives: Object.fromEntries(this.pool.slots.map((s) => [s.name, s.objectives])),
        model_index: Object.fromEntries(this.pool.slots.map((s) => [s.name, s.modelIndex])),
        last_build_ok: state.measured.lastBuildOk,
        // A restore to a phase-end checkpoint goes on with the next phase instead of ending this one again.
        phase_ended: state.phaseEnded,
      },
      file_system_state: { root: 'project', excluded: snapshot.excluded, entries: snapshot.entries },
      test_results: lastTestRun ? { summary: lastTestRun.summary, coverage: lastTestRun.coverage, source: lastTestRun.source } : null,
      metrics: this.measurer.snapshot(),
      git_commit: await headCommit(this.ctx.paths.project),
      ...(worktrees === undefined ? {} : { worktrees }),
    };
  }

  async create(trigger: CheckpointTrigger): Promise<MegatestEvent | null> {
    const { ctx } = this;
    if (this.suspension.active && trigger !== 'final') {
      // Over the disk limit a checkpoint could be cut short by a full disk.
      if (trigger === 'forced') throw new ControlError('checkpoints are suspended while the disk limit is exceeded (see the alert)', 409);
      this.suspension.skip(trigger);
      return null;
    }
    const started = Date.now();
    this.pool.control('checkpoint');
    // Every event up to last_event_seq is on disk before the checkpoint names
    // it, so a kill -9 right after cannot leave the log behind the checkpoint.
    ctx.events.flush();
    const lastSeq = ctx.events.lastSeq;
    const worktrees = this.worktrees ? await this.worktrees.record(trigger) : undefined;
    // The body is made from the snapshot inside the store's checkpoint, which flushes the new blobs once, with the file.
    // A person's pause, continue or stop is answered meanwhile (controlSurface.ts): the walk takes seconds in a big project.
    const { snapshot, body, written } = await ctx.queue.letCommandsIn(() =>
      ctx.store.checkpoint(ctx.paths.project, (taken) => this.bodyOf(taken, trigger, lastSeq, worktrees)),
    );
    this.countFromNow();
    const ms = Date.now() - started;
    const passRate = ctx.state.measured.testPassRate;
    // The measurer's count, not the fold's: a phase gate counts just before its checkpoint, and the fold sees only snapshots.
    const loc = this.measurer.linesOfCode;
    this.lastCheckpoint = {
      id: written.id,
      timestamp: body.timestamp,
      phase: body.phase,
      trigger,
      files: snapshot.files,
      bytes: snapshot.bytes,
      lines_of_code: loc,
      test_pass_rate: passRate,
      valid: true,
    };
    const event = ctx.emit({
      type: 'checkpoint_created',
      id: written.id,
      trigger,
      files: snapshot.files,
      bytes: snapshot.bytes,
      ms,
      phase: body.phase,
      lines_of_code: loc ?? undefined,
      test_pass_rate: passRate,
    });
    ctx.log.info('checkpoint', `${written.id} (${trigger}): ${countOf(snapshot.files, 'file')}, ${countOf(snapshot.bytes, 'byte')}, ${countOf(snapshot.newBlobs, 'new blob')}, ${ms} ms`);
    if (snapshot.rewrittenBlobs > 0) ctx.log.warn('checkpoint', `${written.id}: ${countOf(snapshot.rewrittenBlobs, 'stored blob')} failed their size check and were written again`);
    const unnamed = this.unnamedItems.said(written.id, snapshot.unnamed);
    if (unnamed) ctx.log.warn('checkpoint', unnamed.line);
    if (unnamed?.alert) ctx.emit({ type: 'alert', level: 'warning', message: unnamed.alert, checkpoint: written.id });
    ctx.events.flush();
    return event;
  }

  /**
   * As a person's restore begins: the work since the last checkpoint kept as
   * a checkpoint of its own (trigger before_restore), so a restore chosen by
   * mistake (`r`, then the wrong line) is undone by restoring that one. Not
   * kept (checkpoints suspended over the disk limit, the disk refused it):
   * said, and the restore goes on, as the person asked.
   */
  async keepBeforeRestore(target: string): Promise<void> {
    const { ctx } = this;
    try {
      const kept = await this.create('before_restore');
      if (kept?.type === 'checkpoint_created') ctx.log.info('checkpoint', `${kept.id} keeps the work before the restore to ${target}: restoring ${kept.id} undoes it`);
      else ctx.log.warn('checkpoint', `the work since the last checkpoint is not kept before the restore to ${target}: checkpoints are suspended`);
    } catch (error) {
      const message = (error as Error).message;
      ctx.log.warn('checkpoint', `the work since the last checkpoint could not be kept before the restore to ${target}: ${message}`);
      ctx.emit({ type: 'alert', level: 'warning', message: `the work since the last checkpoint could not be kept before the restore to ${target} (${message}); the restore goes on` });
    }
  }

  /** Puts project/ and the run back to a checkpoint (CheckpointRestore.restore says how). */
  restore(
    id: string | undefined,
    reason: string,
    fallBack: boolean,
    announce?: () => void,
    agents: 'running' | 'not started yet' = 'running',
    beforePutBack?: () => Promise<void>,
  ): Promise<MegatestEvent> {
    return this.restorer.restore(id, reason, fallBack, announce, agents, beforePutBack);
  }

  /**
   * `megatest resume`: the named or newest valid checkpoint; false when there
   * is none to go back to. `announce` records the resume: right before the
   * restore's own event, or at once when there is nothing to restore.
   */
  async resumeFrom(id: string | undefined, announce: () => void): Promise<boolean> {
    const { ctx } = this;
    const checkpoints = await ctx.store.ids();
    await this.removeUnnamedBlobsLeft();
    // The newest checkpoint the log recorded (only a new one set it): `status` said "checkpoint none yet" of a run just resumed from one.
    const newest = ctx.state.checkpoints.at(-1);
    if (this.lastCheckpoint === null && newest !== undefined && checkpoints.includes(newest.id)) this.lastCheckpoint = summaryOf(newest);
    if (checkpoints.length === 0) {
      announce();
      ctx.log.warn('orchestrator', 'no checkpoint to resume from: the current phase starts again on the current project/');
      return false;
    }
    let announced = false;
    const once = () => {
      if (!announced) announce();
      announced = true;
    };
    try {
      await this.restore(id, id ? `megatest resume --checkpoint ${id}` : 'megatest resume', id === undefined, once, 'not started yet');
      return true;
    } catch (error) {
      once();
      if (id !== undefined || !(error instanceof ControlError)) throw error;
      // A restore that failed for its own reason (a full disk) says so: "no valid checkpoint" sent people to check 35 good ones.
      const why = error.status === 409 ? `resume found no valid checkpoint among ${checkpoints.length}` : `resume could not restore a checkpoint (${error.message})`;
      ctx.log.error('orchestrator', `${why}: the current phase starts again on the current project/`);
      ctx.emit({ type: 'alert', level: 'critical', message: `${why}; the current phase starts again on the current project/` });
      return false;
    }
  }

  /**
   * A resume follows a crash, which may have cut a checkpoint short after its
   * blobs were in objects/ and before its file named them: nothing else ever
   * removes those. It holds the run folder, and takes no checkpoint yet.
   */
  private async removeUnnamedBlobsLeft(): Promise<void> {
    const { ctx } = this;
    try {
      const left = await ctx.store.removeUnnamedBlobsLeft();
      if (left === null) ctx.log.warn('checkpoint', 'blobs no checkpoint names were not looked for: a checkpoint cannot be read whole (megatest checkpoints verify says which)');
      else if (left.removed > 0) ctx.log.info('checkpoint', `removed ${countOf(left.removed, 'blob')} (${countOf(left.bytes, 'byte')}) no checkpoint names: a checkpoint cut short by the crash left them`);
    } catch (error) {
      ctx.log.warn('checkpoint', `blobs no checkpoint names were not removed: ${(error as Error).message}`);
    }
  }

  /** Marks the summary of the newest checkpoint invalid (after it was altered on purpose). */
  markInvalid(id: string): void {
    if (this.lastCheckpoint?.id === id) this.lastCheckpoint = { ...this.lastCheckpoint, valid: false };
  }

  /** The checkpoint just taken or restored is where the next one's interval and thresholds count from. */
  private countFromNow(): void {
    this.lastCheckpointScheduleMs = this.ctx.scheduleMs();
    this.toolCallsAtCheckpoint = this.ctx.state.counters.toolCalls;
    this.tokensAtCheckpoint = this.ctx.state.counters.totalTokens;
  }
}
