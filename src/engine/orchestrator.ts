// The orchestrator conducts a run: it puts the parts together (agent pool,
// phase runner, measurer, checkpoint keeper, event index, recovery,
// watchdog, limits, control surface), starts the session or resumes it,
// ticks them, and ends the session with its report (sessionEnd.ts). It
// holds no state of its own that a part or the fold could hold, and never
// depends on a console: everything it knows goes into the run folder, and
// controllers reach it through EngineControl.

import { UsageError } from '../config/errors.js';
import type { EngineControl } from '../contract/control.js';
import type { CommandSource, MegatestEvent } from '../contract/events.js';
import type { SuspendedJob } from '../io/jobControl.js';
import type { RunPaths } from '../io/runFolder.js';
import type { RunInfo } from '../io/runInfo.js';
import { RunFileReadError } from '../io/readError.js';
import { AgentPool } from './agentPool.js';
import { CheckpointKeeper } from './checkpointKeeper.js';
import { DiskGuard } from './diskGuard.js';
import { WATCHDOG_CLASSES } from './classify.js';
import { Compressor } from './compressor.js';
import { EngineContext, type StopRequest } from './context.js';
import { ControlSurface, type PauseEnd } from './controlSurface.js';
import { LimitHold } from './limitHold.js';
import { RunFolderWatch } from './runFolderWatch.js';
import { EventIndexKeeper, INDEX_REFRESH_MS } from './eventIndex.js';
import { openProjectRepo } from './git.js';
import { InjectedFaults } from './injectedFaults.js';
import { refillOnResume } from './hourRefill.js';
import { WorktreeIsolation } from './isolation.js';
import { cleanUpAfterPreviousOrchestrator } from './leftovers.js';
import { namedCheckpointRefusal } from './resumeRefusal.js';
import { Limits } from './limits.js';
import { Measurer } from './measurer.js';
import { PhaseRunner } from './phaseRunner.js';
import { Recovery } from './recovery.js';
import { endSession, endWithoutFolder } from './sessionEnd.js';
import { Watchdog } from './watchdog.js';
import type { RunState } from '../state/runState.js';

const TICK_MS = 250;

export interface OrchestratorOptions {
  info: RunInfo;
  paths: RunPaths;
  /** Resume a session from a checkpoint (newest valid when id is undefined). */
  resume?: { checkpointId?: string };
  /** Called for every event, with the run's state folded up to it (headless progress lines). */
  onEvent?: (event: MegatestEvent, state: RunState) => void;
  /** No person can answer a pause for a person (CI is set): see EngineContextOptions. */
  unattended?: boolean;
}

export class Orchestrator implements EngineControl {
  private readonly ctx: EngineContext;
  private readonly pool: AgentPool;
  private readonly measurer: Measurer;
  private readonly keeper: CheckpointKeeper;
  private readonly phases: PhaseRunner;
  private readonly recovery: Recovery;
  private readonly watchdog: Watchdog;
  private readonly limits: Limits;
  private readonly faults: InjectedFaults;
  private readonly surface: ControlSurface;
  private readonly diskGuard: DiskGuard;
  private readonly limitHold: LimitHold;
  private readonly folderWatch: RunFolderWatch;
  /** Why the run folder is no longer this session's (deleted, replaced): set once the session ends for it. */
  folderLost: string | null = null;
  /** Null when the agents share project/ ([agents] isolation). */
  private readonly isolation: WorktreeIsolation | null;
  private finished: Promise<number> | null = null;
  private timers: NodeJS.Timeout[] = [];
  /** Set once the session is announced (or resumed) and its agents set up. */
  private startedUp = false;
  /** A signal that came during startup: recorded once the session is. */
  private startupSignal: string | null = null;
  private readonly eventIndex: EventIndexKeeper;

  constructor(private readonly options: OrchestratorOptions) {
    let ctx: EngineContext;
    try {
      ctx = new EngineContext(options);
    } catch (error) {
      // events.jsonl or session.log the disk will not open (a folder in its place, EIO): one line, exit 1.
      throw RunFileReadError.from(error, options.paths.events, 'open');
    }
    this.ctx = ctx;
    this.folderWatch = new RunFolderWatch(options.paths.events);
    this.pool = new AgentPool(ctx, {
      onProgress: (slot, progress) => this.recovery.onProgress(slot, progress),
      onError: (slot, error) => {
        this.recovery.holdAtError(slot, error);
        ctx.background(() => this.recovery.onAgentError(slot, error));
      },
      onCrash: (slot, cause) => {
        // Crashes seen before the restore one of them brings are all covered by that restore.
        const seen = ctx.restoreGeneration;
        ctx.background(() => this.recovery.handle(slot, { ...WATCHDOG_CLASSES.agent_crash, matched: 'watchdog' }, cause, seen));
      },
      onContext: (slot, tokens) => compressor.onContextReport(slot, tokens),
    });
    const compressor = new Compressor(ctx, this.pool);
    this.isolation = WorktreeIsolation.create(ctx, this.pool, {
      onConflict: (slot, message) => this.recovery.onMergeConflict(slot, message),
      onMerged: (slot, tasks) => this.recovery.mergeLanded(slot, tasks),
      onFailed: (slot, message) => this.recovery.onMergeFailed(slot, message),
    });
    this.pool.useWorkDirs(this.isolation);
    this.measurer = new Measurer(ctx, this.pool, this.isolation?.gateOutput ?? null);
    this.keeper = new CheckpointKeeper(ctx, this.pool, this.measurer, this.isolation);
    this.eventIndex = new EventIndexKeeper(ctx);
    this.phases = new PhaseRunner(ctx, this.pool, this.measurer, {
      phaseCheckpoint: () => this.keeper.create('phase').then(() => undefined, (error: unknown) => this.diskGuard.checkpointFailed('phase', error)),
      checkpointsValid: () => (this.keeper.invalidCheckpoints === 0 ? 1 : 0),
    });
    this.surface = new ControlSurface(ctx, this.pool, this.keeper, this.measurer, compressor);
    const pauseForPerson = (why: string, until?: PauseEnd) => this.surface.pauseForPerson(why, until);
    this.recovery = new Recovery(ctx, this.pool, this.keeper, {
      pauseForPerson,
      compress: (slot) => compressor.compress(slot, 'recovery'),
      conflicts: this.isolation ?? undefined,
    });
    this.surface.attachRecovery(this.recovery);
    this.limitHold = new LimitHold(ctx, this.pool, {
      pause: (alert) => this.surface.pauseAutomatically(alert, 'warning'),
      resume: () => this.surface.continueAfterHold(),
    });
    this.surface.attachLimitHold(this.limitHold);
    this.watchdog = new Watchdog(ctx, this.pool, this.recovery);
    this.limits = new Limits(ctx, this.pool, this.keeper, this.measurer, pauseForPerson);
    this.faults = new InjectedFaults(ctx, this.keeper, options.resume !== undefined);
    this.diskGuard = new DiskGuard(ctx, {
      pause: (alert) => this.surface.pauseAutomatically(alert),
      resume: () => this.surface.resume('engine'),
      withinLimits: () => this.limits.diskWithinLimits(),
    });
  }

  /** Runs the session to its end; resolves with the exit code (DESIGN §2). */
  run(): Promise<number> {
    this.finished ??= this.runSession();
    return this.finished;
  }

  private async runSession(): Promise<number> {
    const { ctx } = this;
    const { info } = ctx;
    let resuming = this.options.resume !== undefined;
    const namedCheckpoint = this.options.resume?.checkpointId;
    if (namedCheckpoint !== undefined) {
      // Refuse before touching anything: the run folder stays as it was.
      try {
        await ctx.store.read(namedCheckpoint);
      } catch (error) {
        throw namedCheckpointRefusal(namedCheckpoint, (error as Error).message, ctx.paths.checkpoints);
      }
    }
    if (resuming) {
      // The fold of the log so far: counters, phase and clock continue where they were.
      const started = performance.now();
      const { bytes, how, eventsRead } = await this.eventIndex.foldExisting();
      if (ctx.state.session === null && bytes > 0) {
        // A log with lines but no session_started is not this session's: starting over in it would bury what it holds.
        throw new UsageError(
          `megatest resume: ${ctx.paths.events} holds ${bytes} bytes but no readable session_started; refusing to start the session over in it (move the file away to start afresh)`,
        );
      }
      const ms = Math.round(performance.now() - started);
      ctx.log.info('orchestrator', `log folded ${how}: ${eventsRead} events read from events.jsonl in ${ms} ms, ${ctx.state.eventsApplied} in all`);
      ctx.setStatus('recovering');
      cleanUpAfterPreviousOrchestrator(ctx);
      if (ctx.state.session === null && namedCheckpoint === undefined) {
        // Killed before its first event (an empty log): there is nothing to resume, only to start.
        ctx.log.warn('orchestrator', 'events.jsonl is empty: the session starts from the beginning');
        resuming = false;
      }
    } else {
      ctx.setStatus('starting');
      this.eventIndex.keepInBackground();
    }
    ctx.log.info('orchestrator', `${resuming ? 'resuming' : 'starting'} session ${info.session_id} (pid ${process.pid})`);
    if (info.simulated) ctx.log.info('orchestrator', 'agent kind sim: the agents are a labelled SIMULATION, not a real model');
    await this.diskGuard.start();
    this.measurer.rootCommit = await openProjectRepo(this.ctx.paths.project, resuming, this.ctx.log);
    await this.isolation?.prepare();
    if (!resuming) ctx.announceSession();
    if (ctx.stopRequest !== null && !resuming) {
      ctx.log.info('orchestrator', 'interrupted while starting: no agent is started');
    } else {
      // Controllers (API, signals) wait until the agents and the phase are set up.
      try {
        await ctx.queue.run(() => this.startUp(resuming, namedCheckpoint));
      } catch (error) {
        // The agents that did start must not outlive it: their pipes would keep this process, and the session, waiting forever.
        await this.pool.stopAll().catch((e) => ctx.internalError(e));
        if (resuming) {
          // The run folder stays as it was for the next resume, without the disk reserve.
          await this.diskGuard.end().catch((e) => ctx.internalError(e));
          ctx.log.error('orchestrator', `the resume could not start the session again (its agents are stopped; the next resume goes on from here): ${(error as Error).stack ?? String(error)}`);
          ctx.log.flush();
          throw error;
        }
        this.failStartUp(error);
      }
      // Recoveries a killed orchestrator left open never end now: say so.
      if (resuming) this.recovery.endAllOpen('the orchestrator stopped (killed or crashed)');
    }
    this.startedUp = true;
    if (this.startupSignal !== null) ctx.emit({ type: 'command', name: 'stop', source: 'signal', detail: this.startupSignal });
    this.watchdog.noteTick(Date.now());
    const tick = ctx.queue.coalesced(() => this.tick());
    this.timers = [
      setInterval(() => {
        // Here, not in the tick: the tick waits its turn on the queue, which long work may hold; this sees only the event loop's gaps.
        this.watchdog.noteTick(Date.now());
        void tick().catch((e) => ctx.internalError(e));
      }, TICK_MS),
      setInterval(() => void this.measurer.sample().catch((e) => ctx.internalError(e)), ctx.config.monitoring.health_check_interval * 1000),
      setInterval(() => this.eventIndex.refresh(), INDEX_REFRESH_MS),
    ];
    void this.measurer.sample().catch((e) => ctx.internalError(e));
    return this.finish(await ctx.waitForStop());
  }

  /** A new session that could not start its agents ends `failed`, recorded: session_ended, report, exit 1. */
  private failStartUp(error: unknown): void {
    const { ctx } = this;
    const message = `start-up failed: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`;
    ctx.internalError(error);
    ctx.emit({ type: 'error', class: 'startup', severity: 'fatal', message });
    ctx.requestStop({ status: 'failed', reason: message, exitCode: 1 });
  }

  private async startUp(resuming: boolean, namedCheckpoint: string | undefined): Promise<void> {
    const { ctx, pool } = this;
    pool.createSlots();
    if (resuming) {
      // What each agent spent in the last hour still counts against its hourly limits: a kill and a resume do not reset them.
      await refillOnResume(ctx, pool.slots);
      // A session paused when its orchestrator stopped (a person's pause, a recovery that gave up) stays paused: the
      // resume's own command ends the fold's pause, and a kill and a resume got around a pause waiting for a person.
      const pausedBefore = ctx.state.status === 'paused' ? ctx.state.pause : null;
      // The fold stops the clock for the time no orchestrator ran the session.
      const announce = () => {
        ctx.emit({ type: 'command', name: 'resume', source: 'cli', detail: namedCheckpoint ?? 'newest valid checkpoint' });
        this.eventIndex.alertSkippedLines();
        // An agent over its hourly limit by the refilled windows starts paused, not free until the first tick.
        this.limits.throttleBeforeStart(Date.now());
        // A budget the log has already spent stops the session before any agent starts (one could begin a model call
        // before the first tick): resuming it with the same budget only ends it again, saying so.
        this.limits.stopIfBudgetSpent();
      };
      const restored = await this.keeper.resumeFrom(namedCheckpoint, announce);
      if (!restored) {
        // Nothing to roll back to: the phase the log reached goes on, on the current project/, its finished tasks kept.
        await pool.startAll();
        if (ctx.state.currentPhaseIndex < 0) this.phases.start(0);
        else this.phases.continueCurrent();
      }
      if (pausedBefore !== null) await this.surface.keepPausedAfterResume(pausedBefore);
    } else {
      await pool.startAll();
      this.phases.start(0);
    }
    if (ctx.status !== 'paused') ctx.setStatus('running');
  }

  private async tick(): Promise<void> {
    const { ctx } = this;
    if (ctx.stopRequest) return;
    const lost = this.folderWatch.gone();
    if (lost !== null) {
      this.folderLost = lost;
      ctx.requestStop({ status: 'failed', reason: lost, exitCode: 1 });
      return;
    }
    if (ctx.status === 'recovering') return;
    await this.faults.inject();
    await this.diskGuard.watch();
    if (ctx.status === 'paused') {
      // A paused session still watches its disk: the limit event says why it waits.
      await this.limits.checkDisk();
      return;
    }
    const now = Date.now();
    this.watchdog.watch(now);
    this.limits.enforce(now);
    this.phases.tick();
    if (ctx.stopRequest || this.phases.gateRunning || ctx.state.phaseEnded) return;
    if (await this.limitHold.check(now)) return;
    await this.keeper.checkTriggers().catch((error: unknown) => this.diskGuard.checkpointFailed('scheduled', error));
    this.measurer.maybeRunTests(now);
    await this.limits.checkDisk();
  }

  private async finish(request: StopRequest): Promise<number> {
    for (const timer of this.timers) clearInterval(timer);
    this.limitHold.end();
    const { ctx, pool, measurer, keeper, recovery, eventIndex, diskGuard, isolation } = this;
    if (this.folderLost !== null) return endWithoutFolder({ ctx, pool, measurer }, this.folderLost);
    return endSession({ ctx, pool, measurer, keeper, recovery, eventIndex, diskGuard, isolation }, request);
  }

  /**
   * Graceful stop from a signal (SIGINT/SIGTERM). During startup the stop is
   * recorded right after the session's session_started (or its resume), and
   * no agent is started: the session still ends `interrupted`, with its
   * session_ended and report. False when a stop was already under way.
   */
  interrupt(signal: string): boolean {
    if (this.ctx.stopRequest) {
      // A second Ctrl-C while the stop waits on its agents, measurement, checkpoint and report: one stop is recorded.
      this.ctx.log.info('orchestrator', `${signal}: a stop is already under way and goes on (the agents, the final measurement and checkpoint, the report); SIGQUIT (Ctrl-\\) quits at once`);
      return false;
    }
    if (!this.startedUp) {
      this.startupSignal ??= signal;
    } else {
      this.ctx.emit({ type: 'command', name: 'stop', source: 'signal', detail: signal });
    }
    this.ctx.requestStop({ status: 'interrupted', reason: `interrupted by ${signal}`, exitCode: 130 });
    return true;
  }

  // The other signals, answered by the control surface: SIGUSR1 a status block into session.log; SIGQUIT the
  // agents killed and what is queued written (the caller exits at once); SIGTSTP the agents stopped with this process.
  writeStatusBlock = () => this.surface.writeStatusBlock();
  quitNow = (signal: string) => this.surface.quitNow(signal);
  suspendWithShell = (suspend: (groups: number[]) => SuspendedJob) => this.surface.suspendWithShell(suspend);

  // EngineControl, answered by the control surface.
  status = () => this.surface.status();
  metrics = () => this.surface.metrics();
  checkpoint = (source: CommandSource) => this.surface.checkpoint(source);
  compress = (agent: string | undefined, source: CommandSource) => this.surface.compress(agent, source);
  restore = (checkpointId: string, source: CommandSource) => this.surface.restore(checkpointId, source);
  pause = (source: CommandSource) => this.surface.pause(source);
  resume = (source: CommandSource) => this.surface.resume(source);
  stop = (source: CommandSource) => this.surface.stop(source);
}
