// The checkpoint keeper: when to take a checkpoint (time, tool calls,
// tokens, phase end, on demand, final), taking it, and putting the run back
// to one (restore while running, resume after a crash). A restore goes
// through one event, checkpoint_restored, which the fold turns into the
// checkpoint's phase, tasks and figures; the engine then reads its own
// fold like every other view.

import type { CheckpointTrigger, MegatestEvent } from '../contract/events.js';
import { ControlError, type CheckpointSummary } from '../contract/control.js';
import { CheckpointInvalidError, type LoadedCheckpoint, type SnapshotResult } from '../checkpoint/store.js';
import type { CheckpointBody } from '../checkpoint/types.js';
import type { TestRunResult } from './projectGates.js';
import type { AgentPool } from './agentPool.js';
import type { EngineContext } from './context.js';
import { countOf } from '../state/groupDigits.js';
import { headCommit } from './git.js';
import { CheckpointSuspension } from './checkpointSuspension.js';
import type { Measurer } from './measurer.js';
import { summaryOf } from './checkpointSummary.js';
import { UnnamedItems } from './unnamedItems.js';
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

  constructor(
    private readonly ctx: EngineContext,
    private readonly pool: AgentPool,
    private readonly measurer: Measurer,
    private readonly worktrees: WorktreeCheckpoints | null = null,
  ) {
    this.suspension = new CheckpointSuspension(ctx);
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
    this.lastCheckpointScheduleMs = ctx.scheduleMs();
    this.toolCallsAtCheckpoint = ctx.state.counters.toolCalls;
    this.tokensAtCheckpoint = ctx.state.counters.totalTokens;
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
   * The checkpoint to restore: the named one (refused when invalid), or with
   * fallBack the newest valid one at or before it, with the invalid ones it
   * passed over (their alerts are the caller's to emit). With running agents
   * each blob is looked at first, so a checkpoint missing one is refused
   * before they are stopped; a resume has none running yet, and leaves
   * every check to the restore, which reads each blob back before it
   * touches project/ (restoreFiles falls back from a bad one).
   */
  private async choose(id: string | undefined, fallBack: boolean, agents: 'running' | 'not started yet'): Promise<{ loaded: LoadedCheckpoint | null; skipped: { id: string; reason: string }[] }> {
    const { ctx } = this;
    const blobs = agents === 'running' ? 'looked at' : 'read back next';
    if (id !== undefined && !fallBack) {
      try {
        return { loaded: await ctx.store.read(id, { blobs }), skipped: [] };
      } catch (error) {
        const message = (error as Error).message;
        const invalid = error instanceof CheckpointInvalidError && !message.includes('no such checkpoint');
        if (invalid) this.invalidCheckpoints += 1;
        ctx.log.error('checkpoint', `restore of ${id} refused: ${message}`);
        // In the event log too, where the console, replay and the report see it: a checkpoint found damaged is news.
        if (invalid) ctx.emit({ type: 'alert', level: 'warning', message: `restore of ${id} refused: ${error.reason}; project/ and the session are as they were`, checkpoint: id });
        throw new ControlError(`restore refused: ${message}`, message.includes('no such checkpoint') ? 404 : 409);
      }
    }
    const skipped: { id: string; reason: string }[] = [];
    // Newest first, each read (and its blobs looked at) only until one passes: the older ones are never opened.
    for (const candidate of (await ctx.store.ids()).reverse()) {
      if (id !== undefined && checkpointNumber(candidate) > checkpointNumber(id)) continue;
      try {
        return { loaded: await ctx.store.read(candidate, { blobs }), skipped };
      } catch (error) {
        if (!(error instanceof CheckpointInvalidError)) throw error;
        this.invalidCheckpoints += 1;
        ctx.log.warn('checkpoint', `${candidate} skipped: ${error.reason}; falling back to the one before`);
        skipped.push({ id: candidate, reason: error.reason });
      }
    }
    return { loaded: null, skipped };
  }

  /**
   * Puts project/ and the run back to a checkpoint: files byte for byte;
   * phase, tasks, figures and schedule through checkpoint_restored; the
   * agents restart from the checkpoint's resume states. When no checkpoint
   * can be restored, the agents are started again as they were, unless they
   * were not started yet (a resume): its caller starts them, and starting
   * them here too would leave a second process per agent at work in
   * project/, unwatched.
   */
  async restore(id: string | undefined, reason: string, fallBack: boolean, announce?: () => void, agents: 'running' | 'not started yet' = 'running'): Promise<MegatestEvent> {
    const { ctx, pool } = this;
    const started = Date.now();
    // Mid-session, a person's pause, continue and stop are answered while the checkpoint is checked (every blob looked at:
    // a second or two at 30,000 files), and while the agents stop and project/ is put back; a resume's restore runs before
    // any command is taken. The check leaves the session as it is: a command then acts on it as at any other time.
    const lettingCommandsIn = <T>(work: () => Promise<T>): Promise<T> => (agents === 'running' ? ctx.queue.letCommandsIn(work) : work());
    const chosen = await lettingCommandsIn(() => this.choose(id, fallBack, agents));
    let loaded = chosen.loaded;
    const skipped = chosen.skipped;
    const reportSkipped = () => {
      for (const skip of skipped) {
        ctx.emit({ type: 'alert', level: 'warning', message: `checkpoint ${skip.id} is invalid (${skip.reason}); falling back to the one before`, checkpoint: skip.id });
      }
    };
    if (loaded === null) {
      announce?.();
      reportSkipped();
      throw new ControlError('no valid checkpoint to restore', 409);
    }
    const previousStatus = ctx.status;
    ctx.setStatus('recovering');
    ctx.restoreGeneration += 1;
    // What the agents were doing, to start them again as they were if no checkpoint can be restored.
    const asTheyWere = pool.slots.map((slot) => pool.resumeState(slot));
    const first = loaded;
    const putBack = async () => {
      await pool.stopAll();
      const restored = await this.restoreFiles(first, fallBack, skipped);
      if (restored !== null && !(restored instanceof Error)) await this.worktrees?.restore(restored.id, restored.body.git_commit, restored.body.worktrees);
      return restored;
    };
    // A pause or continue let in from here on only says whether the agents start again paused (ControlSurface).
    const underWay = { endsPaused: previousStatus === 'paused' };
    ctx.restoreUnderWay = underWay;
    let restored: Awaited<ReturnType<typeof putBack>>;
    try {
      restored = await lettingCommandsIn(putBack);
    } finally {
      ctx.restoreUnderWay = null;
    }
    const endsPaused = underWay.endsPaused;
    if (restored === null || restored instanceof Error) {
      // The store checks every blob before it touches project/: it is as it was, and so is the session.
      // A paused session's agents start paused (AgentPool.start), before they are given their tasks.
      if (endsPaused) ctx.setStatus('paused');
      if (agents === 'running') {
        await pool.startAllOrReport(asTheyWere);
        pool.assignAll();
      }
      ctx.setStatus(endsPaused ? 'paused' : 'running');
      announce?.();
      reportSkipped();
      if (restored === null) throw new ControlError('no valid checkpoint to restore', 409);
      const message = restored.message;
      ctx.log.error('checkpoint', `restore failed, the session goes on as it was: ${message}`);
      const refusal = restored instanceof CheckpointInvalidError ? `restore of ${restored.id} refused: ${restored.reason}` : `restore of ${first.id} failed: ${message}`;
      ctx.emit({ type: 'alert', level: 'warning', message: `${refusal}; project/ and the session are as they were`, ...(restored instanceof CheckpointInvalidError ? { checkpoint: restored.id } : {}) });
      throw new ControlError(`restore refused: ${message}`, restored instanceof CheckpointInvalidError ? 409 : 500);
    }
    loaded = restored;
    const body = loaded.body;
    const memory = body.working_memory as { objectives?: Record<string, string[]>; model_index?: Record<string, number> };
    // Written in the same batch as checkpoint_restored: a kill cannot separate them.
    announce?.();
    reportSkipped();
    const restoredMs = Date.now() - started;
    const event = ctx.emit({
      type: 'checkpoint_restored',
      id: loaded.id,
      rolled_back_after_seq: body.last_event_seq,
      ms: restoredMs,
      reason,
      schedule_seconds: body.elapsed_seconds,
      phase: body.phase,
      phase_index: body.phase_index,
    });
    this.lastCheckpointScheduleMs = ctx.scheduleMs();
    this.toolCallsAtCheckpoint = ctx.state.counters.toolCalls;
    this.tokensAtCheckpoint = ctx.state.counters.totalTokens;
    this.measurer.onRestored(testRunOf(body.test_results));
    for (const slot of pool.slots) {
      slot.objectives = memory.objectives?.[slot.name] ?? [];
      slot.modelIndex = Math.max(slot.modelIndex, memory.model_index?.[slot.name] ?? 0);
      // A recovery in progress stays open: the restarted agent's progress (or its next error) ends it.
      slot.idleSinceMs = null;
      // A resume state holds 0 for an agent that never reported its context: that stays unknown, not 0.
      const saved = body.agent_states.find((s) => s.name === slot.name)?.context_tokens;
      if (saved !== undefined && (saved > 0 || slot.contextTokens !== null)) slot.contextTokens = saved;
    }
    // A paused session's agents start paused (AgentPool.start), before they are given their tasks.
    if (endsPaused) ctx.setStatus('paused');
    // The model an agent moved to after a rate limit stays: the checkpoint's is the one that failed.
    const states = body.agent_states.map((s) => ({ ...s, model: pool.modelOf(pool.find(s.name) ?? pool.slots[0]!) }));
    // Mid-session an agent that cannot start is its crash, for recovery; the restore stands (it threw, the status
    // stayed `recovering`). A resume's start failing is the session's failure to start (its caller's).
    if (agents === 'running') await pool.startAllOrReport(states);
    else await pool.startAll(states);
    if (ctx.state.phaseEnded) {
      ctx.log.info('checkpoint', `${loaded.id} was taken at the end of phase ${body.phase}: the next phase starts`);
    } else {
      pool.assignAll();
    }
    ctx.setStatus(endsPaused ? 'paused' : 'running');
    // The event's figure (the toast's and the alert's) first, then the time with the agents started again, named: one
    // unnamed figure here beside another in the toast read as two measures of the same thing.
    ctx.log.info('checkpoint', `restored ${loaded.id} (${reason}): phase ${body.phase}, ${body.file_system_state.entries.length} entries, ${restoredMs} ms (${Date.now() - started} ms with the agents started again)`);
    return event;
  }

  /**
   * Restores project/ to the checkpoint's manifest. A checkpoint with a bad
   * blob (the store finds it before touching project/) is skipped for the
   * one before it when falling back, and added to `skipped`. Returns the
   * checkpoint restored, null when none was left, or the error that stopped
   * the restore.
   */
  private async restoreFiles(first: LoadedCheckpoint, fallBack: boolean, skipped: { id: string; reason: string }[]): Promise<LoadedCheckpoint | null | Error> {
    const { ctx } = this;
    let candidate: LoadedCheckpoint | null = first;
    while (candidate !== null) {
      try {
        await ctx.store.restore(ctx.paths.project, candidate.body.file_system_state.entries, { checkpointId: candidate.id });
        return candidate;
      } catch (error) {
        if (!(error instanceof CheckpointInvalidError) || !fallBack) return error as Error;
        this.invalidCheckpoints += 1;
        this.markInvalid(candidate.id);
        ctx.log.warn('checkpoint', `${candidate.id} skipped: ${error.reason}; falling back to the one before`);
        skipped.push({ id: candidate.id, reason: error.reason });
        candidate = await ctx.store.newestValid(candidate.id);
      }
    }
    return null;
  }

  /**
   * `megatest resume`: the named or newest valid checkpoint; false when there
   * is none to go back to. `announce` records the resume: right before the
   * restore's own event, or at once when there is nothing to restore.
   */
  async resumeFrom(id: string | undefined, announce: () => void): Promise<boolean> {
    const { ctx } = this;
    const checkpoints = await ctx.store.ids();
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

  /** Marks the summary of the newest checkpoint invalid (after it was altered on purpose). */
  markInvalid(id: string): void {
    if (this.lastCheckpoint?.id === id) this.lastCheckpoint = { ...this.lastCheckpoint, valid: false };
  }
}

function checkpointNumber(id: string): number {
  return Number(id.replace(/^checkpoint_/, ''));
}

/** The checkpoint's test results as a TestRunResult (its figures are already in the fold). */
function testRunOf(value: unknown): TestRunResult | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Partial<TestRunResult>;
  return { summary: v.summary ?? null, coverage: v.coverage ?? null, source: v.source ?? '', duration_ms: 0, timed_out: false, problem: null };
}
