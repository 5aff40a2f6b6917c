// Which tasks a CLI agent has, which it finished, which failed since megatest
// last said to try again, and what the next run's prompt needs to know: the
// bookkeeping half of the per-task adapter (cliTaskAdapter.ts runs the
// processes).

import type { TaskPromptInput } from './taskPrompt.js';
import type { AgentResumeState, PhaseAssignment } from './types.js';

export class TaskBook {
  phase: string;
  objectives: string[];
  readonly completed: string[];
  private note: string | undefined;
  private phaseEndsAtMs: number | undefined;
  /** Objectives whose run failed since the last assign or resume: not run again until megatest says so. */
  private readonly failedThisRound = new Set<string>();
  /** Summaries (harness compression) waiting for a paused agent to go on. */
  private readonly pendingSummaries = new Map<string, string>();

  constructor(phase: string, resume: AgentResumeState | undefined) {
    this.phase = resume?.phase ?? phase;
    this.objectives = resume ? [...resume.objectives] : [];
    this.completed = resume ? [...resume.completed] : [];
  }

  assign(assignment: PhaseAssignment, nowMs: number): void {
    this.phase = assignment.phase;
    this.objectives = [...assignment.objectives];
    this.note = assignment.note;
    this.phaseEndsAtMs = nowMs + assignment.duration_seconds * 1000;
    this.failedThisRound.clear();
  }

  /** megatest said to try again (a recovery's retry, a person's continue). */
  retryFailed(): void {
    this.failedThisRound.clear();
  }

  isAssigned(objective: string): boolean {
    return this.objectives.includes(objective);
  }

  remaining(): string[] {
    return this.objectives.filter((o) => !this.completed.includes(o));
  }

  /** The next task to run, with the summary it restarts on if a compression left one. */
  next(): { objective: string; summary: string | undefined } | undefined {
    const objective = this.remaining().find((o) => !this.failedThisRound.has(o));
    if (objective === undefined) return undefined;
    const summary = this.pendingSummaries.get(objective);
    this.pendingSummaries.delete(objective);
    return { objective, summary };
  }

  done(objective: string): void {
    if (!this.completed.includes(objective)) this.completed.push(objective);
    this.failedThisRound.delete(objective);
  }

  failed(objective: string): void {
    this.failedThisRound.add(objective);
  }

  holdSummary(objective: string, summary: string): void {
    this.pendingSummaries.set(objective, summary);
  }

  /** What buildTaskPrompt needs besides who the agent is. */
  promptInput(objective: string, nowMs: number, summary: string | undefined): Omit<TaskPromptInput, 'name' | 'role' | 'projectBrief'> {
    return {
      phase: this.phase,
      objective,
      otherTasks: this.remaining().filter((o) => o !== objective),
      done: [...this.completed],
      secondsLeft: this.phaseEndsAtMs === undefined ? undefined : Math.max(0, (this.phaseEndsAtMs - nowMs) / 1000),
      note: this.note,
      summary,
    };
  }
}
