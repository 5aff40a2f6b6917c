// Which of one sim agent's [[sim.faults]] are due, and when: timers for
// at_seconds faults, counters for the event-keyed ones (its tool calls since
// the process started, the phase it was last given and its tool calls in
// that phase).
//
// A fault fires at most once per session. A restarted agent starts its
// counters again, so without a record it would replay the crash that brought
// it down; every fault that fires is therefore written (synchronously, before
// it is injected) to a small file in the agent's own folder, which outlives
// the process, checkpoint restores and `megatest resume`. at_seconds faults
// also keep their older guard: one already due when a resumed agent starts
// is skipped.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SimFaultConfig } from '../../config/types.js';
import { assertNever } from '../../contract/assertNever.js';
import { faultTrigger, type FaultTrigger } from './faultTrigger.js';

export interface FaultScheduleHooks {
  /** Injects the fault (already recorded as fired). */
  inject(fault: SimFaultConfig): void;
  /** A line for the agent's log. */
  note(text: string): void;
}

interface Armed {
  key: string;
  fault: SimFaultConfig;
  trigger: FaultTrigger;
}

export class FaultSchedule {
  private readonly armed: Armed[];
  private readonly fired: Set<string>;
  private readonly timers: NodeJS.Timeout[] = [];
  private toolCalls = 0;
  private phase: string | undefined;
  private phaseToolCalls = 0;
  private stopped = false;
  private holding = false;
  private paused = false;
  /** at_seconds faults that came due while the agent was paused, in the order they did. */
  private readonly dueWhilePaused: Armed[] = [];

  constructor(
    faults: readonly SimFaultConfig[],
    private readonly firedFile: string | undefined,
    private readonly hooks: FaultScheduleHooks,
  ) {
    // The orchestrator injects corrupt_checkpoint itself; the agent never does.
    this.armed = faults
      .map((fault, index) => ({ key: `${index}:${fault.kind}`, fault, trigger: faultTrigger(fault) }))
      .filter((entry) => entry.fault.kind !== 'corrupt_checkpoint');
    this.fired = this.readFired();
  }

  /** Arms the at_seconds timers; `resuming`: this process replaces one that ran before. */
  start(sessionStartMs: number, now: number, resuming: boolean): void {
    for (const entry of this.armed) {
      if (entry.trigger.on !== 'time' || this.fired.has(entry.key)) continue;
      const due = sessionStartMs + entry.trigger.atSeconds * 1000;
      // A restarted agent must not replay the fault that brought it down.
      const pastLimit = resuming ? now : now - 1000;
      if (due < pastLimit) continue;
      this.timers.push(setTimeout(() => this.fireOnTime(entry), Math.max(0, due - now)));
    }
  }

  /**
   * The agent is paused, or goes on. A paused agent makes no calls to a
   * model, so none fails: an at_seconds fault due meanwhile fires when the
   * pause ends. Before, a person's pause showed errors rising and agents
   * restarting under a "paused" header.
   */
  setPaused(paused: boolean): void {
    this.paused = paused;
    if (paused) return;
    for (const entry of this.dueWhilePaused.splice(0)) this.fire(entry);
  }

  private fireOnTime(entry: Armed): void {
    if (this.paused) this.dueWhilePaused.push(entry);
    else this.fire(entry);
  }

  /** The agent was given a phase (a `phase` command). A repeat of the same phase keeps its count. */
  phaseGiven(phase: string): void {
    if (phase !== this.phase) {
      this.phase = phase;
      this.phaseToolCalls = 0;
    }
    this.fireDue();
  }

  /** The agent reported a tool call. */
  toolCall(): void {
    this.toolCalls += 1;
    if (this.phase !== undefined) this.phaseToolCalls += 1;
    this.fireDue();
  }

  /**
   * Tool calls reported inside `step` count one by one, but the faults they
   * make due fire once the step is over: an objective's file writes and its
   * task_done are one step, so a stall cannot land between them (their
   * progress would count as recovering from the fault before it was seen).
   */
  step(step: () => void): void {
    this.holding = true;
    try {
      step();
    } finally {
      this.holding = false;
    }
    this.fireDue();
  }

  /** No more faults from this process (it crashed, hung or is stopping). */
  stop(): void {
    this.stopped = true;
    this.dueWhilePaused.length = 0;
    for (const timer of this.timers) clearTimeout(timer);
  }

  private isDue(trigger: FaultTrigger): boolean {
    switch (trigger.on) {
      case 'time':
        return false; // its timer fires it
      case 'tool_calls':
        return this.toolCalls >= trigger.count;
      case 'phase':
        return this.phase === trigger.phase && (trigger.count === undefined || this.phaseToolCalls >= trigger.count);
      default:
        return assertNever(trigger, 'fault trigger');
    }
  }

  /** Several faults due on one event fire in the order [[sim.faults]] lists them. */
  private fireDue(): void {
    for (const entry of this.armed) {
      if (this.stopped || this.holding) return;
      if (!this.fired.has(entry.key) && this.isDue(entry.trigger)) this.fire(entry);
    }
  }

  private fire(entry: Armed): void {
    if (this.stopped || this.fired.has(entry.key)) return;
    this.fired.add(entry.key);
    this.writeFired();
    this.hooks.inject(entry.fault);
  }

  private readFired(): Set<string> {
    if (this.firedFile === undefined) return new Set();
    let text: string;
    try {
      text = readFileSync(this.firedFile, 'utf8');
    } catch {
      return new Set(); // first start: nothing fired yet
    }
    try {
      const parsed = JSON.parse(text) as { fired?: unknown };
      if (Array.isArray(parsed.fired)) return new Set(parsed.fired.filter((key): key is string => typeof key === 'string'));
    } catch {
      // fall through: a torn record is reported, not trusted
    }
    this.hooks.note(`[sim] ignoring an unreadable fault record ${this.firedFile}; faults may fire again`);
    return new Set();
  }

  /** Write-then-rename, so a kill mid-write leaves the old record rather than half a file. */
  private writeFired(): void {
    if (this.firedFile === undefined) return;
    try {
      mkdirSync(path.dirname(this.firedFile), { recursive: true });
      const temp = `${this.firedFile}.${process.pid}.tmp`;
      writeFileSync(temp, JSON.stringify({ fired: [...this.fired] }) + '\n');
      renameSync(temp, this.firedFile);
    } catch (error) {
      this.hooks.note(`[sim] cannot record fired faults in ${this.firedFile}: ${(error as Error).message}`);
    }
  }
}
