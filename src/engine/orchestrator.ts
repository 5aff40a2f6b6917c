// The orchestrator owns a run: it starts the agents, walks the phases, takes
// metrics and checkpoints, handles failures and limits, and writes the run
// folder. It never depends on a console: everything it knows goes into the
// run folder, and controllers reach it through EngineControl.

import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { AgentAdapter, AgentExit, AgentMessage, AgentResumeState } from '../agents/types.js';
import { createAdapter } from '../agents/index.js';
import type { MegatestConfig, PhaseConfig, ProjectTemplate, RecoveryAction } from '../config/types.js';
import { EventLog, SessionLog, repairEventLog } from '../io/eventLog.js';
import { UsageError } from '../config/errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { type RunPaths, writeMetricsCurrent, writeStatus } from '../io/runFolder.js';
import { countLines } from '../measure/loc.js';
import { measureDocCoverage } from '../measure/docCoverage.js';
import { CheckpointStore } from './checkpoint/store.js';
import type { CheckpointBody } from './checkpoint/types.js';
import { CheckpointInvalidError, type LoadedCheckpoint } from './checkpoint/store.js';
import { backoffSeconds, classifyError, WATCHDOG_CLASSES, type Classification } from './classify.js';
import { ActiveClock, SerialQueue } from './clock.js';
import { ControlError, type CheckpointSummary, type EngineControl, type StatusSnapshot } from './control.js';
import { criticalPassed, evaluateCriteria, type MeasuredFacts } from './criteria.js';
import type { CheckpointTrigger, CommandSource, EventInput, MegatestEvent, SessionStatus } from './events.js';
import { commitAll, filesModifiedSince, headCommit, initProjectRepo } from './git.js';
import type { AgentMetrics, SessionMetrics } from './metrics.js';
import { runBuild, runTests, type TestRunResult } from './projectGates.js';
import { diskUsageBytes, freeDiskBytes, memoryUsageMb } from './resources.js';
import type { RunInfo } from './runInfo.js';
import { distributeTasks, remainingPhaseBudget, rolesFor } from './schedule.js';
import { completedTasks, emptyTally, tallyEvent, tokensPerMinute, type RunTally } from './tally.js';
import { buildReport, writeReport } from './report.js';
import { keepAttempt } from './attempts.js';
import { Notifier } from './notify.js';

const TICK_MS = 250;
/** Share of agent.max_context_size at which an agent's context is compressed. */
const CONTEXT_COMPRESS_SHARE = 0.9;
/** CPU ticks (1/100 s) an agent may use in a quiet window and still count as idle rather than working. */
const IDLE_CPU_TICKS = 2;
const GB = 1024 ** 3;

export interface OrchestratorOptions {
  info: RunInfo;
  paths: RunPaths;
  /** Resume a session from a checkpoint (newest valid when id is undefined). */
  resume?: { checkpointId?: string };
  /** Called for every event (headless progress lines). */
  onEvent?: (event: MegatestEvent) => void;
}

interface AgentSlot {
  name: string;
  role: string;
  index: number;
  adapter: AgentAdapter | null;
  modelIndex: number;
  objectives: string[];
  /** Set while megatest itself stops or restarts the agent. */
  expectingExit: boolean;
  lastOutputMs: number;
  /** CPU ticks of the agent at the first watchdog sample after its last output. */
  quietCpuBase: number | null;
  lastCpuCheckMs: number;
  hungReported: boolean;
  /** A compression is queued or running: further context reports must not queue more. */
  compressing: boolean;
  /** Recovery attempts per error class, reset when the agent makes progress. */
  attempts: Map<string, number>;
  /** Errors since the agent last made progress. */
  consecutiveErrors: number;
  pendingRecovery: { class: string; action: string; attempt: number } | null;
  throttledUntilMs: number;
  windowTokens: { ms: number; n: number }[];
  windowToolCalls: number[];
  idleSinceMs: number | null;
}

interface StopRequest {
  status: SessionStatus;
  reason: string;
  exitCode: number;
}

export class Orchestrator implements EngineControl {
  private readonly config: MegatestConfig;
  private readonly template: ProjectTemplate;
  private readonly events: EventLog;
  private readonly log: SessionLog;
  private readonly store: CheckpointStore;
  private readonly notifier: Notifier;
  private readonly clock = new ActiveClock();
  private readonly queue = new SerialQueue();
  private readonly tally: RunTally = emptyTally();
  private readonly slots: AgentSlot[] = [];
  private sessionStatus: SessionStatus = 'starting';
  private phaseIndex = 0;
  /** The current phase's phase_ended is written; the next phase has not started. */
  private currentPhaseEnded = false;
  private phaseStartMs = 0;
  private phaseBudgetMs = 0;
  private rootCommit = '';
  private lastMetrics: SessionMetrics | null = null;
  private lastCheckpoint: CheckpointSummary | null = null;
  private checkpointCount = 0;
  private lastCheckpointActiveMs = 0;
  private toolCallsAtCheckpoint = 0;
  private tokensAtCheckpoint = 0;
  private lastTestRun: TestRunResult | null = null;
  private lastBuildOk: boolean | null = null;
  private testsRunning = false;
  private testsInFlight: Promise<void> | null = null;
  private tasksAtLastTestRun = 0;
  private lastTestRunMs = 0;
  private measuring = false;
  private stopRequest: StopRequest | null = null;
  private sessionErrorsInARow = 0;
  private dataLossEvents = 0;
  private invalidCheckpoints = 0;
  /** Bumped by each restore: a test run that began before it measured a project/ that is gone. */
  private restoreGeneration = 0;
  private diskPaused = false;
  private finished: Promise<number> | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private metricsTimer: NodeJS.Timeout | null = null;
  private readonly startedAt = new Date().toISOString();

  constructor(private readonly options: OrchestratorOptions) {
    this.config = options.info.config;
    this.template = options.info.template;
    this.events = new EventLog(options.paths.events);
    this.log = new SessionLog(options.paths.sessionLog);
    this.store = new CheckpointStore(options.paths.checkpoints);
    this.notifier = new Notifier(this.config.notifications, options.info.session_id, (level, message) =>
      this.log.write(level, 'notify', message),
    );
    this.events.onEvent((event) => {
      tallyEvent(this.tally, event);
      this.notifier.onEvent(event);
      options.onEvent?.(event);
    });
  }

  // ---------------------------------------------------------------- lifecycle

  /** Runs the session to its end; resolves with the exit code (DESIGN §2). */
  run(): Promise<number> {
    this.finished ??= this.runSession();
    return this.finished;
  }

  private emit(input: EventInput): MegatestEvent {
    return this.events.emit(input);
  }

  private setStatus(status: SessionStatus): void {
    this.sessionStatus = status;
    writeStatus(this.options.paths, status);
  }

  private get phases(): PhaseConfig[] {
    return this.config.phases;
  }

  private get currentPhase(): PhaseConfig {
    return this.phases[Math.min(this.phaseIndex, this.phases.length - 1)]!;
  }

  private async runSession(): Promise<number> {
    const { info } = this.options;
    let resuming = this.options.resume !== undefined;
    const namedCheckpoint = this.options.resume?.checkpointId;
    if (namedCheckpoint !== undefined) {
      // Refuse before touching anything: the run folder stays as it was.
      try {
        await this.store.read(namedCheckpoint);
      } catch (error) {
        throw new UsageError(`megatest resume --checkpoint ${namedCheckpoint}: refused: ${(error as Error).message}`);
      }
    }
    if (resuming) {
      // Replay the existing log so counters continue where they were.
      this.replayExistingEvents();
      this.setStatus('recovering');
      this.cleanUpAfterPreviousOrchestrator();
      if (this.tally.session_id === '' && namedCheckpoint === undefined) {
        // Killed before its first event: there is nothing to resume, only to start.
        this.log.warn('orchestrator', 'events.jsonl has no session_started: the session starts from the beginning');
        resuming = false;
      }
    } else {
      this.setStatus('starting');
    }
    this.log.info('orchestrator', `${resuming ? 'resuming' : 'starting'} session ${info.session_id} (pid ${process.pid})`);
    if (info.simulated) this.log.info('orchestrator', 'agent kind sim: the agents are a labelled SIMULATION, not a real model');
    this.rootCommit = await this.openProjectRepo(resuming);

    const durationMs = this.config.session.duration_seconds * 1000;
    if (!resuming) {
      this.emit({
        type: 'session_started',
        session_id: info.session_id,
        project: this.template.type,
        project_name: this.template.name,
        agent_kind: info.agent_kind,
        simulated: info.simulated,
        agents: this.config.session.agents,
        duration_seconds: this.config.session.duration_seconds,
        phases: this.phases.map((p, i) => ({
          name: p.name,
          duration_seconds: Math.round(this.nominalPhaseSeconds(i)),
        })),
        megatest_version: info.megatest_version,
      });
    }
    // Controllers (API, signals) wait until the agents and the phase are set up.
    await this.queue.run(() => this.startUp(resuming, namedCheckpoint));

    this.ticker = setInterval(() => void this.queue.run(() => this.tick(durationMs)).catch((e) => this.internalError(e)), TICK_MS);
    this.metricsTimer = setInterval(
      () => void this.takeMetrics().catch((e) => this.internalError(e)),
      this.config.monitoring.health_check_interval * 1000,
    );
    void this.takeMetrics().catch((e) => this.internalError(e));

    const request = await this.waitForStop();
    return this.finish(request);
  }

  private async startUp(resuming: boolean, namedCheckpoint: string | undefined): Promise<void> {
    this.createSlots();
    if (resuming) {
      this.emit({ type: 'command', name: 'resume', source: 'cli', detail: namedCheckpoint ?? 'newest valid checkpoint' });
      const restored = await this.resumeFromCheckpoint(namedCheckpoint);
      if (!restored) {
        // Nothing to roll back to: the phase the log reached starts again on
        // the current project/, its finished tasks kept, the clock where the
        // last metrics snapshot left it.
        this.phaseIndex = Math.max(0, this.phases.findIndex((p) => p.name === this.tally.phase));
        this.clock.set(this.replayedElapsedMs);
        await this.startAllAgents();
        this.startPhase(this.phaseIndex, false);
      }
    } else {
      await this.startAllAgents();
      this.clock.start();
      this.startPhase(0, false);
    }
    this.clock.start();
    if (this.sessionStatus !== 'paused') this.setStatus('running');
  }

  private stopWaiter: ((request: StopRequest) => void) | null = null;

  private waitForStop(): Promise<StopRequest> {
    if (this.stopRequest) return Promise.resolve(this.stopRequest);
    return new Promise((resolve) => {
      this.stopWaiter = resolve;
    });
  }

  private requestStop(request: StopRequest): void {
    if (this.stopRequest) return;
    this.stopRequest = request;
    this.stopWaiter?.(request);
  }

  private internalError(error: unknown): void {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    this.log.error('orchestrator', `internal error: ${message}`);
  }

  /** Graceful stop from a signal (SIGINT/SIGTERM). */
  interrupt(signal: string): void {
    this.emit({ type: 'command', name: 'stop', source: 'signal', detail: signal });
    this.requestStop({ status: 'interrupted', reason: `interrupted by ${signal}`, exitCode: 130 });
  }

  private nominalPhaseSeconds(index: number): number {
    const total = this.phases.reduce((s, p) => s + p.weight, 0) || 1;
    return (this.config.session.duration_seconds * this.phases[index]!.weight) / total;
  }

  /** Active seconds the replayed log reached (its last metrics snapshot), in ms. */
  private replayedElapsedMs = 0;

  private replayExistingEvents(): void {
    // The EventLog already repaired a torn tail; fold what is there.
    const text = readFileSafe(this.options.paths.events);
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const event = JSON.parse(line) as MegatestEvent;
        tallyEvent(this.tally, event);
        if (event.type === 'metrics') this.replayedElapsedMs = event.metrics.elapsed_seconds * 1000;
      } catch {
        // repairEventLog left only whole lines; a bad one is skipped
      }
    }
  }

  /**
   * What a killed orchestrator can leave behind: agents still running (a hung
   * one ignores its closed stdin), a torn last line of metrics.jsonl, temp
   * files of atomic writes, git's index.lock.
   */
  private cleanUpAfterPreviousOrchestrator(): void {
    const { paths } = this.options;
    for (let i = 0; i < this.config.session.agents; i++) {
      const name = `agent-${i + 1}`;
      const pidFile = path.join(paths.agents, name, 'agent.pid');
      const pid = Number(readFileSafe(pidFile).trim());
      if (Number.isInteger(pid) && pid > 0 && processBelongsToRun(pid, paths.root)) {
        try {
          process.kill(-pid, 'SIGKILL');
          this.log.warn('orchestrator', `${name}: killed the process group ${pid} the previous orchestrator left running`);
        } catch {
          // already gone
        }
      }
    }
    if (existsSync(paths.metricsHistory)) {
      const { droppedBytes } = repairEventLog(paths.metricsHistory);
      if (droppedBytes > 0) this.log.warn('orchestrator', `metrics/metrics.jsonl: dropped a torn last line (${droppedBytes} bytes)`);
    }
    for (const dir of [paths.root, paths.metricsDir]) {
      let names: string[] = [];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        const match = /^\..*\.(\d+)\.\d+\.tmp$/.exec(name);
        if (match && Number(match[1]) !== process.pid && !pidAlive(Number(match[1]))) rmSync(path.join(dir, name), { force: true });
      }
    }
    const lock = path.join(paths.project, '.git', 'index.lock');
    if (existsSync(lock)) {
      unlinkSync(lock);
      this.log.warn('git', 'removed project/.git/index.lock left by the killed orchestrator');
    }
  }

  /** git init of project/; a repo a kill left half made is made again (.git is not part of checkpoints). */
  private async openProjectRepo(resuming: boolean): Promise<string> {
    const project = this.options.paths.project;
    try {
      return await initProjectRepo(project);
    } catch (error) {
      if (!resuming) throw error;
      this.log.warn('git', `project/.git unusable (${(error as Error).message.split('\n')[0]}); creating it again`);
      rmSync(path.join(project, '.git'), { recursive: true, force: true });
      return initProjectRepo(project);
    }
  }

  // ------------------------------------------------------------------- agents

  private createSlots(): void {
    const count = Math.min(this.config.session.agents, this.config.limits.max_parallel_agents);
    if (count < this.config.session.agents) {
      this.emit({
        type: 'limit',
        kind: 'parallel_agents',
        action: 'capped',
        detail: `${this.config.session.agents} agents asked for, ${count} run at once (limits.max_parallel_agents)`,
      });
    }
    const roles = rolesFor(count, this.config.agent.roles);
    for (let i = 0; i < count; i++) {
      this.slots.push({
        name: `agent-${i + 1}`,
        role: roles[i]!,
        index: i,
        adapter: null,
        modelIndex: 0,
        objectives: [],
        expectingExit: false,
        lastOutputMs: Date.now(),
        quietCpuBase: null,
        lastCpuCheckMs: 0,
        hungReported: false,
        compressing: false,
        attempts: new Map(),
        consecutiveErrors: 0,
        pendingRecovery: null,
        throttledUntilMs: 0,
        windowTokens: [],
        windowToolCalls: [],
        idleSinceMs: null,
      });
    }
  }

  private modelOf(slot: AgentSlot): string {
    const models = this.config.agents.models.length > 0 ? this.config.agents.models : [this.config.agent.model];
    return models[slot.modelIndex % models.length]!;
  }

  private async startAgent(slot: AgentSlot, resume?: AgentResumeState): Promise<void> {
    const { paths } = this.options;
    const agentDir = path.join(paths.agents, slot.name);
    mkdirSync(agentDir, { recursive: true });
    const adapter = createAdapter(
      this.config.agents.kind,
      {
        name: slot.name,
        role: slot.role,
        index: slot.index,
        sessionDir: paths.root,
        projectDir: paths.project,
        agentDir,
        model: this.modelOf(slot),
        seed: this.config.session.seed,
        phase: this.currentPhase.name,
        resume,
        // The sim caps its context here; real agents may read it too.
        env: { MEGATEST_MAX_CONTEXT: String(this.config.agent.max_context_size) },
      },
      {
        command: this.config.agents.command,
        sim: {
          template: this.template.type,
          seed: this.config.session.seed,
          tokensPerMinute: this.config.sim.tokens_per_minute,
          toolCallsPerMinute: this.config.sim.tool_calls_per_minute,
          faults: this.config.sim.faults.filter(
            (f) => (f.agent === '' ? slot.index === 0 : f.agent === slot.name) && f.kind !== 'corrupt_checkpoint',
          ),
          sessionStartMs: Date.parse(this.tally.started_at ?? this.startedAt),
        },
      },
    );
    slot.adapter = adapter;
    slot.expectingExit = false;
    slot.lastOutputMs = Date.now();
    slot.hungReported = false;
    slot.quietCpuBase = null;
    slot.compressing = false;
    await adapter.start(
      (message) => this.onAgentMessage(slot, adapter, message),
      (exit) => this.onAgentExit(slot, adapter, exit),
    );
    // A later `megatest resume` kills what a killed orchestrator left running.
    if (adapter.pid !== undefined) {
      await writeFileAtomic(path.join(agentDir, 'agent.pid'), `${adapter.pid}\n`).catch((e: Error) =>
        this.log.warn(slot.name, `cannot record the agent pid: ${e.message}`),
      );
    }
    this.emit({ type: 'agent_started', agent: slot.name, role: slot.role, model: this.modelOf(slot), pid: adapter.pid });
  }

  private async startAllAgents(resumeStates?: AgentResumeState[]): Promise<void> {
    await Promise.all(
      this.slots.map((slot) => this.startAgent(slot, resumeStates?.find((s) => s.name === slot.name))),
    );
  }

  private async stopAgent(slot: AgentSlot): Promise<void> {
    const adapter = slot.adapter;
    if (!adapter) return;
    slot.expectingExit = true;
    await adapter.stop(3000);
    slot.adapter = null;
  }

  private async restartAgent(slot: AgentSlot, reason: string): Promise<void> {
    const resume = slot.adapter?.resumeState();
    await this.stopAgent(slot);
    this.log.info(slot.name, `restarting (${reason})`);
    await this.startAgent(slot, resume ? { ...resume, model: this.modelOf(slot) } : undefined);
    this.assignRemaining(slot);
  }

  private assignRemaining(slot: AgentSlot): void {
    if (!slot.adapter) return;
    const done = completedTasks(this.tally);
    const remaining = slot.objectives.filter((t) => !done.has(t));
    const left = Math.max(1, (this.phaseBudgetMs - (this.clock.elapsedMs() - this.phaseStartMs)) / 1000);
    slot.adapter.assign({ phase: this.currentPhase.name, objectives: remaining, duration_seconds: Math.round(left) });
  }

  private onAgentMessage(slot: AgentSlot, adapter: AgentAdapter, message: AgentMessage): void {
    if (slot.adapter !== adapter) return; // a replaced process still draining
    const now = Date.now();
    slot.lastOutputMs = now;
    slot.hungReported = false;
    switch (message.type) {
      case 'tool_call':
        this.emit({ type: 'tool_call', agent: slot.name, tool: message.tool, ok: message.ok, duration_ms: message.duration_ms });
        slot.windowToolCalls.push(now);
        if (message.ok) this.onAgentProgress(slot);
        break;
      case 'tokens':
        this.emit({ type: 'tokens', agent: slot.name, input: message.input, output: message.output, model: message.model });
        slot.windowTokens.push({ ms: now, n: message.input + message.output });
        // A model call that came back is progress as much as a tool call is.
        this.onAgentProgress(slot);
        break;
      case 'state':
        this.emit({ type: 'agent_state', agent: slot.name, status: message.status, task: message.task });
        slot.idleSinceMs = message.status === 'idle' ? (slot.idleSinceMs ?? now) : null;
        break;
      case 'task_done': {
        const done = completedTasks(this.tally);
        if (!done.has(message.task)) {
          this.emit({ type: 'task_completed', agent: slot.name, task: message.task, phase: this.currentPhase.name });
        }
        this.onAgentProgress(slot);
        break;
      }
      case 'context':
        this.agentContext.set(slot.name, message.tokens);
        // "Near" the window (DESIGN §3): agents that cap their context at the
        // window would otherwise never go over it.
        if (message.tokens >= this.config.agent.max_context_size * CONTEXT_COMPRESS_SHARE && !slot.compressing) {
          slot.compressing = true;
          void this.queue
            .run(() => this.compressAgent(slot, 'limit'))
            .catch((e) => this.internalError(e))
            .finally(() => (slot.compressing = false));
        }
        break;
      case 'error':
        void this.queue.run(() => this.handleAgentError(slot, message.message)).catch((e) => this.internalError(e));
        break;
      case 'vote':
        this.emit({ type: 'vote', agent: slot.name, topic: message.topic, choice: message.choice });
        break;
      case 'output':
        break;
      default: {
        const unreachable: never = message;
        throw new Error(`unknown agent message ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private readonly agentContext = new Map<string, number>();

  private onAgentExit(slot: AgentSlot, adapter: AgentAdapter, exit: AgentExit): void {
    if (slot.adapter !== adapter && !slot.expectingExit) return;
    const expected = slot.expectingExit || this.stopRequest !== null;
    this.emit({
      type: 'agent_exited',
      agent: slot.name,
      code: exit.code,
      signal: exit.signal,
      cause: expected ? 'stopped by megatest' : exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`,
    });
    if (expected || slot.adapter !== adapter) return;
    slot.adapter = null;
    const cause = exit.signal ? `agent process killed by ${exit.signal}` : `agent process exited with code ${exit.code}`;
    void this.queue
      .run(() => this.handleClassified(slot, { ...WATCHDOG_CLASSES.agent_crash, matched: 'watchdog' }, cause))
      .catch((e) => this.internalError(e));
  }

  private onAgentProgress(slot: AgentSlot): void {
    slot.consecutiveErrors = 0;
    this.sessionErrorsInARow = 0;
    if (slot.pendingRecovery) {
      const { action, attempt, class: errorClass } = slot.pendingRecovery;
      slot.pendingRecovery = null;
      slot.attempts.delete(errorClass);
      this.emit({ type: 'recovery', action, attempt, outcome: 'succeeded', agent: slot.name, detail: `${slot.name} made progress after ${errorClass}` });
    }
  }

  // ------------------------------------------------------------------- phases

  private startPhase(index: number, resumed: boolean): void {
    this.phaseIndex = index;
    this.currentPhaseEnded = false;
    const phase = this.phases[index]!;
    const remainingMs = this.config.session.duration_seconds * 1000 - this.clock.elapsedMs();
    if (!resumed) {
      this.phaseStartMs = this.clock.elapsedMs();
      this.phaseBudgetMs = remainingPhaseBudget(this.phases, index, remainingMs / 1000) * 1000;
    }
    const tasks = this.phaseTasks(index);
    const workers = this.slots.filter((s) => phase.roles.length === 0 || phase.roles.includes(s.role));
    const plan = distributeTasks(tasks, (workers.length > 0 ? workers : this.slots).map((s) => s.name));
    for (const slot of this.slots) slot.objectives = plan.get(slot.name) ?? [];
    if (!resumed) {
      this.emit({ type: 'phase_started', phase: phase.name, index, duration_seconds: Math.round(this.phaseBudgetMs / 1000), tasks });
      this.log.info('orchestrator', `phase ${index + 1}/${this.phases.length} ${phase.name}: ${tasks.length} tasks, ${Math.round(this.phaseBudgetMs / 1000)} s`);
    }
    for (const slot of this.slots) this.assignRemaining(slot);
  }

  private phaseTasks(index: number): string[] {
    const phase = this.phases[index]!;
    const fromTemplate = this.template.tasks[phase.name];
    return fromTemplate && fromTemplate.length > 0 ? fromTemplate : phase.objectives;
  }

  private phaseTasksDone(): boolean {
    const done = completedTasks(this.tally);
    return this.phaseTasks(this.phaseIndex).every((t) => done.has(t));
  }

  private async tick(durationMs: number): Promise<void> {
    if (this.stopRequest || this.sessionStatus === 'recovering') return;
    await this.injectOrchestratorFaults();
    if (this.sessionStatus === 'paused') {
      // A paused session still watches its disk: the limit event says why it waits.
      await this.checkDisk();
      return;
    }
    const now = Date.now();
    this.watchAgents(now);
    this.enforceRateLimits(now);
    if (this.currentPhaseEnded) {
      // Restored to a phase-end checkpoint.
      this.afterPhaseEnded(durationMs);
      return;
    }
    const phaseElapsed = this.clock.elapsedMs() - this.phaseStartMs;
    const timeUp = phaseElapsed >= this.phaseBudgetMs || this.clock.elapsedMs() >= durationMs;
    if (this.phaseTasksDone() || timeUp) {
      await this.endPhase();
      if (this.stopRequest) return;
      this.afterPhaseEnded(durationMs);
      return;
    }
    await this.checkCheckpointTriggers();
    this.maybeRunTests(now);
    await this.checkDisk();
  }

  private afterPhaseEnded(durationMs: number): void {
    if (this.phaseIndex >= this.phases.length - 1) {
      if (!this.phaseTasksDone()) {
        this.requestStop({ status: 'timeout', reason: 'duration limit reached before the last phase finished its tasks', exitCode: 124 });
      } else {
        this.requestStop({ status: 'completed', reason: 'all phases completed', exitCode: 0 });
      }
      return;
    }
    if (this.clock.elapsedMs() >= durationMs) {
      this.requestStop({ status: 'timeout', reason: `duration limit reached in phase ${this.phaseIndex + 1} of ${this.phases.length}`, exitCode: 124 });
      return;
    }
    this.startPhase(this.phaseIndex + 1, false);
  }

  private async endPhase(): Promise<void> {
    const phase = this.currentPhase;
    const facts = await this.measureGates();
    const criteria = evaluateCriteria(phase.criteria, facts);
    const passed = criticalPassed(criteria);
    const commit = await commitAll(this.options.paths.project, `megatest: end of phase ${phase.name}`).catch((e: Error) => {
      this.log.warn('git', `commit failed: ${e.message}`);
      return null;
    });
    this.emit({ type: 'phase_ended', phase: phase.name, index: this.phaseIndex, criteria, passed });
    this.currentPhaseEnded = true;
    this.log.info(
      'orchestrator',
      `phase ${phase.name} ended: ${criteria.filter((c) => c.passed).length}/${criteria.length} criteria met${commit ? `, commit ${commit.slice(0, 10)}` : ''}`,
    );
    for (const c of criteria) if (!c.passed) this.log.warn('criteria', `${phase.name}: ${c.id} (${c.level}) not met: ${c.evidence}`);
    if (this.config.checkpoint.enabled && this.config.checkpoint.on_phase_end) await this.createCheckpoint('phase');
  }

  /** Build, tests, coverage, LOC: the facts criteria are judged on. */
  private async measureGates(): Promise<MeasuredFacts> {
    const projectDir = this.options.paths.project;
    const timeoutMs = this.config.limits.max_test_runtime_min * 60_000;
    const build = await runBuild(projectDir, this.template, timeoutMs);
    this.lastBuildOk = build.ok;
    this.emit({ type: 'build', ok: build.ok, duration_ms: build.duration_ms, command: build.command, output_tail: build.ok ? undefined : build.output_tail });
    if (!build.ok) this.log.warn('build', `build failed: ${build.output_tail.split('\n').slice(-3).join(' | ')}`);
    await this.runTestsNow(true);
    const loc = await countLines(projectDir);
    const doc = await measureDocCoverage(projectDir);
    return this.facts(build.ok, loc.total.code, doc);
  }

  private facts(buildOk: boolean | null, loc: number | null, doc: number | null): MeasuredFacts {
    const summary = this.lastTestRun?.summary ?? null;
    const total = summary ? summary.passed + summary.failed : null;
    const phasesSoFar = this.phases.slice(0, this.phaseIndex + 1).reduce((n, _p, i) => n + this.phaseTasks(i).length, 0);
    return {
      build_ok: buildOk === null ? null : buildOk ? 1 : 0,
      test_pass_rate: summary && total ? summary.passed / total : null,
      test_coverage: this.lastTestRun?.coverage?.linesPct ?? null,
      lines_of_code: loc,
      doc_coverage: doc,
      tests_total: total,
      tasks_completed_ratio: phasesSoFar > 0 ? completedTasks(this.tally).size / phasesSoFar : null,
      fatal_errors: this.tally.fatal_errors,
      checkpoints_valid: this.invalidCheckpoints === 0 ? 1 : 0,
      data_loss_events: this.dataLossEvents,
    };
  }

  /** Runs the tests; a gate (fresh = true) waits for a background run and then runs them on the project/ as it is now. */
  private async runTestsNow(fresh = false): Promise<void> {
    if (this.testsInFlight) {
      await this.testsInFlight.catch(() => undefined);
      if (!fresh) return;
    }
    const run = this.runTestsOnce();
    this.testsInFlight = run;
    try {
      await run;
    } finally {
      if (this.testsInFlight === run) this.testsInFlight = null;
    }
  }

  private async runTestsOnce(): Promise<void> {
    this.testsRunning = true;
    const generation = this.restoreGeneration;
    try {
      const result = await runTests(this.options.paths.project, this.template, this.config.limits.max_test_runtime_min * 60_000);
      if (generation !== this.restoreGeneration) {
        this.log.info('tests', 'a test run that overlapped a restore was discarded');
        return;
      }
      this.lastTestRun = result;
      this.lastTestRunMs = Date.now();
      this.tasksAtLastTestRun = this.tally.task_completions.length;
      if (result.timed_out) {
        this.emit({ type: 'limit', kind: 'test_runtime', action: 'killed', detail: result.problem ?? undefined });
      }
      if (result.summary) {
        this.emit({
          type: 'test_run',
          passed: result.summary.passed,
          failed: result.summary.failed,
          skipped: result.summary.skipped,
          duration: Math.round(result.duration_ms) / 1000,
          coverage: result.coverage ? Math.round(result.coverage.linesPct * 100) / 100 : null,
          source: result.source,
        });
      } else if (result.problem) {
        this.log.warn('tests', result.problem);
      }
    } finally {
      this.testsRunning = false;
    }
  }

  /** Between phase gates, re-run the tests when tasks were completed, at most once per health interval. */
  private maybeRunTests(now: number): void {
    if (this.testsRunning || this.sessionStatus !== 'running') return;
    if (this.tally.task_completions.length === this.tasksAtLastTestRun) return;
    if (now - this.lastTestRunMs < this.config.monitoring.health_check_interval * 1000) return;
    void this.runTestsNow().catch((e) => this.internalError(e));
  }

  // ------------------------------------------------------------------ metrics

  private async takeMetrics(): Promise<SessionMetrics | null> {
    if (this.measuring) return null;
    this.measuring = true;
    try {
      const paths = this.options.paths;
      const [loc, doc, filesModified, disk] = await Promise.all([
        countLines(paths.project),
        measureDocCoverage(paths.project),
        filesModifiedSince(paths.project, this.rootCommit).catch(() => 0),
        diskUsageBytes(paths.root),
      ]);
      const metrics = this.buildMetrics(loc.total.code, doc, filesModified, disk);
      this.lastMetrics = metrics;
      this.emit({ type: 'metrics', metrics });
      await writeMetricsCurrent(paths, metrics);
      appendFileSync(paths.metricsHistory, JSON.stringify(metrics) + '\n');
      return metrics;
    } finally {
      this.measuring = false;
    }
  }

  private buildMetrics(loc: number, doc: number | null, filesModified: number, disk: number): SessionMetrics {
    const now = Date.now();
    const summary = this.lastTestRun?.summary ?? null;
    const total = summary ? summary.passed + summary.failed : 0;
    const allTasks = this.phases.reduce((n, _p, i) => n + this.phaseTasks(i).length, 0);
    const done = completedTasks(this.tally).size;
    const agents: AgentMetrics[] = this.slots.map((slot) => {
      const t = this.tally.agents.get(slot.name);
      const lifetime = t ? Math.max(1, now - t.started_ms) : 1;
      const working = t ? t.working_ms + (t.working_since_ms !== null ? now - t.working_since_ms : 0) : 0;
      return {
        name: slot.name,
        role: slot.role,
        status: (t?.status ?? 'starting') as AgentMetrics['status'],
        task: t?.task ?? null,
        model: t?.model ?? this.modelOf(slot),
        tokens: t?.tokens ?? 0,
        tool_calls: t?.tool_calls ?? 0,
        utilization: Math.min(1, working / lifetime),
        trust_score: t && t.tool_calls > 0 ? t.tool_calls_ok / t.tool_calls : 1,
        idle_seconds: t ? Math.max(0, Math.round((now - t.last_activity_ms) / 1000)) : 0,
        context_tokens: this.agentContext.get(slot.name) ?? 0,
        max_context_tokens: this.config.agent.max_context_size,
      };
    });
    return {
      session_id: this.options.info.session_id,
      timestamp: new Date(now).toISOString(),
      elapsed_seconds: Math.round(this.clock.elapsedMs() / 1000),
      estimated_remaining: Math.max(0, Math.round(this.config.session.duration_seconds - this.clock.elapsedMs() / 1000)),
      phase: this.currentPhase.name,
      status: this.sessionStatus,
      total_tokens: this.tally.total_tokens,
      tokens_per_minute: tokensPerMinute(this.tally, now),
      tasks_completed: done,
      tasks_remaining: Math.max(0, allTasks - done),
      test_pass_rate: summary && total > 0 ? summary.passed / total : null,
      tests_passed: summary?.passed ?? 0,
      tests_failed: summary?.failed ?? 0,
      lines_of_code: loc,
      test_coverage: this.lastTestRun?.coverage ? Math.round(this.lastTestRun.coverage.linesPct * 100) / 100 : null,
      doc_coverage: doc === null ? null : Math.round(doc * 100) / 100,
      files_modified: filesModified,
      tool_calls: this.tally.tool_calls,
      checkpoint_count: this.tally.checkpoints.length,
      errors_encountered: this.tally.errors,
      recoveries: this.tally.recoveries,
      consensus_votes_cast: this.tally.votes,
      memory_usage_mb: memoryUsageMb(this.slots.map((s) => s.adapter?.pid)),
      disk_usage_bytes: disk,
      agents,
    };
  }

  // -------------------------------------------------------------- checkpoints

  private async checkCheckpointTriggers(): Promise<void> {
    if (!this.config.checkpoint.enabled || this.diskPaused) return;
    const cfg = this.config.checkpoint;
    const active = this.clock.elapsedMs();
    if (cfg.interval_minutes > 0 && active - this.lastCheckpointActiveMs >= cfg.interval_minutes * 60_000) {
      await this.createCheckpoint('time');
    } else if (cfg.tool_call_threshold > 0 && this.tally.tool_calls - this.toolCallsAtCheckpoint >= cfg.tool_call_threshold) {
      await this.createCheckpoint('tool_calls');
    } else if (cfg.token_threshold > 0 && this.tally.total_tokens - this.tokensAtCheckpoint >= cfg.token_threshold) {
      await this.createCheckpoint('tokens');
    }
  }

  private async createCheckpoint(trigger: CheckpointTrigger): Promise<MegatestEvent | null> {
    if (this.diskPaused && trigger !== 'final') {
      // Over the disk limit a checkpoint could be cut short by a full disk.
      if (trigger === 'forced') throw new ControlError('checkpoints are suspended while the disk limit is exceeded (see the alert)', 409);
      this.log.warn('checkpoint', `${trigger} checkpoint skipped: the disk limit is exceeded`);
      return null;
    }
    const started = Date.now();
    for (const slot of this.slots) slot.adapter?.control('checkpoint');
    // Every event up to last_event_seq is on disk before the checkpoint names
    // it, so a kill -9 right after cannot leave the log behind the checkpoint.
    this.events.flush();
    const lastSeq = this.events.lastSeq;
    const snapshot = await this.store.snapshot(this.options.paths.project);
    const body: Omit<CheckpointBody, 'id'> = {
      timestamp: new Date().toISOString(),
      session_id: this.options.info.session_id,
      phase: this.currentPhase.name,
      phase_index: this.phaseIndex,
      trigger,
      last_event_seq: lastSeq,
      elapsed_seconds: this.clock.elapsedMs() / 1000,
      agent_states: this.slots.map((slot) => this.agentResumeState(slot)),
      working_memory: {
        phase_start_seconds: this.phaseStartMs / 1000,
        phase_budget_seconds: this.phaseBudgetMs / 1000,
        completed_tasks: [...completedTasks(this.tally)],
        objectives: Object.fromEntries(this.slots.map((s) => [s.name, s.objectives])),
        model_index: Object.fromEntries(this.slots.map((s) => [s.name, s.modelIndex])),
        last_build_ok: this.lastBuildOk,
        // A restore to a phase-end checkpoint goes on with the next phase
        // instead of ending this one a second time.
        phase_ended: this.currentPhaseEnded,
      },
      file_system_state: { root: 'project', excluded: snapshot.excluded, entries: snapshot.entries },
      test_results: this.lastTestRun
        ? { summary: this.lastTestRun.summary, coverage: this.lastTestRun.coverage, source: this.lastTestRun.source }
        : null,
      metrics: this.lastMetrics,
      git_commit: await headCommit(this.options.paths.project),
    };
    const written = await this.store.write(body as CheckpointBody);
    this.lastCheckpointActiveMs = this.clock.elapsedMs();
    this.toolCallsAtCheckpoint = this.tally.tool_calls;
    this.tokensAtCheckpoint = this.tally.total_tokens;
    this.checkpointCount += 1;
    const ms = Date.now() - started;
    const summary = this.lastTestRun?.summary;
    const passRate = summary && summary.passed + summary.failed > 0 ? summary.passed / (summary.passed + summary.failed) : null;
    this.lastCheckpoint = {
      id: written.id,
      timestamp: body.timestamp,
      phase: body.phase,
      trigger,
      files: snapshot.files,
      bytes: snapshot.bytes,
      lines_of_code: this.lastMetrics?.lines_of_code ?? null,
      test_pass_rate: passRate,
      valid: true,
    };
    const event = this.emit({
      type: 'checkpoint_created',
      id: written.id,
      trigger,
      files: snapshot.files,
      bytes: snapshot.bytes,
      ms,
      phase: body.phase,
      lines_of_code: this.lastMetrics?.lines_of_code,
      test_pass_rate: passRate,
    });
    this.log.info('checkpoint', `${written.id} (${trigger}): ${snapshot.files} files, ${snapshot.bytes} bytes, ${snapshot.newBlobs} new blobs, ${ms} ms`);
    this.events.flush();
    return event;
  }

  private agentResumeState(slot: AgentSlot): AgentResumeState {
    const done = completedTasks(this.tally);
    const fromAdapter = slot.adapter?.resumeState();
    return {
      kind: this.config.agents.kind,
      name: slot.name,
      role: slot.role,
      model: this.modelOf(slot),
      phase: this.currentPhase.name,
      objectives: slot.objectives,
      completed: slot.objectives.filter((t) => done.has(t)),
      context_tokens: this.agentContext.get(slot.name) ?? 0,
      native: fromAdapter?.native,
    };
  }

  /**
   * Puts project/ and the orchestrator back to a checkpoint: files byte for
   * byte, phase, clock, trigger counters and task list; the agents restart
   * from the checkpoint's resume states. A named checkpoint that fails its
   * checks is refused; automatic recovery (fallBack) walks back from the
   * newest (or from `id`) to the first valid one and logs every skip.
   */
  private async restoreCheckpoint(id: string | undefined, reason: string, fallBack: boolean): Promise<MegatestEvent> {
    const started = Date.now();
    let loaded: LoadedCheckpoint | undefined;
    if (id !== undefined && !fallBack) {
      try {
        loaded = await this.store.read(id);
      } catch (error) {
        const message = (error as Error).message;
        if (error instanceof CheckpointInvalidError && !message.includes('no such checkpoint')) this.invalidCheckpoints += 1;
        this.log.error('checkpoint', `restore of ${id} refused: ${message}`);
        throw new ControlError(`restore refused: ${message}`, message.includes('no such checkpoint') ? 404 : 409);
      }
    } else {
      for (const entry of (await this.store.list()).reverse()) {
        if (id !== undefined && checkpointNumber(entry.id) > checkpointNumber(id)) continue;
        if (entry.valid) {
          loaded = await this.store.read(entry.id);
          break;
        }
        this.invalidCheckpoints += 1;
        this.log.warn('checkpoint', `${entry.id} skipped: ${entry.reason}; falling back to the one before`);
        this.emit({ type: 'alert', level: 'warning', message: `checkpoint ${entry.id} is invalid (${entry.reason}); falling back to the one before` });
      }
      if (!loaded) throw new ControlError('no valid checkpoint to restore', 409);
    }
    const body = loaded.body;
    const previousStatus = this.sessionStatus;
    this.setStatus('recovering');
    this.restoreGeneration += 1;
    this.clock.pause();
    await Promise.all(this.slots.map((slot) => this.stopAgent(slot)));
    await this.store.restore(this.options.paths.project, body.file_system_state.entries);
    // Orchestrator state back to the checkpoint's.
    const memory = body.working_memory as {
      phase_start_seconds: number;
      phase_budget_seconds: number;
      objectives: Record<string, string[]>;
      model_index: Record<string, number>;
      last_build_ok?: boolean | null;
      phase_ended?: boolean;
    };
    this.phaseIndex = body.phase_index;
    this.currentPhaseEnded = memory.phase_ended === true;
    this.clock.set(body.elapsed_seconds * 1000);
    this.phaseStartMs = memory.phase_start_seconds * 1000;
    this.phaseBudgetMs = memory.phase_budget_seconds * 1000;
    this.lastBuildOk = memory.last_build_ok ?? this.lastBuildOk;
    this.lastCheckpointActiveMs = this.clock.elapsedMs();
    this.toolCallsAtCheckpoint = this.tally.tool_calls;
    this.tokensAtCheckpoint = this.tally.total_tokens;
    // Tests of the checkpoint's project/ run again when tasks are done anew.
    this.tasksAtLastTestRun = -1;
    const event = this.emit({
      type: 'checkpoint_restored',
      id: loaded.id,
      rolled_back_after_seq: body.last_event_seq,
      ms: Date.now() - started,
      reason,
    });
    for (const slot of this.slots) {
      slot.objectives = memory.objectives?.[slot.name] ?? [];
      slot.modelIndex = Math.max(slot.modelIndex, memory.model_index?.[slot.name] ?? 0);
      slot.pendingRecovery = null;
      slot.idleSinceMs = null;
      const agentState = body.agent_states.find((s) => s.name === slot.name);
      this.agentContext.set(slot.name, agentState?.context_tokens ?? 0);
    }
    // The model an agent moved to after a rate limit stays: the checkpoint's is the one that failed.
    await this.startAllAgents(body.agent_states.map((s) => ({ ...s, model: this.modelOf(this.slots.find((x) => x.name === s.name) ?? this.slots[0]!) })));
    if (this.currentPhaseEnded) {
      this.log.info('checkpoint', `${loaded.id} was taken at the end of phase ${body.phase}: the next phase starts`);
    } else {
      this.startPhase(this.phaseIndex, true);
    }
    this.clock.start();
    this.setStatus(previousStatus === 'paused' ? 'paused' : 'running');
    if (previousStatus === 'paused') {
      this.clock.pause();
      for (const slot of this.slots) slot.adapter?.control('pause');
    }
    this.log.info('checkpoint', `restored ${loaded.id} (${reason}): phase ${body.phase}, ${body.file_system_state.entries.length} entries, ${Date.now() - started} ms`);
    return event;
  }

  private async resumeFromCheckpoint(id: string | undefined): Promise<boolean> {
    const checkpoints = await this.store.list();
    if (checkpoints.length === 0) {
      this.log.warn('orchestrator', 'no checkpoint to resume from: the current phase starts again on the current project/');
      return false;
    }
    try {
      await this.restoreCheckpoint(id, id ? `megatest resume --checkpoint ${id}` : 'megatest resume', id === undefined);
      return true;
    } catch (error) {
      if (id !== undefined || !(error instanceof ControlError)) throw error;
      this.log.error('orchestrator', `no valid checkpoint to resume from (${checkpoints.length} invalid): the current phase starts again on the current project/`);
      this.emit({ type: 'alert', level: 'critical', message: `resume found no valid checkpoint among ${checkpoints.length}; the current phase starts again on the current project/` });
      return false;
    }
  }

  // -------------------------------------------------------- injected faults

  /** [sim.faults] indexes already injected (or due before this process started, when resuming). */
  private readonly injectedFaults = new Set<number>();

  /**
   * corrupt_checkpoint is the orchestrator's fault (the sim agents inject the
   * others): at its time the newest checkpoint file is altered so its
   * checksum fails, and a later restore has to skip it.
   */
  private async injectOrchestratorFaults(): Promise<void> {
    if (!this.options.info.simulated) return;
    const sessionStartMs = Date.parse(this.tally.started_at ?? this.startedAt);
    const now = Date.now();
    for (const [index, fault] of this.config.sim.faults.entries()) {
      if (fault.kind !== 'corrupt_checkpoint' || this.injectedFaults.has(index)) continue;
      const dueMs = sessionStartMs + fault.at_seconds * 1000;
      if (now < dueMs) continue;
      this.injectedFaults.add(index);
      if (this.options.resume !== undefined && dueMs < this.processStartMs) continue; // a previous orchestrator's
      await this.corruptNewestCheckpoint(fault.at_seconds);
    }
  }

  private readonly processStartMs = Date.now();

  private async corruptNewestCheckpoint(atSeconds: number): Promise<void> {
    const dir = this.options.paths.checkpoints;
    const newest = readdirSync(dir)
      .map((name) => /^checkpoint_(\d+)\.json$/.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .sort((a, b) => Number(b[1]) - Number(a[1]))[0];
    if (!newest) {
      this.log.warn('fault', `SIMULATED fault corrupt_checkpoint (sim.faults, at ${atSeconds} s): no checkpoint to corrupt yet`);
      return;
    }
    const file = path.join(dir, newest[0]);
    const id = newest[0].replace(/\.json$/, '');
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { sha256: string; body: CheckpointBody };
    // One altered figure, as a flipped bit would leave it: still JSON, wrong checksum.
    stored.body.elapsed_seconds += 4096;
    await writeFileAtomic(file, JSON.stringify(stored, null, 2) + '\n', { durable: true });
    if (this.lastCheckpoint?.id === id) this.lastCheckpoint = { ...this.lastCheckpoint, valid: false };
    this.log.warn('fault', `SIMULATED fault corrupt_checkpoint (sim.faults, at ${atSeconds} s): altered ${newest[0]} so its checksum fails`);
    this.emit({ type: 'alert', level: 'warning', message: `[SIMULATED fault] corrupt_checkpoint: ${id} altered on purpose; its checksum now fails and a restore must skip it` });
  }

  // ---------------------------------------------------------------- recovery

  private async handleAgentError(slot: AgentSlot, message: string): Promise<void> {
    const classification = classifyError(message, this.config.error_handling.rules);
    await this.handleClassified(slot, classification, message);
  }

  private async handleClassified(slot: AgentSlot, c: Classification, message: string): Promise<void> {
    if (this.stopRequest) return;
    this.emit({ type: 'error', class: c.class, severity: c.severity, agent: slot.name, message });
    this.log.error(slot.name, `${c.class} (${c.severity}, ${c.matched}): ${message}`);
    const limits = this.config.error_handling;
    slot.consecutiveErrors += 1;
    this.sessionErrorsInARow += 1;
    const attempt = (slot.attempts.get(c.class) ?? 0) + 1;
    slot.attempts.set(c.class, attempt);
    if (slot.pendingRecovery) {
      this.emit({ type: 'recovery', action: slot.pendingRecovery.action, attempt: slot.pendingRecovery.attempt, outcome: 'failed', agent: slot.name, detail: `${c.class} again before progress` });
      slot.pendingRecovery = null;
    }
    if (attempt > limits.max_recovery_attempts || this.sessionErrorsInARow > limits.max_consecutive_errors) {
      const why = attempt > limits.max_recovery_attempts
        ? `${slot.name}: ${c.class} persisted through ${limits.max_recovery_attempts} recovery attempts (error_handling.max_recovery_attempts)`
        : `${this.sessionErrorsInARow} errors in a row (error_handling.max_consecutive_errors)`;
      this.emit({ type: 'recovery', action: 'pause_and_alert', attempt, outcome: 'gave_up', agent: slot.name, detail: why });
      await this.pauseForPerson(`recovery gave up: ${why}`);
      return;
    }
    const action = this.chooseAction(c, attempt);
    await this.carryOut(slot, c, action, attempt, message);
  }

  /**
   * The recovery table's sequences (DESIGN §8) for the classes' default
   * actions: a network timeout is retried 3 times, then backed off; a rate
   * limit or LLM error waits once, then moves to the next model. A rule that
   * names another action is carried out as written.
   */
  private chooseAction(c: Classification, attempt: number): RecoveryAction {
    if (c.class === 'network_timeout' && c.action === 'retry_with_backoff') {
      return attempt <= 3 ? 'retry_immediate' : 'retry_with_backoff';
    }
    if ((c.class === 'rate_limit' || c.class === 'llm_error') && (c.action === 'switch_model' || c.action === 'retry_with_backoff')) {
      return attempt === 1 ? 'retry_with_backoff' : 'switch_model';
    }
    return c.action;
  }

  private async carryOut(slot: AgentSlot, c: Classification, action: RecoveryAction, attempt: number, message: string): Promise<void> {
    const record = (outcome: 'started' | 'succeeded' | 'failed' | 'gave_up', detail: string) =>
      this.emit({ type: 'recovery', action, attempt, outcome, agent: slot.name, detail });
    const expectProgress = () => {
      slot.pendingRecovery = { class: c.class, action, attempt };
    };
    switch (action) {
      case 'retry_immediate':
        record('started', `${c.class}: retry ${attempt}`);
        this.keepAttemptArtifacts(slot, c, attempt, message);
        slot.adapter?.control('resume');
        expectProgress();
        break;
      case 'retry_with_backoff': {
        const cfg = this.config.error_handling;
        const delay = backoffSeconds(cfg.backoff_strategy, attempt, cfg.backoff_initial_seconds, cfg.backoff_max_seconds);
        record('started', `${c.class}: waiting ${delay} s (${cfg.backoff_strategy} backoff) before retry ${attempt}`);
        this.keepAttemptArtifacts(slot, c, attempt, message);
        slot.adapter?.control('pause');
        slot.throttledUntilMs = Date.now() + delay * 1000;
        setTimeout(() => {
          if (slot.throttledUntilMs <= Date.now() && this.sessionStatus !== 'paused') slot.adapter?.control('resume');
        }, delay * 1000).unref();
        expectProgress();
        break;
      }
      case 'retry_with_modification':
        record('started', `${c.class}: re-sending the remaining task(s) with a note on what went wrong`);
        this.keepAttemptArtifacts(slot, c, attempt, message);
        if (slot.adapter) {
          const done = completedTasks(this.tally);
          const remaining = slot.objectives.filter((t) => !done.has(t));
          slot.adapter.assign({
            phase: this.currentPhase.name,
            objectives: remaining,
            duration_seconds: Math.max(1, Math.round((this.phaseBudgetMs - (this.clock.elapsedMs() - this.phaseStartMs)) / 1000)),
            note: `Your last step failed (${c.class}: ${message.slice(0, 200)}). Answer with one valid JSON tool call per line and do not repeat the output that failed.`,
          });
        }
        expectProgress();
        break;
      case 'switch_model': {
        const before = this.modelOf(slot);
        slot.modelIndex += 1;
        const after = this.modelOf(slot);
        record('started', `${c.class}: switching model ${before} -> ${after}`);
        this.keepAttemptArtifacts(slot, c, attempt, message);
        await this.restartAgent(slot, `model ${before} -> ${after}`);
        expectProgress();
        break;
      }
      case 'compress_and_retry':
        record('started', `${c.class}: compressing context`);
        await this.compressAgent(slot, 'recovery');
        expectProgress();
        break;
      case 'pause_and_alert':
      case 'escalate':
        record('started', `${c.class}: pausing the session for a person`);
        await this.pauseForPerson(`${c.class} on ${slot.name}: ${message}`);
        break;
      case 'restore_checkpoint': {
        record('started', `${c.class}: restoring the last checkpoint and restarting the agents`);
        this.keepAttemptArtifacts(slot, c, attempt, message);
        if ((await this.store.list()).length === 0) {
          await this.restartAgent(slot, `${c.class}, no checkpoint yet`);
        } else {
          try {
            await this.restoreCheckpoint(undefined, `recovery from ${c.class} on ${slot.name}`, true);
          } catch (error) {
            record('failed', `restore failed: ${(error as Error).message}`);
            await this.restartAgent(slot, `${c.class}, restore failed`);
          }
        }
        expectProgress();
        break;
      }
      case 'log_and_continue':
        record('succeeded', `${c.class}: logged, the run continues`);
        slot.attempts.delete(c.class);
        break;
      case 'stop':
        record('started', `${c.class}: stopping the session`);
        this.requestStop({ status: 'failed', reason: `${c.class}: ${message}`, exitCode: 1 });
        break;
      default: {
        const unreachable: never = action;
        throw new Error(`unknown recovery action ${String(unreachable)}`);
      }
    }
  }

  /** Keeps what the failed attempt left: the agent's output and the project diff. */
  private keepAttemptArtifacts(slot: AgentSlot, c: Classification, attempt: number, message: string): void {
    const dir = path.join(this.options.paths.agents, slot.name, 'attempts', `${Date.now()}-${c.class}-${attempt}`);
    keepAttempt(dir, path.join(this.options.paths.agents, slot.name), this.options.paths.project, message).catch((e: Error) =>
      this.log.warn('recovery', `could not keep attempt artifacts: ${e.message}`),
    );
  }

  private async pauseForPerson(why: string): Promise<void> {
    const already = this.sessionStatus === 'paused';
    this.emit({
      type: 'alert',
      level: 'critical',
      message: `${why} — ${already ? 'the session stays paused' : 'paused'}; continue with \`megatest continue\` or the console's p key`,
    });
    if (!already) await this.doPause('api', true);
  }

  private async compressAgent(slot: AgentSlot, why: 'limit' | 'recovery' | CommandSource): Promise<MegatestEvent | null> {
    const before = this.agentContext.get(slot.name) ?? 0;
    if (!slot.adapter) return null;
    const outcome = slot.adapter.control('compress');
    if (!outcome.ok) {
      // No native compression: restart on a fresh context with a summary.
      await this.restartAgent(slot, `compress (${outcome.reason ?? 'no native compression'})`);
      this.agentContext.set(slot.name, 0);
    }
    if (why === 'limit') {
      this.emit({ type: 'limit', kind: 'context_size', agent: slot.name, action: 'compress', detail: `${before} > ${this.config.agent.max_context_size} tokens (agent.max_context_size)` });
    }
    // The agent's own context report after compressing is the measured "after".
    const after = await this.waitForContextBelow(slot, before, 2000);
    return this.emit({ type: 'compress', agent: slot.name, tokens_before: before, tokens_after: after });
  }

  private waitForContextBelow(slot: AgentSlot, before: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve) => {
      const check = () => {
        const now = this.agentContext.get(slot.name) ?? 0;
        if (now < before || Date.now() >= deadline) resolve(now);
        else setTimeout(check, 50).unref();
      };
      check();
    });
  }

  // ------------------------------------------------------------------ watchdog

  /**
   * Tells a hung agent (no output, no CPU for step_timeout_secs) from a
   * silent one that is working (CPU but no output). The CPU used in the
   * quiet window is measured from a sample taken once output stopped.
   */
  private watchAgents(now: number): void {
    const stepTimeoutMs = this.config.agent.step_timeout_secs * 1000;
    for (const slot of this.slots) {
      const adapter = slot.adapter;
      if (!adapter?.pid || slot.hungReported) continue;
      if (slot.lastCpuCheckMs <= slot.lastOutputMs) {
        // First look since the agent last spoke: the quiet window's baseline.
        slot.quietCpuBase = processCpuTicks(adapter.pid);
        slot.lastCpuCheckMs = now;
        continue;
      }
      if (now - slot.lastOutputMs < stepTimeoutMs) continue;
      const t = this.tally.agents.get(slot.name);
      if (t?.status === 'idle' || t?.status === 'waiting') continue; // quiet by design
      const cpu = processCpuTicks(adapter.pid);
      slot.lastCpuCheckMs = now;
      if (cpu === null) continue; // exited: onAgentExit reports it
      const used = slot.quietCpuBase === null ? 0 : cpu - slot.quietCpuBase;
      const busy = used > IDLE_CPU_TICKS;
      slot.hungReported = true;
      if (busy) {
        void this.queue
          .run(() => this.handleClassified(slot, { ...WATCHDOG_CLASSES.agent_silent, matched: 'watchdog' }, `silent but working: no output for ${Math.round((now - slot.lastOutputMs) / 1000)} s (agent.step_timeout_secs) while using ${(used / 100).toFixed(2)} s of CPU`))
          .catch((e) => this.internalError(e));
      } else {
        void this.queue
          .run(async () => {
            await this.stopAgent(slot);
            await this.handleClassified(slot, { ...WATCHDOG_CLASSES.agent_hang, matched: 'watchdog' }, `hung: no output and no CPU (${(used / 100).toFixed(2)} s) for ${Math.round((now - slot.lastOutputMs) / 1000)} s (agent.step_timeout_secs)`);
          })
          .catch((e) => this.internalError(e));
      }
    }
  }

  // -------------------------------------------------------------------- limits

  private enforceRateLimits(now: number): void {
    const limits = this.config.limits;
    const hourAgo = now - 3_600_000;
    if (limits.total_token_budget > 0 && this.tally.total_tokens >= limits.total_token_budget) {
      this.emit({ type: 'limit', kind: 'total_token_budget', action: 'stop', detail: `${this.tally.total_tokens} tokens >= ${limits.total_token_budget} (limits.total_token_budget)` });
      this.requestStop({ status: 'failed', reason: `token budget exhausted: ${this.tally.total_tokens} of ${limits.total_token_budget} tokens`, exitCode: 1 });
      return;
    }
    for (const slot of this.slots) {
      while (slot.windowTokens.length > 0 && slot.windowTokens[0]!.ms < hourAgo) slot.windowTokens.shift();
      while (slot.windowToolCalls.length > 0 && slot.windowToolCalls[0]! < hourAgo) slot.windowToolCalls.shift();
      if (!slot.adapter || slot.throttledUntilMs > now) continue;
      const tokens = slot.windowTokens.reduce((s, e) => s + e.n, 0);
      const overTokens = limits.tokens_per_hour_per_agent > 0 && tokens >= limits.tokens_per_hour_per_agent;
      const overCalls = limits.tool_calls_per_hour_per_agent > 0 && slot.windowToolCalls.length >= limits.tool_calls_per_hour_per_agent;
      if (overTokens || overCalls) {
        // Wait until the oldest entry leaves the one-hour window.
        const oldest = overTokens ? slot.windowTokens[0]!.ms : slot.windowToolCalls[0]!;
        const waitMs = Math.max(1000, oldest + 3_600_000 - now);
        slot.throttledUntilMs = now + waitMs;
        slot.adapter.control('pause');
        this.emit({
          type: 'limit',
          kind: overTokens ? 'tokens_per_hour' : 'tool_calls_per_hour',
          agent: slot.name,
          action: 'throttle',
          detail: overTokens
            ? `${tokens} tokens in the last hour >= ${limits.tokens_per_hour_per_agent}; waiting ${Math.round(waitMs / 1000)} s`
            : `${slot.windowToolCalls.length} tool calls in the last hour >= ${limits.tool_calls_per_hour_per_agent}; waiting ${Math.round(waitMs / 1000)} s`,
        });
        setTimeout(() => {
          if (this.sessionStatus === 'running') slot.adapter?.control('resume');
        }, waitMs).unref();
      }
      if (slot.idleSinceMs !== null && now - slot.idleSinceMs >= limits.max_idle_minutes * 60_000) {
        slot.idleSinceMs = null;
        this.reassignFrom(slot);
      }
    }
  }

  /** An agent idle too long with tasks left: hand its tasks to the least busy agent. */
  private reassignFrom(slot: AgentSlot): void {
    const done = completedTasks(this.tally);
    const remaining = slot.objectives.filter((t) => !done.has(t));
    if (remaining.length === 0) return;
    const target = this.slots
      .filter((s) => s !== slot && s.adapter)
      .sort((a, b) => a.objectives.filter((t) => !done.has(t)).length - b.objectives.filter((t) => !done.has(t)).length)[0];
    if (!target) return;
    slot.objectives = slot.objectives.filter((t) => done.has(t));
    target.objectives = [...target.objectives, ...remaining];
    this.emit({ type: 'limit', kind: 'idle_time', agent: slot.name, action: 'reassign', detail: `${remaining.length} task(s) moved to ${target.name} after ${this.config.limits.max_idle_minutes} min idle` });
    this.assignRemaining(target);
  }

  private async checkDisk(): Promise<void> {
    const limitBytes = this.config.limits.disk_space_limit_gb * GB;
    const used = this.lastMetrics?.disk_usage_bytes ?? 0;
    const free = freeDiskBytes(this.options.paths.root);
    const minFree = this.config.limits.min_free_disk_gb * GB;
    const over = used > limitBytes;
    const lowFree = free !== null && free < minFree;
    if ((over || lowFree) && !this.diskPaused) {
      this.diskPaused = true;
      const why = over
        ? `run folder uses ${(used / GB).toFixed(2)} GB > ${this.config.limits.disk_space_limit_gb} GB (limits.disk_space_limit_gb)`
        : `free disk ${(free! / GB).toFixed(2)} GB < ${this.config.limits.min_free_disk_gb} GB (limits.min_free_disk_gb)`;
      this.emit({ type: 'limit', kind: 'disk', action: 'pause', detail: why });
      this.emit({ type: 'error', class: 'disk_full', severity: 'critical', message: why });
      await this.pauseForPerson(`disk limit: ${why}`);
    } else if (!over && !lowFree && this.diskPaused) {
      this.diskPaused = false;
    }
  }

  // ------------------------------------------------------------- the end

  private async finish(request: StopRequest): Promise<number> {
    if (this.ticker) clearInterval(this.ticker);
    if (this.metricsTimer) clearInterval(this.metricsTimer);
    // Let queued work (a checkpoint asked for just before) finish first.
    return this.queue.run(async () => {
      this.log.info('orchestrator', `stopping: ${request.reason}`);
      await Promise.all(this.slots.map((slot) => this.stopAgent(slot)));
      this.clock.pause();
      const status = request.status;
      let exitCode = request.exitCode;
      try {
        await this.measureGates();
      } catch (error) {
        this.log.error('orchestrator', `final measurement failed: ${(error as Error).message}`);
      }
      if (this.config.checkpoint.enabled) {
        await this.createCheckpoint('final').catch((e: Error) => this.log.error('checkpoint', `final checkpoint failed: ${e.message}`));
      }
      this.sessionStatus = status;
      await this.takeMetrics().catch((e) => this.internalError(e));
      this.events.flush();
      if (status === 'completed') {
        // The verdict is the report's: judged on the recorded events alone.
        const verdict = await buildReport(this.options.paths.root).then(
          (r) => r.verdict,
          (error: Error) => {
            this.log.error('report', `cannot judge the run: ${error.message}`);
            return null;
          },
        );
        if (!verdict?.critical_passed) {
          exitCode = 1;
          const failed = verdict ? 'a critical criterion failed (see final_report.md)' : 'the run could not be judged';
          this.log.warn('orchestrator', failed);
        }
      }
      this.emit({ type: 'session_ended', status, exit_code: exitCode, reason: request.reason });
      this.events.flush();
      this.setStatus(status);
      try {
        await writeReport(this.options.paths.root);
      } catch (error) {
        this.log.error('report', `report failed: ${(error as Error).message}`);
      }
      await this.notifier.drain();
      this.log.info('orchestrator', `session ended: ${status}, exit code ${exitCode}`);
      this.log.close();
      this.events.close();
      return exitCode;
    });
  }

  /** SIGUSR1: a status block into session.log. */
  writeStatusBlock(): void {
    const m = this.lastMetrics;
    const lines = [
      `status block (SIGUSR1): session ${this.options.info.session_id}, status ${this.sessionStatus}, phase ${this.currentPhase.name} (${this.phaseIndex + 1}/${this.phases.length})`,
      `elapsed ${Math.round(this.clock.elapsedMs() / 1000)} s of ${this.config.session.duration_seconds} s; tokens ${this.tally.total_tokens}; tool calls ${this.tally.tool_calls}; tasks ${completedTasks(this.tally).size}`,
      `LOC ${m?.lines_of_code ?? 'not measured yet'}; tests ${m ? `${m.tests_passed} passed, ${m.tests_failed} failed` : 'not run yet'}; coverage ${m?.test_coverage ?? 'n/a'}%; checkpoints ${this.tally.checkpoints.length}; errors ${this.tally.errors}; recoveries ${this.tally.recoveries}`,
      ...this.slots.map((s) => {
        const t = this.tally.agents.get(s.name);
        return `  ${s.name} (${s.role}) ${t?.status ?? 'starting'} pid ${s.adapter?.pid ?? '-'} tokens ${t?.tokens ?? 0} tool calls ${t?.tool_calls ?? 0} task ${t?.task ?? '-'}`;
      }),
    ];
    for (const line of lines) this.log.info('status', line);
    this.log.flush();
  }

  // ------------------------------------------------------------ EngineControl

  status(): StatusSnapshot {
    return {
      session_id: this.options.info.session_id,
      project: this.template.type,
      agent_kind: this.options.info.agent_kind,
      simulated: this.options.info.simulated,
      status: this.sessionStatus,
      phase: this.currentPhase.name,
      started_at: this.tally.started_at ?? this.startedAt,
      duration_seconds: this.config.session.duration_seconds,
      metrics: this.lastMetrics,
      last_checkpoint: this.lastCheckpoint,
      pid: process.pid,
    };
  }

  metrics(): SessionMetrics | null {
    return this.lastMetrics;
  }

  private assertLive(action: string): void {
    if (this.stopRequest) throw new ControlError(`cannot ${action}: the session is stopping (${this.stopRequest.reason})`, 409);
  }

  checkpoint(source: CommandSource): Promise<MegatestEvent> {
    return this.queue.run(async () => {
      this.assertLive('checkpoint');
      this.emit({ type: 'command', name: 'checkpoint', source });
      return (await this.createCheckpoint('forced'))!;
    });
  }

  compress(agent: string | undefined, source: CommandSource): Promise<MegatestEvent[]> {
    return this.queue.run(async () => {
      this.assertLive('compress');
      const targets = agent === undefined ? this.slots : this.slots.filter((s) => s.name === agent);
      if (targets.length === 0) throw new ControlError(`unknown agent ${JSON.stringify(agent)}; agents: ${this.slots.map((s) => s.name).join(', ')}`, 404);
      this.emit({ type: 'command', name: 'compress', source, detail: agent ?? 'all agents' });
      const results: MegatestEvent[] = [];
      for (const slot of targets) {
        const event = await this.compressAgent(slot, source);
        if (event) results.push(event);
      }
      if (results.length === 0) throw new ControlError('no running agent to compress', 409);
      return results;
    });
  }

  restore(checkpointId: string, source: CommandSource): Promise<MegatestEvent> {
    return this.queue.run(async () => {
      this.assertLive('restore');
      this.emit({ type: 'command', name: 'restore', source, detail: checkpointId });
      return this.restoreCheckpoint(checkpointId, `restore asked by ${source}`, false);
    });
  }

  pause(source: CommandSource): Promise<MegatestEvent> {
    return this.queue.run(() => this.doPause(source, false));
  }

  private async doPause(source: CommandSource, internal: boolean): Promise<MegatestEvent> {
    this.assertLive('pause');
    if (this.sessionStatus === 'paused') {
      if (internal) return this.emit({ type: 'alert', level: 'info', message: 'already paused' });
      throw new ControlError('the session is already paused', 409);
    }
    const event = this.emit({ type: 'command', name: 'pause', source, detail: internal ? 'automatic' : undefined });
    for (const slot of this.slots) slot.adapter?.control('pause');
    this.clock.pause();
    this.setStatus('paused');
    this.log.info('orchestrator', `paused (${internal ? 'automatic' : source})`);
    return event;
  }

  resume(source: CommandSource): Promise<MegatestEvent> {
    return this.queue.run(async () => {
      this.assertLive('continue');
      if (this.sessionStatus !== 'paused') throw new ControlError(`the session is ${this.sessionStatus}, not paused`, 409);
      const event = this.emit({ type: 'command', name: 'continue', source });
      this.sessionErrorsInARow = 0;
      for (const slot of this.slots) {
        slot.attempts.clear();
        if (slot.throttledUntilMs <= Date.now()) slot.adapter?.control('resume');
        if (!slot.adapter) await this.startAgent(slot, this.agentResumeState(slot)).then(() => this.assignRemaining(slot));
      }
      this.clock.start();
      this.setStatus('running');
      this.log.info('orchestrator', `continued (${source})`);
      return event;
    });
  }

  stop(source: CommandSource): Promise<MegatestEvent> {
    return this.queue.run(async () => {
      this.assertLive('stop');
      const event = this.emit({ type: 'command', name: 'stop', source });
      this.requestStop({ status: 'interrupted', reason: `stopped by ${source}`, exitCode: 130 });
      return event;
    });
  }
}

function checkpointNumber(id: string): number {
  return Number(id.replace(/^checkpoint_/, ''));
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when pid is an agent started for this run folder (its environment names it), so a reused pid is never killed. */
function processBelongsToRun(pid: number, runRoot: string): boolean {
  try {
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    return environ.includes(`MEGATEST_SESSION_DIR=${runRoot}`);
  } catch {
    return false;
  }
}

/** utime+stime of a process in clock ticks, from /proc; null when it is gone. */
function processCpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}
