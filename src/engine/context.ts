// What every part of the engine shares: the run's settings and folder, the
// event log with its one fold (the engine's own view of the run is the same
// RunState that status, the report and the console fold), the serial queue
// that orders short state changes, and the session's status word.

import type { MegatestConfig, PhaseConfig, ProjectTemplate } from '../config/types.js';
import type { EventInput, MegatestEvent } from '../contract/events.js';
import type { SessionStatus } from '../contract/statuses.js';
import { EventLog, SessionLog } from '../io/eventLog.js';
import { type RunPaths, writeStatus } from '../io/runFolder.js';
import { WriteHealth } from '../io/writeHealth.js';
import type { RunInfo } from '../io/runInfo.js';
import { CheckpointStore } from '../checkpoint/store.js';
import { foldEvent } from '../state/fold.js';
import { phaseDurations } from './schedule.js';
import { completedTaskSet, elapsedMsAt, initialRunState, scheduleSecondsAt, type RunState } from '../state/runState.js';
import { activityLine } from './activityLog.js';
import { SerialQueue } from './serialQueue.js';
import { Notifier } from './notify.js';

export interface StopRequest {
  status: SessionStatus;
  reason: string;
  exitCode: number;
}

export interface EngineContextOptions {
  info: RunInfo;
  paths: RunPaths;
  /** Called for every event, with the run's state folded up to it (headless progress lines). */
  onEvent?: (event: MegatestEvent, state: RunState) => void;
  /**
   * Nobody can answer a pause for a person (CI is set): such a pause ends
   * the session instead, failed, rather than holding it (and the CI job) for
   * ever, since paused time does not count against the duration.
   */
  unattended?: boolean;
}

export class EngineContext {
  readonly config: MegatestConfig;
  readonly unattended: boolean;
  readonly template: ProjectTemplate;
  readonly info: RunInfo;
  readonly paths: RunPaths;
  readonly events: EventLog;
  readonly log: SessionLog;
  readonly store: CheckpointStore;
  readonly notifier: Notifier;
  /** Whether the run folder takes writes; a full disk pauses the session (diskGuard.ts). */
  readonly health = new WriteHealth();
  /** Short state changes, one at a time: commands, ticks, phase changes. Never a build or test run. */
  readonly queue = new SerialQueue();
  /** The fold of every event this run wrote: the engine's own view of it. */
  state: RunState = initialRunState();
  status: SessionStatus = 'starting';
  stopRequest: StopRequest | null = null;
  /** Bumped by each restore: work that began before it measured a project/ that is gone. */
  restoreGeneration = 0;
  /**
   * A restore mid-session that is stopping the agents and putting project/
   * back (seconds in a big project): a person's pause and continue are
   * answered meanwhile (ControlSurface) and only say whether the agents it
   * then starts again start paused.
   */
  restoreUnderWay: { endsPaused: boolean } | null = null;
  /** Seconds of the current phase's budget kept for its gate (the phase runner sets it as the phase starts). */
  gateReserveSeconds = 0;
  private stopWaiter: ((request: StopRequest) => void) | null = null;

  constructor(options: EngineContextOptions) {
    this.info = options.info;
    this.config = options.info.config;
    this.template = options.info.template;
    this.paths = options.paths;
    this.unattended = options.unattended ?? false;
    this.events = new EventLog(options.paths.events, this.health);
    this.log = new SessionLog(options.paths.sessionLog, this.health, this.config.monitoring.log_level);
    this.store = new CheckpointStore(options.paths.checkpoints);
    this.notifier = new Notifier(this.config.notifications, options.info.session_id, (level, message) => this.log.write(level, 'notify', message));
    this.events.onEvent((event) => {
      this.state = foldEvent(this.state, event);
      const line = activityLine(event, options.info.simulated);
      if (line) this.log.write(line.level, line.source, line.message);
      this.notifier.onEvent(event);
      options.onEvent?.(event, this.state);
    });
  }

  emit(input: EventInput): MegatestEvent {
    return this.events.emit(input);
  }

  setStatus(status: SessionStatus): void {
    this.status = status;
    this.writeStatusFile();
  }

  /** Writes the status file; a disk that refuses it stalls the session (the guard writes it again), never crashes it. */
  writeStatusFile(): boolean {
    try {
      writeStatus(this.paths, this.status);
      this.health.ok('status');
      return true;
    } catch (error) {
      this.health.fail('status', error);
      return false;
    }
  }

  get phases(): PhaseConfig[] {
    return this.config.phases;
  }

  /** Index of the phase the fold says the run is in (0 before the first starts). */
  get phaseIndex(): number {
    return Math.max(0, Math.min(this.state.currentPhaseIndex, this.phases.length - 1));
  }

  get currentPhase(): PhaseConfig {
    return this.phases[this.phaseIndex]!;
  }

  /** Active time of the session, from the fold's clock. */
  elapsedMs(nowMs = Date.now()): number {
    return elapsedMsAt(this.state, nowMs);
  }

  /** Where the schedule stands (ms): elapsed less what restores gave back. */
  scheduleMs(nowMs = Date.now()): number {
    return scheduleSecondsAt(this.state, nowMs) * 1000;
  }

  completedTasks(): Set<string> {
    return completedTaskSet(this.state);
  }

  /** The tasks of phase `index`: the template's backlog, else the phase's objectives. */
  phaseTasks(index: number): string[] {
    const phase = this.phases[index]!;
    const fromTemplate = this.template.tasks[phase.name];
    return fromTemplate && fromTemplate.length > 0 ? fromTemplate : phase.objectives;
  }

  /**
   * Seconds of the session's duration left: the duration limits active time
   * (pauses excluded), restores or not, so a run given N seconds ends by N.
   */
  sessionSecondsLeft(nowMs = Date.now()): number {
    return this.config.session.duration_seconds - this.elapsedMs(nowMs) / 1000;
  }

  /** Seconds of the current phase's budget left for work (and of the session's), its gate's reserve kept back (at least 1). */
  phaseSecondsLeft(nowMs = Date.now()): number {
    const phase = this.state.phases[this.phaseIndex];
    if (!phase || phase.startedAtSeconds === null) return 1;
    const phaseLeft = phase.durationSeconds - (this.scheduleMs(nowMs) / 1000 - phase.startedAtSeconds);
    return Math.max(1, Math.min(phaseLeft, this.sessionSecondsLeft(nowMs)) - this.gateReserveSeconds);
  }

  internalError(error: unknown): void {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    this.log.error('orchestrator', `internal error: ${message}`);
  }

  /** Runs a job on the serial queue in the background; a failure is logged, never thrown. */
  background(job: () => Promise<unknown>): void {
    void this.queue.run(job).catch((e) => this.internalError(e));
  }

  /** A new session's first event: what it is, its agents and its phases with their nominal durations and tasks. */
  announceSession(): void {
    const { info, config } = this;
    const nominal = phaseDurations(this.phases, config.session.duration_seconds);
    this.emit({
      type: 'session_started',
      session_id: info.session_id,
      project: this.template.type,
      project_name: this.template.name,
      agent_kind: info.agent_kind,
      simulated: info.simulated,
      // The agents that run: [agent] concurrent_agents caps agent_count (a limit event says so), and the views count these.
      agents: Math.min(config.session.agents, config.limits.max_parallel_agents),
      duration_seconds: config.session.duration_seconds,
      phases: this.phases.map((p, i) => ({ name: p.name, duration_seconds: Math.round(nominal[i]!), tasks: this.phaseTasks(i) })),
      megatest_version: info.megatest_version,
    });
  }

  requestStop(request: StopRequest): void {
    if (this.stopRequest) return;
    this.stopRequest = request;
    this.stopWaiter?.(request);
  }

  waitForStop(): Promise<StopRequest> {
    if (this.stopRequest) return Promise.resolve(this.stopRequest);
    return new Promise((resolve) => {
      this.stopWaiter = resolve;
    });
  }
}
