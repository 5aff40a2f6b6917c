// When a [[sim.faults]] fault is due, as a pure function of what the agent
// (or, for corrupt_checkpoint, the orchestrator) has seen. The TOML keys are
// turned into one tagged trigger here, so the sim runtime and the
// orchestrator switch over the same three cases instead of testing optional
// keys in several places.

import type { SimFaultConfig } from '../../config/types.js';
import { assertNever } from '../../contract/assertNever.js';
import { simFaultTriggerProblem } from '../../config/simFaults.js';

type TriggerKeys = Pick<SimFaultConfig, 'at_seconds' | 'after_tool_calls' | 'in_phase'>;

export type FaultTrigger =
  /** Seconds after session start: the one trigger that keys on the wall clock. */
  | { on: 'time'; atSeconds: number }
  /** Right after the Nth tool call (the agent's since its process started). */
  | { on: 'tool_calls'; count: number }
  /** When the phase is given; with a count, right after the Nth tool call within it. */
  | { on: 'phase'; phase: string; count: number | undefined };

/** The fault's trigger; throws on a table the schema would refuse (no trigger, or two). */
export function faultTrigger(fault: TriggerKeys): FaultTrigger {
  const problem = simFaultTriggerProblem(fault);
  if (problem !== undefined) throw new Error(`sim fault ${JSON.stringify(fault)}: must be ${problem}`);
  if (fault.in_phase !== undefined) return { on: 'phase', phase: fault.in_phase, count: fault.after_tool_calls };
  if (fault.after_tool_calls !== undefined) return { on: 'tool_calls', count: fault.after_tool_calls };
  return { on: 'time', atSeconds: fault.at_seconds! };
}

function calls(count: number): string {
  return `${count} tool call${count === 1 ? '' : 's'}`;
}

/** For log lines: "at 30 s", "after 3 tool calls", "in development", "after 3 tool calls in development". */
export function describeFaultTrigger(fault: TriggerKeys): string {
  const trigger = faultTrigger(fault);
  switch (trigger.on) {
    case 'time':
      return `at ${trigger.atSeconds} s`;
    case 'tool_calls':
      return `after ${calls(trigger.count)}`;
    case 'phase':
      return trigger.count === undefined ? `in ${trigger.phase}` : `after ${calls(trigger.count)} in ${trigger.phase}`;
    default:
      return assertNever(trigger, 'fault trigger');
  }
}

/** True for at_seconds faults: those need a timer; the others wait for an event. */
export function isTimeFault(fault: TriggerKeys): boolean {
  return faultTrigger(fault).on === 'time';
}

export interface OrchestratorFaultContext {
  /** Seconds since session start. */
  elapsedSeconds: number;
  /** The session's tool calls, all agents together. */
  toolCalls: number;
  /** The phase the session is in now. */
  phase: string;
  /** The session's tool calls since the current phase started. */
  phaseToolCalls: number;
}

/**
 * Whether an orchestrator-injected fault (corrupt_checkpoint) is due. The
 * orchestrator sees no single agent's calls, so after_tool_calls counts the
 * session's. The caller remembers which faults it already injected.
 */
export function faultDueForOrchestrator(fault: TriggerKeys, ctx: OrchestratorFaultContext): boolean {
  const trigger = faultTrigger(fault);
  switch (trigger.on) {
    case 'time':
      return ctx.elapsedSeconds >= trigger.atSeconds;
    case 'tool_calls':
      return ctx.toolCalls >= trigger.count;
    case 'phase':
      return ctx.phase === trigger.phase && (trigger.count === undefined || ctx.phaseToolCalls >= trigger.count);
    default:
      return assertNever(trigger, 'fault trigger');
  }
}
