// The behaviour of one sim agent process: paced work on its phase objectives
// (tool calls, token spend, context growth, real files written), the faults
// [sim.faults] schedules (faultSchedule.ts decides when), and the control
// commands of the JSONL protocol.
// Kept apart from the process wiring (simAgent.ts) so it reads as a model of
// an agent rather than of stdio plumbing.

import type { SimFaultConfig } from '../../config/types.js';
import { assertNever } from '../../contract/assertNever.js';
import type { AgentCommand } from '../jsonl.js';
import type { AgentMessage, AgentResumeState } from '../types.js';
import { ActivityModel } from './activityModel.js';
import { writeBallast } from './ballast.js';
import { FaultSchedule } from './faultSchedule.js';
import { describeFaultTrigger } from './faultTrigger.js';
import { DEFAULT_BALLAST_BYTES, type SimOptions } from './options.js';
import { planTask, writeWork } from './project.js';

export interface SimIdentity {
  name: string;
  role: string;
  model: string;
  projectDir: string;
  maxContextTokens: number;
}

export interface SimIo {
  /** Writes text (whole lines) to stdout. */
  out(text: string): void;
  err(text: string): void;
  exit(code: number): void;
  /** Stops reading commands: a hung agent reads nothing. */
  stopReading(): void;
}

/** Work is paced to finish within this share of the phase ([sim] work_share), so every phase shows its results. */
const DEFAULT_WORK_SHARE = 0.75;
const TICK_MS = 50;
const STALL_MS: Record<'network_timeout' | 'rate_limit' | 'parse_failure', number> = {
  network_timeout: 3000,
  rate_limit: 2000,
  parse_failure: 500,
};

type Status = 'working' | 'idle' | 'waiting' | 'blocked';

interface Assignment {
  phase: string;
  queue: string[];
  perObjectiveMs: number;
  elapsedMs: number;
}

export class SimAgent {
  private readonly activity: ActivityModel;
  private readonly completed = new Set<string>();
  private context: number;
  private assignment: Assignment | undefined;
  private paused = false;
  private hung = false;
  /** Crashed, hung or stopping: nothing more happens in this process. */
  private stopped = false;
  private stalledUntil = 0;
  private tick: NodeJS.Timeout | undefined;
  private lastTick = 0;
  private owedCalls = 0;
  private owedTokens = 0;
  private nextTokens: { input: number; output: number };
  private readonly faults: FaultSchedule;
  private pending: string[] = [];
  private readonly resuming: boolean;

  constructor(
    private readonly identity: SimIdentity,
    private readonly options: SimOptions,
    private readonly io: SimIo,
    resume: AgentResumeState | undefined,
    private readonly clock: () => number = Date.now,
  ) {
    this.activity = new ActivityModel(options.seed, identity.name, options.tokensPerMinute);
    this.nextTokens = this.activity.drawTokens();
    for (const task of resume?.completed ?? []) this.completed.add(task);
    this.context = resume?.context_tokens ?? 0;
    this.resuming = resume !== undefined;
    this.faults = new FaultSchedule(options.faults, options.firedFaultsFile, {
      inject: (fault) => {
        // What led up to the fault (the tool call that triggered it) is output first.
        this.flush();
        this.line(`[sim] SIMULATED fault ${fault.kind} (${describeFaultTrigger(fault)})`);
        this.inject(fault);
      },
      note: (text) => this.line(text),
    });
  }

  start(): void {
    const { name, role } = this.identity;
    this.io.out(`[sim] simulated agent ${name} (role ${role}, seed ${this.options.seed}) — not a real model\n`);
    if (this.resuming) this.io.out(`[sim] resuming: ${this.completed.size} ${this.completed.size === 1 ? 'objective' : 'objectives'} already done, context ${this.context} tokens\n`);
    this.faults.start(this.options.sessionStartMs, this.clock(), this.resuming);
    this.emit({ type: 'state', status: 'idle' });
    this.flush();
  }

  command(command: AgentCommand): void {
    if (this.hung) return;
    switch (command.cmd) {
      case 'phase':
        if (command.note) this.line(`[sim] step note from megatest: ${command.note}`);
        this.beginPhase(command.name, command.objectives, command.duration_seconds);
        this.faults.phaseGiven(command.name);
        break;
      case 'checkpoint':
        this.line(`[sim] checkpoint acknowledged (${this.completed.size} ${this.completed.size === 1 ? 'objective' : 'objectives'} done)`);
        this.emit({ type: 'state', status: this.status(), task: this.currentTask() });
        break;
      case 'compress': {
        const before = this.context;
        this.context = Math.round(before * 0.15);
        this.line(`[sim] context compressed from ${before} to ${this.context} tokens`);
        this.emit({ type: 'context', tokens: this.context });
        break;
      }
      case 'pause':
        this.paused = true;
        this.faults.setPaused(true);
        this.emit({ type: 'state', status: 'waiting', task: this.currentTask() });
        break;
      case 'resume':
        this.paused = false;
        this.faults.setPaused(false);
        this.lastTick = this.clock();
        this.emit({ type: 'state', status: this.status(), task: this.currentTask() });
        break;
      case 'stop':
        this.line('[sim] stop received, exiting');
        this.flush();
        this.shutdown();
        this.io.exit(0);
        return;
      default:
        assertNever(command, 'agent command');
    }
    this.flush();
  }

  /** stdin closed: the orchestrator is gone, so is the reason to run. */
  inputEnded(): void {
    if (this.hung) return;
    this.shutdown();
    this.io.exit(0);
  }

  private status(): Status {
    if (this.paused) return 'waiting';
    if (this.clock() < this.stalledUntil) return 'blocked';
    return this.assignment && this.assignment.queue.length > 0 ? 'working' : 'idle';
  }

  private currentTask(): string | undefined {
    return this.assignment?.queue[0];
  }

  private beginPhase(phase: string, objectives: string[], durationSeconds: number): void {
    const queue = objectives.filter((task) => !this.completed.has(task));
    const skipped = objectives.length - queue.length;
    if (skipped > 0) this.line(`[sim] phase ${phase}: skipping ${skipped} ${skipped === 1 ? 'objective' : 'objectives'} finished before the restart`);
    if (queue.length === 0) {
      this.assignment = undefined;
      this.stopTicking();
      this.emit({ type: 'state', status: 'idle' });
      return;
    }
    this.assignment = {
      phase,
      queue,
      perObjectiveMs: (durationSeconds * 1000 * (this.options.workShare ?? DEFAULT_WORK_SHARE)) / queue.length,
      elapsedMs: 0,
    };
    this.emit({ type: 'state', status: this.paused ? 'waiting' : 'working', task: queue[0] });
    // The first model call (reading the phase prompt) comes right away.
    this.owedTokens = Math.max(this.owedTokens, this.nextTokens.input + this.nextTokens.output);
    this.startTicking();
  }

  private startTicking(): void {
    this.lastTick = this.clock();
    if (this.tick) return;
    this.tick = setInterval(() => this.onTick(), TICK_MS);
  }

  private stopTicking(): void {
    if (this.tick) clearInterval(this.tick);
    this.tick = undefined;
  }

  private onTick(): void {
    const now = this.clock();
    // A long event-loop stall must not turn into a burst of backlog.
    const dt = Math.min(now - this.lastTick, 1000);
    this.lastTick = now;
    const assignment = this.assignment;
    if (!assignment || this.paused || this.hung || now < this.stalledUntil) return;

    this.owedCalls += (this.options.toolCallsPerMinute / 60000) * dt;
    this.owedTokens += (this.options.tokensPerMinute / 60000) * dt;
    // A fault fired by a tool call may stall, hang or end the agent mid-tick.
    while (this.owedCalls >= 1 && this.canWork()) {
      this.owedCalls -= 1;
      this.emitToolCall();
    }
    if (!this.canWork()) {
      this.flush();
      return;
    }
    while (this.owedTokens >= this.nextTokens.input + this.nextTokens.output) {
      const { input, output } = this.nextTokens;
      this.owedTokens -= input + output;
      this.emit({ type: 'tokens', input, output, model: this.identity.model });
      this.context = Math.min(this.identity.maxContextTokens, this.context + output + Math.round(input * 0.1));
      this.emit({ type: 'context', tokens: this.context });
      this.nextTokens = this.activity.drawTokens();
    }

    assignment.elapsedMs += dt;
    if (assignment.elapsedMs >= assignment.perObjectiveMs) this.faults.step(() => this.finishObjective(assignment));
    this.flush();
  }

  private canWork(): boolean {
    return !this.stopped && !this.hung && !this.paused && this.clock() >= this.stalledUntil;
  }

  private finishObjective(assignment: Assignment): void {
    const task = assignment.queue[0];
    try {
      const work = planTask(this.identity.projectDir, this.options.template, this.options.seed, task, assignment.phase);
      writeWork(this.identity.projectDir, work.files);
      for (let i = 0; i < work.files.length; i++) {
        this.emit({ type: 'tool_call', tool: 'write_file', ok: true, duration_ms: this.activity.toolDuration('write_file') });
        this.faults.toolCall();
      }
      for (const id of work.fixed) this.line(`[sim] fixed the planted defect in src/${id}.js`);
      if (work.component) {
        this.line(`[sim] ${task}: wrote src/${work.component}.js and its tests${work.defective ? ' (with a planted defect for a later phase to fix)' : ''}`);
      } else if (work.feature) {
        this.line(`[sim] ${task}: wrote src/features/${work.feature}.js and its tests`);
      }
    } catch (error) {
      this.emit({ type: 'tool_call', tool: 'write_file', ok: false, duration_ms: this.activity.toolDuration('write_file') });
      this.faults.toolCall();
      this.emit({ type: 'error', message: `sim could not write the files of "${task}": ${(error as Error).message}` });
    }
    this.emit({ type: 'task_done', task });
    this.completed.add(task);
    assignment.queue.shift();
    assignment.elapsedMs = 0;
    if (assignment.queue.length > 0) {
      this.emit({ type: 'state', status: 'working', task: assignment.queue[0] });
    } else {
      this.emit({ type: 'state', status: 'idle' });
      this.stopTicking();
    }
  }

  private emitToolCall(): void {
    this.emit({ type: 'tool_call', ...this.activity.drawToolCall() });
    this.faults.toolCall();
  }

  private inject(fault: SimFaultConfig): void {
    if (this.hung) return;
    const kind = fault.kind;
    switch (kind) {
      case 'network_timeout':
        this.stall(kind, 'ETIMEDOUT: network timeout contacting model API');
        break;
      case 'rate_limit':
        this.stall(kind, '429 Too Many Requests: rate limit exceeded');
        break;
      case 'parse_failure':
        this.pending.push('{"type":"tool_call","tool":"edit_file","ok":tru\n');
        this.stall(kind, 'parse failure: model returned malformed tool call JSON');
        break;
      case 'agent_crash':
        this.flush();
        this.io.err(
          `thread '${this.identity.name}' panicked at 'injected agent_crash fault (simulation)', src/agent/loop.rs:214:9\n` +
            'note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n',
        );
        this.shutdown();
        this.io.exit(101);
        return;
      case 'hang':
        this.flush();
        this.hang();
        return;
      case 'consensus_deadlock': {
        const topic = `merge ${this.currentTask() ?? 'pending changes'}`;
        this.emit({ type: 'vote', topic, choice: 'approve' });
        this.emit({ type: 'vote', topic, choice: 'reject' });
        this.emit({ type: 'error', message: 'consensus deadlock: no quorum after voting timeout' });
        break;
      }
      case 'disk_limit':
        void this.writeBallast();
        return;
      case 'corrupt_checkpoint':
        return;
      default:
        assertNever(kind, 'sim fault');
    }
    this.flush();
  }

  private stall(kind: keyof typeof STALL_MS, message: string): void {
    this.emit({ type: 'error', message });
    this.stalledUntil = this.clock() + STALL_MS[kind];
    if (this.assignment && this.assignment.queue.length > 0 && !this.paused) {
      this.emit({ type: 'state', status: 'blocked', task: this.currentTask() });
      setTimeout(() => {
        if (this.hung || this.paused || !this.assignment || this.assignment.queue.length === 0) return;
        this.emit({ type: 'state', status: 'working', task: this.currentTask() });
        this.flush();
      }, STALL_MS[kind]);
    }
  }

  private async writeBallast(): Promise<void> {
    const message = await writeBallast(this.identity.projectDir, this.options.ballastBytes ?? DEFAULT_BALLAST_BYTES);
    if (this.hung) return;
    this.emit({ type: 'error', message });
    this.flush();
  }

  /** Silence without work: no timers that do anything, no reading; only a kill ends it. */
  private hang(): void {
    this.hung = true;
    this.shutdown();
    this.io.stopReading();
    setInterval(() => undefined, 2 ** 30);
  }

  private shutdown(): void {
    this.stopped = true;
    this.stopTicking();
    this.faults.stop();
  }

  private emit(message: Exclude<AgentMessage, { type: 'output' }>): void {
    this.pending.push(JSON.stringify(message) + '\n');
  }

  private line(text: string): void {
    this.pending.push(text + '\n');
  }

  private flush(): void {
    if (this.pending.length === 0 || this.hung) {
      this.pending = [];
      return;
    }
    const text = this.pending.join('');
    this.pending = [];
    this.io.out(text);
  }
}
