// The JSONL protocol of DESIGN §9: agents print one JSON object a line on
// stdout, megatest writes one command a line on their stdin. A line that is
// not a well-formed protocol message is the agent's own output, never an error:
// agents print all sorts of things and the log must keep them.

import { z } from 'zod';
import { assertNever } from '../contract/assertNever.js';
import type { AgentControl, AgentMessage, PhaseAssignment } from './types.js';

const nonNegative = z.number().finite().nonnegative();

const toolCallSchema = z.object({
  type: z.literal('tool_call'),
  tool: z.string().min(1),
  ok: z.boolean(),
  duration_ms: nonNegative,
});
const tokensSchema = z.object({
  type: z.literal('tokens'),
  input: nonNegative,
  output: nonNegative,
  // Some agents do not name their model; the count is still worth keeping.
  model: z.string().optional(),
});
const stateSchema = z.object({
  type: z.literal('state'),
  status: z.enum(['working', 'idle', 'waiting', 'blocked']),
  task: z.string().optional(),
});
const taskDoneSchema = z.object({ type: z.literal('task_done'), task: z.string().min(1) });
const contextSchema = z.object({ type: z.literal('context'), tokens: nonNegative });
const errorSchema = z.object({ type: z.literal('error'), message: z.string() });
const voteSchema = z.object({ type: z.literal('vote'), topic: z.string().min(1), choice: z.string().min(1) });

/** Parses one line an agent printed; anything that is not a valid protocol message is `output`. */
export function parseAgentLine(line: string): AgentMessage {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  const asOutput: AgentMessage = { type: 'output', line: text };
  // Cheap pre-check: most non-protocol output is not JSON at all, and this
  // runs for every line of every agent.
  const start = text.trimStart();
  if (!start.startsWith('{')) return asOutput;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return asOutput;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return asOutput;
  switch ((value as { type?: unknown }).type) {
    case 'tool_call': {
      const parsed = toolCallSchema.safeParse(value);
      if (!parsed.success) return asOutput;
      const { tool, ok, duration_ms } = parsed.data;
      return { type: 'tool_call', tool, ok, duration_ms };
    }
    case 'tokens': {
      const parsed = tokensSchema.safeParse(value);
      if (!parsed.success) return asOutput;
      const { input, output, model } = parsed.data;
      return { type: 'tokens', input, output, model: model ?? '' };
    }
    case 'state': {
      const parsed = stateSchema.safeParse(value);
      if (!parsed.success) return asOutput;
      const { status, task } = parsed.data;
      return task === undefined ? { type: 'state', status } : { type: 'state', status, task };
    }
    case 'task_done': {
      const parsed = taskDoneSchema.safeParse(value);
      return parsed.success ? { type: 'task_done', task: parsed.data.task } : asOutput;
    }
    case 'context': {
      const parsed = contextSchema.safeParse(value);
      return parsed.success ? { type: 'context', tokens: parsed.data.tokens } : asOutput;
    }
    case 'error': {
      const parsed = errorSchema.safeParse(value);
      return parsed.success ? { type: 'error', message: parsed.data.message } : asOutput;
    }
    case 'vote': {
      const parsed = voteSchema.safeParse(value);
      return parsed.success ? { type: 'vote', topic: parsed.data.topic, choice: parsed.data.choice } : asOutput;
    }
    default:
      return asOutput;
  }
}

/** A command megatest writes to an agent's stdin. */
export type AgentCommand =
  | { cmd: 'phase'; name: string; objectives: string[]; duration_seconds: number; note?: string }
  | { cmd: AgentControl };

export function phaseCommand(assignment: PhaseAssignment): AgentCommand {
  return {
    cmd: 'phase',
    name: assignment.phase,
    objectives: [...assignment.objectives],
    duration_seconds: assignment.duration_seconds,
    ...(assignment.note ? { note: assignment.note } : {}),
  };
}

/** One command as a JSON line (without the trailing newline). */
export function encodeCommand(command: AgentCommand): string {
  switch (command.cmd) {
    case 'phase':
      return JSON.stringify({
        cmd: 'phase',
        name: command.name,
        objectives: command.objectives,
        duration_seconds: command.duration_seconds,
        ...(command.note ? { note: command.note } : {}),
      });
    case 'checkpoint':
    case 'compress':
    case 'pause':
    case 'resume':
    case 'stop':
      return JSON.stringify({ cmd: command.cmd });
    default:
      return assertNever(command, 'agent command');
  }
}

const phaseCommandSchema = z.object({
  cmd: z.literal('phase'),
  name: z.string(),
  objectives: z.array(z.string()),
  duration_seconds: nonNegative,
  note: z.string().optional(),
});
const controlCommandSchema = z.object({ cmd: z.enum(['checkpoint', 'compress', 'pause', 'resume', 'stop']) });

/** The agent side: reads one stdin line; null when it is not a command. */
export function parseAgentCommand(line: string): AgentCommand | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  const phase = phaseCommandSchema.safeParse(value);
  if (phase.success) return phase.data;
  const control = controlCommandSchema.safeParse(value);
  return control.success ? { cmd: control.data.cmd } : null;
}
