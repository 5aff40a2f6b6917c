// One agent's place in the pool (agentPool.ts): the adapter that runs it,
// its tasks, and what the watchdog, recovery and limits keep about it.

import type { AgentAdapter } from '../agents/types.js';
import type { HourWindow } from './hourWindow.js';

export interface AgentSlot {
  name: string;
  role: string;
  index: number;
  adapter: AgentAdapter | null;
  /**
   * What its adapter kept of the agent's native sessions when megatest last stopped it (undefined once another starts):
   * the session's final checkpoint is taken after every agent has stopped, and a branch or resume from it goes on in them.
   */
  stoppedNative: Record<string, unknown> | undefined;
  modelIndex: number;
  objectives: string[];
  /** Every task megatest has sent this agent: a task_done for any other is a protocol error. */
  assignedTasks: Set<string>;
  /** Set while megatest itself stops or restarts the agent. */
  expectingExit: boolean;
  lastOutputMs: number;
  /** The watchdog's last CPU sample (ticks) in the current quiet window, and the CPU used in it. */
  quietCpuBase: number | null;
  quietCpuUsed: number;
  /** When the watchdog last saw the agent use CPU. */
  cpuActiveMs: number;
  lastCpuCheckMs: number;
  hungReported: boolean;
  /** Said to be silent but working in this quiet window: watched on, and hung once it uses no CPU for a whole step. */
  silentReported: boolean;
  /** A compression is queued or running: further context reports must not queue more. */
  compressing: boolean;
  /** The agent's last context report (tokens); null until it makes one (selfware and codex never do). */
  contextTokens: number | null;
  /** Context reports it has made: a compression's "after" is only a report made after the command. */
  contextReports: number;
  /** Context reports since its last restart on a summary (harness compression); null before one. */
  contextReportsSinceRestart: number | null;
  /** Its fresh context was already over the compression mark: not compressed again before its next task is done. */
  compressionHopeless: boolean;
  /** Recovery attempts per error class, reset when the agent makes progress. */
  attempts: Map<string, number>;
  pendingRecovery: { class: string; action: string; attempt: number } | null;
  throttledUntilMs: number;
  /** The wall time its wait for a usage limit ends (throttledUntilMs then): 0 when it waits for none. */
  usageLimitUntilMs: number;
  /** Tokens and tool calls of the last hour, for the hourly limits (limits.ts). */
  windowTokens: HourWindow;
  windowToolCalls: HourWindow;
  /** When it said it was idle, on the schedule clock (ctx.scheduleMs: the session's pauses do not count); null while it works. */
  idleSinceMs: number | null;
}
