// Putting the run back to a checkpoint: a restore while running (a person's,
// or a recovery's) and a resume after a crash. The checkpoint is chosen (the
// named one, or the newest valid one at or before it), project/ and the
// worktrees are put back with the agents stopped, and the run follows
// through one event, checkpoint_restored, which the fold turns into the
// checkpoint's phase, tasks and figures; the agents then start again from
// the checkpoint's resume states, each told which checkpoint project/ went
// back to (restoredCheckpointFor). The keeper (checkpointKeeper.ts) takes
// checkpoints and counts the invalid ones this finds.

import type { RestoredCheckpoint } from '../agents/types.js';
import type { CheckpointBody } from '../checkpoint/types.js';
import type { MegatestEvent } from '../contract/events.js';
import type { AgentStatus } from '../contract/statuses.js';
import type { AgentView } from '../state/runState.js';
import { ControlError } from '../contract/control.js';
import { CheckpointInvalidError, type LoadedCheckpoint } from '../checkpoint/store.js';
import type { TestRunResult } from './projectGates.js';
import type { AgentPool } from './agentPool.js';
import type { EngineContext } from './context.js';
import type { Measurer } from './measurer.js';
import type { WorktreeCheckpoints } from './checkpointKeeper.js';

/** What a restore tells the keeper. */
export interface RestoreKeeping {
  /** A checkpoint was found invalid. */
  countInvalid(): void;
  /** The summary of the newest checkpoint, when it is this one, says it is invalid. */
  markInvalid(id: string): void;
  /** The run is back at a checkpoint: the next one's interval and thresholds count from now. */
  countFromNow(): void;
}

export class CheckpointRestore {
  constructor(
    private readonly ctx: EngineContext,
    private readonly pool: AgentPool,
    private readonly measurer: Measurer,
    private readonly worktrees: WorktreeCheckpoints | null,
    private readonly keeping: RestoreKeeping,
  ) {}

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
        if (invalid) this.keeping.countInvalid();
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
        this.keeping.countInvalid();
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
  async restore(
    id: string | undefined,
    reason: string,
    fallBack: boolean,
    announce?: () => void,
    agents: 'running' | 'not started yet' = 'running',
    /** Once the checkpoint has passed its checks, before anything is stopped or put back (a person's restore keeps the work first). */
    beforePutBack?: () => Promise<void>,
  ): Promise<MegatestEvent> {
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
    await beforePutBack?.();
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
    this.keeping.countFromNow();
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
    // Each agent is told which checkpoint project/ went back to, and whether its recorded sessions outlived it.
    const restoredFor = restoredCheckpointFor(loaded.id, body, ctx.state.agents);
    // A paused session's agents start paused (AgentPool.start), before they are given their tasks.
    if (endsPaused) ctx.setStatus('paused');
    // The model an agent moved to after a rate limit stays: the checkpoint's is the one that failed.
    const states = body.agent_states.map((s) => ({ ...s, model: pool.modelOf(pool.find(s.name) ?? pool.slots[0]!) }));
    // Mid-session an agent that cannot start is its crash, for recovery; the restore stands (it threw, the status
    // stayed `recovering`). A resume's start failing is the session's failure to start (its caller's).
    if (agents === 'running') await pool.startAllOrReport(states, restoredFor);
    else await pool.startAll(states, restoredFor);
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
        this.keeping.countInvalid();
        this.keeping.markInvalid(candidate.id);
        ctx.log.warn('checkpoint', `${candidate.id} skipped: ${error.reason}; falling back to the one before`);
        skipped.push({ id: candidate.id, reason: error.reason });
        candidate = await ctx.store.newestValid(candidate.id);
      }
    }
    return null;
  }
}

/** An agent whose status at the checkpoint was one of these had no task process then: nothing of it ran on. */
const AT_REST: readonly AgentStatus[] = ['idle', 'exited', 'crashed'];

/**
 * What each agent started after a restore is told of it (RestoredCheckpoint).
 * A native session the checkpoint recorded (a Claude session, a selfware
 * task) is the agent's whole conversation, kept by the agent itself: when
 * the agent went on working after the checkpoint, that transcript also holds
 * the work the restore just undid, and an agent resumed on it believes files
 * exist that are gone (or hold what they held later). worked_after says so
 * when anything suggests it: the agent was at work (or paused mid-task) when
 * the checkpoint was taken, the log has tool calls or tokens of it since
 * (the fold's running totals are never rolled back, the checkpoint's metrics
 * hold them as they were), or the checkpoint has no figures for it. It is
 * false only for an agent shown at rest then and silent since: the final
 * checkpoint of a run that was stopped, resumed with `megatest resume`.
 */
export function restoredCheckpointFor(id: string, body: Pick<CheckpointBody, 'timestamp' | 'metrics'>, now: readonly Pick<AgentView, 'name' | 'tokens' | 'toolCalls'>[]): (name: string) => RestoredCheckpoint {
  return (name) => {
    const then = body.metrics?.agents.find((a) => a.name === name);
    const since = now.find((a) => a.name === name);
    const workedAfter =
      then === undefined || !AT_REST.includes(then.status) || (since !== undefined && (since.toolCalls > then.tool_calls || since.tokens > (then.tokens ?? 0)));
    return { id, taken_at: body.timestamp, worked_after: workedAfter };
  };
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
