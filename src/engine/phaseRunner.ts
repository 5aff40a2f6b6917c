// The phase runner: starts each phase with its backlog, sees when it is
// over (its tasks done or its time up), judges it at its gate and moves on.
// The gate's build and test run go on in the background; the phase ends
// when they come back, so commands are never queued behind them. A phase's
// time includes its gate's (schedule.ts keeps a reserve for it), and the
// session's duration is a hard limit: at its end a gate still running is cut
// short and the session ends timed out; only the last phase's gate, its tasks
// all done, gets a few seconds' grace (LAST_GATE_GRACE_SECONDS) to finish.

import type { MeasuredFacts } from '../report/criteria.js';
import { criticalPassed, evaluateCriteria, testsUnmeasured } from '../report/criteria.js';
import { locScaleFor, scaleLocCriteria } from '../report/locScale.js';
import type { AgentPool } from './agentPool.js';
import type { EngineContext } from './context.js';
import { commitAll } from './git.js';
import type { GateMeasurement, Measurer } from './measurer.js';
import { gateReserveSeconds, LAST_GATE_GRACE_SECONDS, remainingPhaseBudget } from './schedule.js';

export interface PhaseRunnerHooks {
  /** The phase-end checkpoint (when checkpoint.on_phase_end is set). */
  phaseCheckpoint(): Promise<void>;
  /** 1 when every checkpoint so far is valid, else 0. */
  checkpointsValid(): number;
}

export class PhaseRunner {
  /** A phase-end gate in flight: its restore generation. */
  private gateGeneration: number | null = null;
  /** When the gate in flight began (wall ms). */
  private gateStartedMs = 0;
  /**
   * Wall seconds the last phase end took, from its gate's start to the next
   * phase's: build, tests, counts, the commit and the phase checkpoint. The
   * next phases keep that much (with headroom) for theirs; null before the first.
   */
  private lastPhaseEndSeconds: number | null = null;
  /** The last gate's grace was announced in the log (once). */
  private graceLogged = false;

  constructor(
    private readonly ctx: EngineContext,
    private readonly pool: AgentPool,
    private readonly measurer: Measurer,
    private readonly hooks: PhaseRunnerHooks,
  ) {}

  get gateRunning(): boolean {
    return this.gateGeneration !== null;
  }

  /** Starts phase `index` on the time left, and hands out its tasks. */
  start(index: number): void {
    const { ctx } = this;
    const phase = ctx.phases[index]!;
    const budget = remainingPhaseBudget(ctx.phases, index, ctx.sessionSecondsLeft(), this.lastPhaseEndSeconds);
    const tasks = ctx.phaseTasks(index);
    ctx.emit({ type: 'phase_started', phase: phase.name, index, duration_seconds: Math.round(budget * 1000) / 1000, tasks });
    this.keepGateReserve();
    ctx.log.info(
      'orchestrator',
      `phase ${index + 1}/${ctx.phases.length} ${phase.name}: ${tasks.length} tasks, ${Math.round(budget)} s (${Math.round(ctx.gateReserveSeconds)} s of it kept for the phase-end build and tests)`,
    );
    this.pool.planPhase(index);
    this.pool.assignAll();
  }

  /** The current phase goes on (after a resume or restore): plan it again and hand out what is left. */
  continueCurrent(): void {
    this.keepGateReserve();
    this.pool.planPhase(this.ctx.phaseIndex);
    this.pool.assignAll();
  }

  /** The current phase's reserve for its gate, from what the last gate took. */
  private keepGateReserve(): void {
    const phase = this.ctx.state.phases[this.ctx.phaseIndex];
    this.ctx.gateReserveSeconds = gateReserveSeconds(phase?.durationSeconds ?? 0, this.lastPhaseEndSeconds);
  }

  tasksDone(): boolean {
    const done = this.ctx.completedTasks();
    return this.ctx.phaseTasks(this.ctx.phaseIndex).every((t) => done.has(t));
  }

  /** The phase's time for work is up (or the session's): what is left is its gate's. */
  private timeUp(): boolean {
    const { ctx } = this;
    const phase = ctx.state.phases[ctx.phaseIndex];
    const schedule = ctx.scheduleMs() / 1000;
    const phaseUsed = phase?.startedAtSeconds === null || phase === undefined ? 0 : schedule - phase.startedAtSeconds;
    return phaseUsed >= (phase?.durationSeconds ?? 0) - ctx.gateReserveSeconds || ctx.sessionSecondsLeft() <= ctx.gateReserveSeconds;
  }

  private sessionTimeUp(): boolean {
    return this.ctx.sessionSecondsLeft() <= 0;
  }

  /** The session's time is up, but the last phase's tasks are done and its gate, measuring them, is within its grace. */
  private lastGateInGrace(): boolean {
    const { ctx } = this;
    const last = ctx.phaseIndex >= ctx.phases.length - 1;
    if (!last || !this.gateRunning || !this.tasksDone() || ctx.sessionSecondsLeft() <= -LAST_GATE_GRACE_SECONDS) return false;
    if (!this.graceLogged) {
      this.graceLogged = true;
      ctx.log.info('orchestrator', `the session's time is up while the ${ctx.currentPhase.name} gate measures its finished tasks: it gets up to ${LAST_GATE_GRACE_SECONDS} s more`);
    }
    return true;
  }

  /** The session's duration is up: a gate still measuring is cut short, and the session ends. */
  private stopAtDeadline(): void {
    const { ctx } = this;
    const where = `phase ${ctx.phaseIndex + 1} of ${ctx.phases.length}`;
    if (this.gateRunning) {
      ctx.log.warn('orchestrator', `the session's time is up while the ${ctx.currentPhase.name} gate was measuring: its build and tests are cut short`);
      this.measurer.abortInFlight();
    }
    ctx.requestStop({ status: 'timeout', reason: `duration limit reached in ${where}`, exitCode: 124 });
  }

  /** One step of the phase logic, on the serial queue. */
  tick(): void {
    if (this.sessionTimeUp() && !(this.ctx.state.phaseEnded && this.ctx.phaseIndex >= this.ctx.phases.length - 1)) {
      if (this.lastGateInGrace()) return;
      this.stopAtDeadline();
      return;
    }
    if (this.gateRunning) return;
    if (this.ctx.state.phaseEnded) {
      this.afterPhaseEnded();
      return;
    }
    if (this.tasksDone() || this.timeUp()) this.startGate();
  }

  private startGate(): void {
    const generation = this.ctx.restoreGeneration;
    this.gateGeneration = generation;
    this.gateStartedMs = Date.now();
    const finished = (measured: GateMeasurement | null) =>
      this.ctx.queue.run(async () => {
        this.gateGeneration = null;
        // A restore while the gate measured: the phase it judged is gone.
        if (measured === null || generation !== this.ctx.restoreGeneration || this.ctx.stopRequest) return;
        await this.endPhase(measured);
      });
    this.measurer
      .gates()
      .then(finished, async (error: unknown) => {
        this.ctx.internalError(error);
        await finished(null);
      })
      // A phase's end that failed is logged, never an unhandled rejection that ends the orchestrator.
      .catch((error: unknown) => this.ctx.internalError(error));
  }

  /** Judges the phase on what its gate measured, commits, and records the phase end. */
  private async endPhase(measured: GateMeasurement): Promise<void> {
    const { ctx } = this;
    const phase = ctx.currentPhase;
    const scale = locScaleFor(ctx.config.session.duration_seconds, ctx.phases);
    const unmeasured = {
      ...(measured.testsRead ? {} : testsUnmeasured(measured.buildOk ? "the gate's test run gave no results" : "the gate's build failed and its test run gave no results")),
      // The gate's test run is folded before its phase ends: its coverage problem is the fold's now.
      ...(measured.testsRead && ctx.state.measured.coverageProblem !== null ? { test_coverage: `the gate's test run gave no coverage: ${ctx.state.measured.coverageProblem}` } : {}),
      ...(measured.benchmarkProblem === null ? {} : { ops_per_second: `the benchmark ${measured.benchmarkProblem}` }),
    };
    const criteria = evaluateCriteria(scaleLocCriteria(phase.criteria, scale), this.facts(measured), unmeasured);
    const passed = criticalPassed(criteria);
    // A person's pause, continue and stop are answered during the commit (seconds in a big project), as during the
    // checkpoint's walk after it: they signal the agents, which work on beside a commit as beside any gate.
    const commit = await ctx.queue.letCommandsIn(() =>
      commitAll(ctx.paths.project, `megatest: end of phase ${phase.name}`).catch((e: Error) => {
        ctx.log.warn('git', `commit failed: ${e.message}`);
        return null;
      }),
    );
    ctx.emit({ type: 'phase_ended', phase: phase.name, index: ctx.phaseIndex, criteria, passed });
    ctx.log.info(
      'orchestrator',
      `phase ${phase.name} ended: ${criteria.filter((c) => c.passed).length}/${criteria.length} criteria met${commit ? `, commit ${commit.slice(0, 10)}` : ''}`,
    );
    for (const c of criteria) if (!c.passed) ctx.log.warn('criteria', `${phase.name}: ${c.id} (${c.level}) not met: ${c.evidence}`);
    if (ctx.config.checkpoint.enabled && ctx.config.checkpoint.on_phase_end) await this.hooks.phaseCheckpoint();
    this.lastPhaseEndSeconds = (Date.now() - this.gateStartedMs) / 1000;
    if (ctx.status === 'running') this.afterPhaseEnded();
  }

  /** The next phase, or the end of the session. */
  private afterPhaseEnded(): void {
    const { ctx } = this;
    if (ctx.phaseIndex >= ctx.phases.length - 1) {
      if (!this.tasksDone()) {
        ctx.requestStop({ status: 'timeout', reason: 'duration limit reached before the last phase finished its tasks', exitCode: 124 });
      } else {
        ctx.requestStop({ status: 'completed', reason: 'all phases completed', exitCode: 0 });
      }
      return;
    }
    if (this.sessionTimeUp()) {
      ctx.requestStop({ status: 'timeout', reason: `duration limit reached in phase ${ctx.phaseIndex + 1} of ${ctx.phases.length}`, exitCode: 124 });
      return;
    }
    this.start(ctx.phaseIndex + 1);
  }

  /** The facts criteria are judged on: the gate's measurements and the fold's figures. */
  facts(measured: Pick<GateMeasurement, 'buildOk' | 'linesOfCode' | 'docCoverage' | 'testsRead' | 'opsPerSecond'>): MeasuredFacts {
    const { ctx } = this;
    // The gate's own test run gave nothing (the build failed): the last figures the fold holds are an older run's, not this gate's.
    const m = measured.testsRead ? ctx.state.measured : { testsPassed: null, testsFailed: null, testPassRate: null, testCoverage: null };
    const total = m.testsPassed === null ? null : m.testsPassed + (m.testsFailed ?? 0);
    const tasksSoFar = ctx.phases.slice(0, ctx.phaseIndex + 1).reduce((n, _p, i) => n + ctx.phaseTasks(i).length, 0);
    return {
      build_ok: measured.buildOk === null ? null : measured.buildOk ? 1 : 0,
      test_pass_rate: total ? m.testPassRate : null,
      test_coverage: m.testCoverage,
      lines_of_code: measured.linesOfCode,
      doc_coverage: measured.docCoverage,
      tests_total: total,
      tasks_completed_ratio: tasksSoFar > 0 ? ctx.state.tasksDone.length / tasksSoFar : null,
      fatal_errors: ctx.state.counters.fatalErrors,
      checkpoints_valid: this.hooks.checkpointsValid(),
      data_loss_events: ctx.state.seqGaps,
      ops_per_second: measured.opsPerSecond,
    };
  }
}
