// The control surface: what the control API, signals and the console (via
// the API) may ask of a running session. Each action is a short job on the
// serial queue; none waits for a build or a test run (those are background
// work), and a pause, continue or stop not for a checkpoint's walk of
// project/ either, so a person's command is answered within a second.

import type { PauseView } from '../state/runState.js';
import { isDiskWriteError } from '../io/writeHealth.js';
import type { CommandSource, MegatestEvent } from '../contract/events.js';
import { ControlError, type EngineControl, type StatusSnapshot } from '../contract/control.js';
import type { SessionMetrics } from '../contract/metrics.js';
import type { SuspendedJob } from '../io/jobControl.js';
import type { AgentPool } from './agentPool.js';
import type { CheckpointKeeper } from './checkpointKeeper.js';
import type { Compressor } from './compressor.js';
import type { EngineContext } from './context.js';
import type { Measurer } from './measurer.js';
import type { LimitHold } from './limitHold.js';
import type { Recovery } from './recovery.js';
import { capabilitiesByAgent, lastCriticalAlert, recoveriesUnderWay, reportedCostUsd } from '../state/tallies.js';
import { countOf } from '../state/groupDigits.js';

/** What ends a pause for a person: a person, or also the disk guard once the disk takes writes again. */
export type PauseEnd = 'a person continues' | 'the disk takes writes';

/** How a pause carried over by a resume begins its alert (and so its why): keepPausedAfterResume knows it again. */
const CARRIED_PAUSE = 'the session was paused when its orchestrator stopped';

/** How a pause for a person ends its alert (and so its why): keepPausedAfterResume knows a person's pause by it. */
const FOR_A_PERSON = "continue with `megatest continue` or the console's p key";

/** The status block's tests: the last run's counts, why it gave none, or none yet. */
function testsText(measured: { testsPassed: number | null; testsFailed: number | null; testsProblem: string | null }): string {
  if (measured.testsProblem !== null) return `not measured (the last test run gave no results: ${measured.testsProblem})`;
  return measured.testsPassed === null ? 'not run yet' : `${measured.testsPassed} passed, ${measured.testsFailed} failed`;
}

export class ControlSurface implements EngineControl {
  private recovery: Recovery | null = null;
  private limitHold: LimitHold | null = null;

  constructor(
    private readonly ctx: EngineContext,
    private readonly pool: AgentPool,
    private readonly keeper: CheckpointKeeper,
    private readonly measurer: Measurer,
    private readonly compressor: Compressor,
  ) {}

  /** Recovery pauses through this surface and this surface resets it on continue: set once before the run. */
  attachRecovery(recovery: Recovery): void {
    this.recovery = recovery;
  }

  /** The usage-limit hold pauses and continues through this surface, and a person's pause or continue ends it: set once before the run. */
  attachLimitHold(hold: LimitHold): void {
    this.limitHold = hold;
  }

  status(): StatusSnapshot {
    const { ctx } = this;
    return {
      session_id: ctx.info.session_id,
      project: ctx.template.type,
      agent_kind: ctx.info.agent_kind,
      simulated: ctx.info.simulated,
      status: ctx.status,
      phase: ctx.currentPhase.name,
      started_at: ctx.state.session ? new Date(ctx.state.session.startedAtMs).toISOString() : new Date().toISOString(),
      duration_seconds: ctx.config.session.duration_seconds,
      metrics: this.metrics(),
      last_checkpoint: this.keeper.lastCheckpoint,
      pid: process.pid,
      capabilities: capabilitiesByAgent(ctx.state),
      last_alert: lastCriticalAlert(ctx.state),
      // A restore under way in a paused session (or paused meanwhile) starts the agents again paused: the pause is in effect.
      pause: ctx.status === 'paused' || (ctx.status === 'recovering' && ctx.restoreUnderWay?.endsPaused === true) ? ctx.state.pause : null,
      recoveries_under_way: recoveriesUnderWay(ctx.state),
      cost_usd: reportedCostUsd(ctx.state),
      // Its status word stays what it was until the end is recorded: this says why every action is refused meanwhile.
      stopping: ctx.stopRequest?.reason ?? null,
      tests_problem: ctx.state.measured.testsProblem,
    };
  }

  /** The snapshot as of now: the same fold and gauges as the recorded ones, never a snapshot behind. */
  metrics(): SessionMetrics | null {
    return this.ctx.state.session ? this.measurer.snapshot() : null;
  }

  private assertLive(action: string): void {
    const request = this.ctx.stopRequest;
    if (request) throw new ControlError(`cannot ${action}: the session is stopping (${request.reason})`, 409);
    // The API listens before the session's first event is written (the worktrees, the disk reserve and project/'s
    // repository come first). A pause taken then came before session_started in the log, whose fold started the
    // clock afresh: the pause was lost, and a continue found the first phase's time spent.
    if (this.ctx.status === 'starting' && this.ctx.state.session === null) throw new ControlError(`cannot ${action} yet: the session is starting; try again in a moment`, 503);
  }

  /**
   * A command as a short job on the serial queue. A stopping session refuses
   * at once, before queueing: the final build and test run are on the queue
   * and may take minutes. A person's pause, continue and stop (`person`) are
   * also let in beside a checkpoint's walk of project/ (SerialQueue.
   * letCommandsIn): they only signal the agents and set the status, which
   * the walk does not read, and it takes seconds in a big project. So are
   * they beside a restore mid-session's stopping of the agents and putting
   * back of project/, where a pause or continue only says how the agents
   * start again (EngineContext.restoreUnderWay).
   */
  private command<T>(action: string, job: () => Promise<T>, lane: 'queued' | 'person' = 'queued'): Promise<T> {
    try {
      this.assertLive(action);
    } catch (error) {
      return Promise.reject(error);
    }
    const checked = async () => {
      this.assertLive(action);
      try {
        return await job();
      } finally {
        // The answer names the events it recorded (their seqs): they are in events.jsonl before it is sent. Left to
        // the writer's next batch, a kill -9 right after the answer lost a pause the API had confirmed, and a resume
        // gave its seq to another event.
        this.ctx.events.flush();
      }
    };
    return lane === 'person' ? this.ctx.queue.runCommand(checked) : this.ctx.queue.runInTurn(checked);
  }

  checkpoint(source: CommandSource): Promise<MegatestEvent> {
    return this.command('checkpoint', async () => {
      this.ctx.emit({ type: 'command', name: 'checkpoint', source });
      try {
        return (await this.keeper.create('forced'))!;
      } catch (error) {
        const message = (error as Error).message;
        // Said as what it is, not "internal error": the disk refused it, and the last checkpoint stands.
        if (isDiskWriteError(error) || /ENOSPC|EDQUOT|no space left/i.test(message)) {
          this.ctx.log.error('checkpoint', `forced checkpoint failed: ${message}`);
          throw new ControlError(`checkpoint not written: the disk refused it (${message}); the last checkpoint stands`, 503);
        }
        throw error;
      }
    });
  }

  compress(agent: string | undefined, source: CommandSource): Promise<MegatestEvent[]> {
    return this.command('compress', async () => {
      const slots = this.pool.slots;
      const targets = agent === undefined ? slots : slots.filter((s) => s.name === agent);
      if (targets.length === 0) throw new ControlError(`unknown agent ${JSON.stringify(agent)}; agents: ${slots.map((s) => s.name).join(', ')}`, 404);
      this.ctx.emit({ type: 'command', name: 'compress', source, detail: agent ?? 'all agents' });
      // All at once: each waits a moment for its agent's context report.
      const results = (await Promise.all(targets.map((slot) => this.compressor.compress(slot, source)))).filter(
        (event): event is MegatestEvent => event !== null,
      );
      if (results.length === 0) throw new ControlError('no running agent to compress', 409);
      return results;
    });
  }

  restore(checkpointId: string, source: CommandSource): Promise<MegatestEvent> {
    return this.command('restore', async () => {
      // A checkpoint that does not exist is refused (404) unrecorded, as a refused pause is: it was in the log as asked
      // for, and nothing said it never happened. One found damaged is recorded, and the alert that refuses it follows.
      if ((await this.ctx.store.ids()).includes(checkpointId)) this.ctx.emit({ type: 'command', name: 'restore', source, detail: checkpointId });
      // What the agents did since the last checkpoint is kept first, once the chosen one has passed its checks (a
      // refused restore throws nothing away): the restore throws it away, and a wrong choice in the picker lost it for good.
      return this.keeper.restore(checkpointId, `restore asked by ${source}`, false, undefined, 'running', () => this.keeper.keepBeforeRestore(checkpointId));
    });
  }

  pause(source: CommandSource): Promise<MegatestEvent> {
    return this.command('pause', async () => {
      if (this.limitHold?.pausedByPerson()) {
        // Paused already, by the hold: now it is this person's pause, and stays when the limit lifts.
        const event = this.ctx.emit({ type: 'command', name: 'pause', source, detail: 'during the usage-limit hold' });
        this.ctx.log.info('orchestrator', `paused (${source}) during the usage-limit hold: the session stays paused when the limit lifts`);
        return event;
      }
      return this.doPause(source, false);
    }, 'person');
  }

  /**
   * Pauses for a person with an alert saying why (recovery gave up, the disk
   * limit). In CI nobody will continue it: the session stops instead, failed;
   * a pause the disk guard lifts by itself (a refused write) still pauses.
   */
  async pauseForPerson(why: string, until: PauseEnd = 'a person continues'): Promise<void> {
    if (this.ctx.unattended && until === 'a person continues') {
      this.ctx.emit({ type: 'alert', level: 'critical', message: `${why} — no person can continue a run in CI (CI is set): the session stops` });
      this.ctx.requestStop({ status: 'failed', reason: `${why}; no person to continue it (CI is set)`, exitCode: 1 });
      return;
    }
    const already = this.paused();
    this.ctx.emit({
      type: 'alert',
      level: 'critical',
      message: `${why} — ${already ? 'the session stays paused' : 'paused'}; ${FOR_A_PERSON}`,
    });
    if (!already) await this.doPause('engine', true);
  }

  /** A resumed session that was paused when its orchestrator stopped: paused again at once, saying so (orchestrator.ts). */
  async keepPausedAfterResume(pause: PauseView): Promise<void> {
    const { ctx } = this;
    if (ctx.status === 'paused' || ctx.stopRequest) return;
    // Only a pause that waits for a person: megatest's own (a usage limit's hold, a full disk) lifted by itself, and what
    // lifted it did not survive the kill; in CI no person can continue, as pauseForPerson has it. A pause carried over
    // by an earlier resume is still the person's (it is megatest's own by its source): a second kill and resume lost it.
    const said = pause.why ?? '';
    const carried = said.startsWith(CARRIED_PAUSE);
    // pauseForPerson's (pause_and_alert, escalate, a recovery that gave up, the disk limit): what it waits for (a login,
    // a deadlock a person settles) outlived the kill. Not a refused write's: the disk guard lifted that one by itself.
    const forPerson = said.endsWith(FOR_A_PERSON) && !said.startsWith('disk_full on ');
    const person = pause.by !== 'engine' || carried || forPerson || said.startsWith('recovery gave up');
    if (!person) return;
    const why = pause.why === null ? `paused by ${pause.by}` : pause.why;
    if (ctx.unattended) {
      ctx.log.warn('orchestrator', `the session was paused when its orchestrator stopped (${why}); no person can continue it in CI: it goes on`);
      return;
    }
    ctx.setStatus('running');
    // Carried over again, it says what it said the first time: who paused it and why, not the carrying over.
    await this.pauseAutomatically(carried ? why : `${CARRIED_PAUSE} (${why}): it stays paused; \`megatest continue\` goes on`, 'warning');
  }

  /** Pauses on megatest's own account, with an alert saying why and how it goes on (a full disk; a warning: every agent waits for a usage limit). */
  async pauseAutomatically(alert: string, level: 'warning' | 'critical' = 'critical'): Promise<void> {
    if (this.ctx.status !== 'running') return;
    this.ctx.emit({ type: 'alert', level, message: alert });
    await this.doPause('engine', true);
  }

  /** Paused, or a restore under way will leave it paused (its agents start again paused). */
  private paused(): boolean {
    const restoring = this.ctx.restoreUnderWay;
    return restoring ? restoring.endsPaused : this.ctx.status === 'paused';
  }

  private async doPause(source: CommandSource, automatic: boolean): Promise<MegatestEvent> {
    const { ctx } = this;
    this.assertLive('pause');
    if (this.paused()) {
      if (automatic) return ctx.emit({ type: 'alert', level: 'info', message: 'already paused' });
      throw new ControlError('the session is already paused', 409);
    }
    // The fold stops the session's clock at this event.
    const event = ctx.emit({ type: 'command', name: 'pause', source, detail: automatic ? 'automatic' : undefined });
    const restoring = ctx.restoreUnderWay;
    if (restoring) {
      // The agents are stopping and project/ is being put back: the restore starts them again paused, and says paused then.
      restoring.endsPaused = true;
      ctx.log.info('orchestrator', `paused (${automatic ? 'automatic' : source}) during a restore: the agents start again paused`);
      return event;
    }
    this.pool.control('pause');
    ctx.setStatus('paused');
    ctx.log.info('orchestrator', `paused (${automatic ? 'automatic' : source})`);
    return event;
  }

  resume(source: CommandSource): Promise<MegatestEvent> {
    return this.command('continue', () => this.doContinue(source, true), 'person');
  }

  /** The usage-limit hold is over (its first wait ended): continues, keeping the recovery's counts, unless the session is stopping or no longer paused. */
  async continueAfterHold(): Promise<void> {
    await this.command('continue', () => this.doContinue('engine', false)).catch((error: unknown) => {
      if (!(error instanceof ControlError)) throw error;
    });
  }

  /** resetRecovery: a person (or the disk guard) continues, and the recovery's counts start again. */
  private async doContinue(source: CommandSource, resetRecovery: boolean): Promise<MegatestEvent> {
    const { ctx, pool } = this;
    if (!this.paused()) throw new ControlError(`the session is ${ctx.status}, not paused`, 409);
    const event = ctx.emit({ type: 'command', name: 'continue', source });
    // A person's continue of a held session has the waiting agents try again now.
    if (source !== 'engine') this.limitHold?.continuedByPerson();
    if (resetRecovery) this.recovery?.reset(source);
    const restoring = ctx.restoreUnderWay;
    if (restoring) {
      // The restore starts every agent again (starting them here too would make two of each): they start running.
      restoring.endsPaused = false;
      ctx.log.info('orchestrator', `continued (${source}) during a restore: the agents start again running`);
      return event;
    }
    // Running before any agent is started again here: one started in a paused session is paused at once.
    ctx.setStatus('running');
    // Every running agent goes on first; then the ones gone while paused start again, one that cannot start
    // being that agent's crash for recovery (it stopped this loop half way, the agents after it left paused).
    for (const slot of pool.slots) if (slot.adapter && slot.throttledUntilMs <= Date.now()) slot.adapter.control('resume');
    for (const slot of pool.slots) {
      if (!slot.adapter && (await pool.startOrReport(slot, pool.resumeState(slot)))) pool.assignRemaining(slot);
    }
    ctx.log.info('orchestrator', `continued (${source})`);
    return event;
  }

  stop(source: CommandSource): Promise<MegatestEvent> {
    return this.command('stop', async () => {
      const event = this.ctx.emit({ type: 'command', name: 'stop', source });
      this.ctx.requestStop({ status: 'interrupted', reason: `stopped by ${source}`, exitCode: 130 });
      return event;
    }, 'person');
  }

  /** SIGUSR1: a status block into session.log. */
  writeStatusBlock(): void {
    const { ctx } = this;
    const m = this.metrics();
    const lines = [
      `status block (SIGUSR1): session ${ctx.info.session_id}, status ${ctx.status}, phase ${ctx.currentPhase.name} (${ctx.phaseIndex + 1}/${ctx.phases.length})`,
      `elapsed ${m?.elapsed_seconds ?? 0} s of ${ctx.config.session.duration_seconds} s; tokens ${m?.total_tokens ?? 'not recorded'}; tool calls ${m?.tool_calls ?? 0}; tasks ${m?.tasks_completed ?? 0} done, ${m?.tasks_remaining ?? 0} left`,
      `LOC ${ctx.state.measured.linesOfCode ?? 'not measured yet'}; tests ${testsText(ctx.state.measured)}; coverage ${ctx.state.measured.testCoverage ?? 'n/a'}%; checkpoints ${ctx.state.counters.checkpoints}; errors ${ctx.state.counters.errors}; recoveries ${ctx.state.counters.recoveriesSucceeded}`,
      ...this.pool.slots.map((s) => {
        const a = ctx.state.agents.find((x) => x.name === s.name);
        return `  ${s.name} (${s.role}) ${a?.status ?? 'starting'} pid ${s.adapter?.pid ?? '-'} tokens ${a?.tokens ?? 0} tool calls ${a?.toolCalls ?? 0} task ${a?.task ?? '-'}`;
      }),
    ];
    for (const line of lines) ctx.log.info('status', line);
    ctx.log.flush();
  }

  /**
   * SIGQUIT (Ctrl-\ on a headless run: a stop that does not wait): every
   * agent's process group is killed, which the terminal's SIGQUIT does not
   * reach, and what is queued for events.jsonl and session.log is written.
   * The caller then exits at once. The run is then as after a kill -9 of
   * this orchestrator, but with no agent left working and spending:
   * `megatest resume` carries it on from its last checkpoint.
   */
  quitNow(signal: string): void {
    const { ctx } = this;
    let killed = 0;
    for (const slot of this.pool.slots) {
      const pid = slot.adapter?.pid;
      if (pid === undefined) continue;
      slot.expectingExit = true;
      try {
        process.kill(-pid, 'SIGKILL');
        killed += 1;
      } catch {
        // gone already
      }
    }
    ctx.log.error('orchestrator', `${signal}: quit at once, ${countOf(killed, 'agent process group')} killed, no final checkpoint or report; megatest resume carries the run on from its last checkpoint`);
    ctx.events.flush();
    ctx.log.flush();
  }

  /**
   * SIGTSTP (Ctrl-Z on a headless run in the foreground): the terminal stops
   * this orchestrator, not its agents, which lead process groups of their
   * own; they are stopped with it and continued with it (a paused one stays
   * paused). The watchdog's gap rule covers the time stopped; the run's
   * clock, wall time, counts it.
   */
  suspendWithShell(suspend: (groups: number[]) => SuspendedJob): void {
    const groups = this.pool.slots.flatMap((slot) => (slot.adapter?.pid === undefined ? [] : [slot.adapter.pid]));
    const job = suspend(groups);
    const paused = job.leftStopped > 0 ? `; ${job.leftStopped} already stopped (paused) stay so` : '';
    this.ctx.log.info('orchestrator', `stopped by SIGTSTP (Ctrl-Z) for ${job.seconds} s, ${countOf(job.stopped, 'agent process group')} with it, continued now${paused}`);
  }
}
