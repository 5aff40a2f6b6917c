// The agent pool: one slot per agent, each holding the adapter that runs it.
// It starts, stops and restarts agents, hands them their tasks, and turns
// what they say into events (agentMessageEvents.ts). What to do about an
// error, a crash or a full context is not its business: it tells its hooks.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { AgentAdapter, AgentErrorReport, AgentExit, AgentMessage, AgentResumeState, RestoredCheckpoint, TestRunNote } from '../agents/types.js';
import { writeFileAtomic } from '../io/atomic.js';
import { adapterFor } from './agentLaunch.js';
import type { AgentSlot } from './agentSlot.js';
import type { EngineContext } from './context.js';
import { HourWindow } from './hourWindow.js';
import { ParseFailureReporter } from './parseFailures.js';
import { distributeTasks, rolesFor } from './schedule.js';
import { AgentMessageEvents } from './agentMessageEvents.js';

export type { AgentSlot } from './agentSlot.js';


export interface AgentPoolHooks {
  /** A tool call that worked, tokens that came back, a task done. */
  onProgress(slot: AgentSlot, progress?: 'step' | 'task done'): void;
  /** An error the agent reported (its fields: AgentMessage's `error`, src/agents/types.ts). */
  onError(slot: AgentSlot, error: AgentErrorReport): void;
  /** The process ended without megatest asking it to, or could not be started again (startOrReport). */
  onCrash(slot: AgentSlot, cause: string): void;
  /** Each context report (slot.contextTokens holds it): the compressor decides whether to compress. */
  onContext(slot: AgentSlot, tokens: number): void;
}

/** Worktree isolation (isolation.ts): where each agent works, and what a finished task goes through. */
export interface WorkDirs {
  workDir(slot: AgentSlot): Promise<string>;
  pathOf(slot: AgentSlot): string;
  /** The task counts as done once its work is merged into project/. */
  taskDone(slot: AgentSlot, task: string): void;
  /** Resolves once the work of the agent's task_done so far is taken (committed on its branch). */
  workTaken(slot: AgentSlot): Promise<void>;
}


export class AgentPool {
  readonly slots: AgentSlot[] = [];
  /** Malformed lines per agent, reported at most once a second each, with parse_failure's built-in severity; no recovery follows. */
  private readonly parseFailures = new ParseFailureReporter((agent, message, _total, count) =>
    this.ctx.emit({ type: 'error', class: 'parse_failure', severity: 'recoverable', agent, message, count }),
  );
  /** The last test run, passed on to each adapter that wants it (the summary of a harness compression). */
  private lastTestRun: TestRunNote | null = null;
  /** Null: every agent works in project/ itself. */
  private workDirs: WorkDirs | null = null;
  /** Turns what each agent says, and its exit, into events and hook calls. */
  private readonly messages: AgentMessageEvents;

  constructor(
    private readonly ctx: EngineContext,
    private readonly hooks: AgentPoolHooks,
  ) {
    this.messages = new AgentMessageEvents(ctx, hooks, this.parseFailures, () => this.workDirs);
  }

  createSlots(): void {
    const { config } = this.ctx;
    const count = Math.min(config.session.agents, config.limits.max_parallel_agents);
    if (count < config.session.agents) {
      this.ctx.emit({
        type: 'limit',
        kind: 'parallel_agents',
        action: 'capped',
        detail: `only ${count} of the ${config.session.agents} agents asked for are run ([agent] concurrent_agents = ${config.limits.max_parallel_agents})`,
      });
    }
    const roles = rolesFor(count, config.agent.roles);
    for (let i = 0; i < count; i++) {
      this.slots.push({
        name: `agent-${i + 1}`,
        role: roles[i]!,
        index: i,
        adapter: null,
        stoppedNative: undefined,
        modelIndex: 0,
        objectives: [],
        assignedTasks: new Set(),
        expectingExit: false,
        lastOutputMs: Date.now(),
        quietCpuBase: null,
        quietCpuUsed: 0,
        cpuActiveMs: 0,
        lastCpuCheckMs: 0,
        hungReported: false,
        silentReported: false,
        compressing: false,
        contextTokens: null,
        contextReports: 0,
        contextReportsSinceRestart: null,
        compressionHopeless: false,
        attempts: new Map(),
        pendingRecovery: null,
        throttledUntilMs: 0,
        usageLimitUntilMs: 0,
        windowTokens: new HourWindow(),
        windowToolCalls: new HourWindow(),
        idleSinceMs: null,
      });
    }
  }

  useWorkDirs(workDirs: WorkDirs | null): void {
    this.workDirs = workDirs;
  }

  /** The folder the agent edits: project/, or its own worktree. */
  workDirOf(slot: AgentSlot): string {
    return this.workDirs?.pathOf(slot) ?? this.ctx.paths.project;
  }

  find(name: string): AgentSlot | undefined {
    return this.slots.find((s) => s.name === name);
  }

  modelOf(slot: AgentSlot): string {
    const models = this.models();
    // Past the last model the agent stays on it (a recovery switches no further: hasNextModel).
    return models[Math.min(slot.modelIndex, models.length - 1)]!;
  }

  /** Whether switch_model has a model left to move the agent to: the list is not gone round again, back to models just rate-limited. */
  hasNextModel(slot: AgentSlot): boolean {
    return slot.modelIndex + 1 < this.models().length;
  }

  private models(): string[] {
    const { config } = this.ctx;
    return config.agents.models.length > 0 ? config.agents.models : [config.agent.model];
  }

  pids(): (number | undefined)[] {
    return this.slots.map((s) => s.adapter?.pid);
  }

  /** `restored`: the checkpoint a restore just put project/ back to (the agent is told, and its stale sessions are not resumed). */
  async start(slot: AgentSlot, resume?: AgentResumeState, restored?: RestoredCheckpoint): Promise<void> {
    const { paths } = this.ctx;
    // A session that is stopping (its budget spent at a resume, a stop asked for during a restore) starts no agent:
    // it would only be stopped again, after a model call or two the session has no budget or time for.
    if (this.ctx.stopRequest !== null) {
      this.ctx.log.info(slot.name, `not started: the session is stopping (${this.ctx.stopRequest.reason})`);
      return;
    }
    if (slot.adapter !== null) {
      // Never two processes for one agent: the one replaced would go on working in project/ (and spending) with its output ignored.
      this.ctx.log.warn(slot.name, 'started again while its process was still running: that process is stopped first');
      await this.stop(slot);
    }
    const agentDir = path.join(paths.agents, slot.name);
    mkdirSync(agentDir, { recursive: true });
    const projectDir = this.workDirs ? await this.workDirs.workDir(slot) : paths.project;
    const workDirs = this.workDirs;
    const workTaken = workDirs ? () => workDirs.workTaken(slot) : undefined;
    const adapter = adapterFor(this.ctx, slot, { agentDir, projectDir, model: this.modelOf(slot), resume, restored, workTaken });
    slot.adapter = adapter;
    slot.stoppedNative = undefined;
    // Its resume state's tasks are given to it as much as a phase command's are.
    for (const task of resume?.objectives ?? []) slot.assignedTasks.add(task);
    slot.expectingExit = false;
    slot.lastOutputMs = Date.now();
    slot.hungReported = false;
    slot.silentReported = false;
    slot.quietCpuBase = null;
    slot.compressing = false;
    if (this.lastTestRun) adapter.observeTestRun?.(this.lastTestRun);
    await adapter.start(
      (message) => this.onMessage(slot, adapter, message),
      (exit) => this.onExit(slot, adapter, exit),
    );
    // An agent started while the session is paused (a recovery's restart, a
    // restore) waits with the others: paused before its first task is sent.
    // So does one whose slot is held (an hourly throttle, a recovery's
    // backoff): a new process is the same agent, and the wait's own timer
    // resumes it (the restart freed a throttled agent to spend another hour's
    // tokens at once).
    const heldFor = slot.throttledUntilMs - Date.now();
    if (this.ctx.status === 'paused' || heldFor > 0) {
      const why = this.ctx.status === 'paused' ? 'the session is paused' : `its wait (a throttle or a backoff) has ${Math.ceil(heldFor / 1000)} s left`;
      const paused = adapter.control('pause');
      if (!paused.ok) this.ctx.log.warn(slot.name, `started while ${why}, and cannot be paused: ${paused.reason ?? 'no reason given'}`);
      else if (this.ctx.status !== 'paused') this.ctx.log.info(slot.name, `started paused: ${why}`);
    }
    // A later `megatest resume` kills what a killed orchestrator left running.
    if (adapter.pid !== undefined) {
      await writeFileAtomic(path.join(agentDir, 'agent.pid'), `${adapter.pid}\n`).catch((e: Error) =>
        this.ctx.log.warn(slot.name, `cannot record the agent pid: ${e.message}`),
      );
    }
    this.ctx.emit({ type: 'agent_started', agent: slot.name, role: slot.role, model: this.modelOf(slot), pid: adapter.pid, capabilities: adapter.capabilities });
    if (adapter.resumed) {
      const { ok, detail, reason } = adapter.resumed;
      this.ctx.log.info(slot.name, ok ? `resumed from its state: ${detail ?? 'done'}` : `resume from its state not supported: ${reason ?? 'no reason given'}`);
    }
  }

  /**
   * start mid-session (a person's continue, a recovery's restart): a start that throws (no worktree, an adapter refusing) is the
   * agent's crash, for recovery, not the caller's error (the session went on running, the agent gone, no event).
   */
  async startOrReport(slot: AgentSlot, resume?: AgentResumeState, restored?: RestoredCheckpoint): Promise<boolean> {
    try {
      await this.start(slot, resume, restored);
      return true;
    } catch (error) {
      const adapter = slot.adapter;
      if (adapter !== null) {
        // Half started: stopped, and its exit is not a second crash.
        slot.expectingExit = true;
        slot.adapter = null;
        void adapter.stop(3000).catch(() => undefined);
      }
      const message = error instanceof Error ? error.message : String(error);
      this.ctx.log.error(slot.name, `cannot start the agent: ${message}`);
      this.hooks.onCrash(slot, `the agent could not be started: ${message}`);
      return false;
    }
  }

  /** startAll mid-session (a restore): an agent that cannot start is its crash (startOrReport); the others start. */
  async startAllOrReport(resumeStates?: AgentResumeState[], restored?: (name: string) => RestoredCheckpoint): Promise<void> {
    await Promise.all(this.slots.map((slot) => this.startOrReport(slot, resumeStates?.find((s) => s.name === slot.name), restored?.(slot.name))));
  }

  /** Starts every agent; when one fails, throws once all the others are started (or failed), so a stop that follows finds them all. */
  async startAll(resumeStates?: AgentResumeState[], restored?: (name: string) => RestoredCheckpoint): Promise<void> {
    const started = await Promise.allSettled(this.slots.map((slot) => this.start(slot, resumeStates?.find((s) => s.name === slot.name), restored?.(slot.name))));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  async stop(slot: AgentSlot): Promise<void> {
    const adapter = slot.adapter;
    if (!adapter) return;
    slot.expectingExit = true;
    await adapter.stop(3000);
    slot.stoppedNative = adapter.resumeState()?.native;
    slot.adapter = null;
    this.parseFailures.flush(slot.name);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.slots.map((slot) => this.stop(slot)));
    // Counts a crashed agent left pending go out now, before the session's last events.
    this.parseFailures.flushAll();
  }

  async restart(slot: AgentSlot, reason: string): Promise<void> {
    const resume = slot.adapter?.resumeState();
    // A hung agent takes its grace and more to stop: a person's pause, continue and stop are answered meanwhile. The slot
    // keeps its adapter until it has stopped, so a continue does not start it too; started in a paused session, it starts paused.
    await this.ctx.queue.letCommandsIn(() => this.stop(slot));
    this.ctx.log.info(slot.name, `restarting (${reason})`);
    if (await this.startOrReport(slot, resume ? { ...resume, model: this.modelOf(slot) } : undefined)) this.assignRemaining(slot);
  }

  /** The orchestrator's latest test run, for adapters that pass it on to their agent. */
  noteTestRun(run: TestRunNote): void {
    this.lastTestRun = run;
    for (const slot of this.slots) slot.adapter?.observeTestRun?.(run);
  }

  control(command: 'checkpoint' | 'pause' | 'resume'): void {
    for (const slot of this.slots) slot.adapter?.control(command);
  }

  /** Splits the phase's tasks over the agents whose roles work in it. */
  planPhase(index: number): void {
    const phase = this.ctx.phases[index]!;
    const tasks = this.ctx.phaseTasks(index);
    const workers = this.slots.filter((s) => phase.roles.length === 0 || phase.roles.includes(s.role));
    const plan = distributeTasks(tasks, (workers.length > 0 ? workers : this.slots).map((s) => s.name));
    for (const slot of this.slots) slot.objectives = plan.get(slot.name) ?? [];
  }

  remainingOf(slot: AgentSlot): string[] {
    const done = this.ctx.completedTasks();
    return slot.objectives.filter((t) => !done.has(t));
  }

  /** Sends the agent its tasks not yet done, with the phase's time left and an optional note. */
  assignRemaining(slot: AgentSlot, note?: string): void {
    if (!slot.adapter) return;
    const objectives = this.remainingOf(slot);
    for (const task of objectives) slot.assignedTasks.add(task);
    slot.adapter.assign({
      phase: this.ctx.currentPhase.name,
      objectives,
      duration_seconds: Math.round(this.ctx.phaseSecondsLeft()),
      ...(note === undefined ? {} : { note }),
    });
  }

  assignAll(): void {
    for (const slot of this.slots) this.assignRemaining(slot);
  }

  /** What a checkpoint keeps of an agent so a restore can resume it. */
  resumeState(slot: AgentSlot): AgentResumeState {
    const done = this.ctx.completedTasks();
    return {
      kind: this.ctx.config.agents.kind,
      name: slot.name,
      role: slot.role,
      model: this.modelOf(slot),
      phase: this.ctx.currentPhase.name,
      objectives: slot.objectives,
      completed: slot.objectives.filter((t) => done.has(t)),
      context_tokens: slot.contextTokens ?? 0,
      native: slot.adapter ? slot.adapter.resumeState()?.native : slot.stoppedNative,
    };
  }

  // What an agent says, and its exit, become events in AgentMessageEvents (agentMessageEvents.ts).
  private onMessage(slot: AgentSlot, adapter: AgentAdapter, said: AgentMessage): void {
    this.messages.onMessage(slot, adapter, said);
  }

  private onExit(slot: AgentSlot, adapter: AgentAdapter, exit: AgentExit): void {
    this.messages.onExit(slot, adapter, exit);
  }
}
