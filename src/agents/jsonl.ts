// The JSONL protocol of DESIGN §9: agents print one JSON object a line on
// stdout, megatest writes one command a line on their stdin. A line that is
// not JSON at all is the agent's own output: agents print all sorts of things
// and the log must keep them. A line that starts like JSON but is not a valid
// message (bad JSON, a wrong type, a number out of bounds), and a line of
// binary data (no text at all), is a parse failure: kept in the log too, and
// counted.

import { z } from 'zod';
import { assertNever } from '../contract/assertNever.js';
import { MAX_DURATION_MS, MAX_TOKENS_PER_LINE } from './bounds.js';
import { readOverLongNote } from './lineSplitter.js';
import type { AgentControl, AgentMessage, PhaseAssignment } from './types.js';

const nonNegative = z.number().finite().nonnegative();
/** A token count of one line: a whole number within the bound (1e308 is a protocol error, not a total of Infinity). */
const tokenCount = z.number().int().nonnegative().max(MAX_TOKENS_PER_LINE);
const durationMs = nonNegative.max(MAX_DURATION_MS);

const toolCallSchema = z.object({
  type: z.literal('tool_call'),
  tool: z.string().min(1),
  ok: z.boolean(),
  duration_ms: durationMs,
});
const tokensSchema = z.object({
  type: z.literal('tokens'),
  input: tokenCount,
  output: tokenCount,
  // Some agents do not name their model; the count is still worth keeping.
  model: z.string().optional(),
});
const stateSchema = z.object({
  type: z.literal('state'),
  status: z.enum(['working', 'idle', 'waiting', 'blocked']),
  task: z.string().optional(),
});
const taskDoneSchema = z.object({ type: z.literal('task_done'), task: z.string().min(1) });
const contextSchema = z.object({ type: z.literal('context'), tokens: tokenCount });
const errorSchema = z.object({ type: z.literal('error'), message: z.string() });
const voteSchema = z.object({ type: z.literal('vote'), topic: z.string().min(1), choice: z.string().min(1) });

/** How much of a malformed line a parse_failure message carries (the whole line is in output.log). */
export const PARSE_FAILURE_LINE_CHARS = 300;

/**
 * Bytes no text output holds: NUL, control characters other than tab,
 * carriage return, form feed, bell, backspace and escape (colours, progress
 * bars), and U+FFFD, what the decoder made of bytes that are not UTF-8.
 */
const BINARY_DATA = /[\u0000-\u0006\u000e-\u001a\u001c-\u001f\ufffd]/;

/**
 * Parses one line an agent printed. A line that does not start with `{` is
 * the agent's own output. One that does is an attempted protocol line: if it
 * is not a valid protocol message (not JSON, not an object, an unknown type,
 * a field of the wrong kind, a number out of bounds) it is a parse_failure,
 * counted, never fatal; so is a line of binary data.
 */
export function parseAgentLine(line: string): AgentMessage {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  // Cheap pre-check: most non-protocol output is not JSON at all, and this
  // runs for every line of every agent.
  const start = text.trimStart();
  const failure = (reason: string, shown = text): AgentMessage => ({
    type: 'parse_failure',
    line: text.length > PARSE_FAILURE_LINE_CHARS ? `${shown.slice(0, PARSE_FAILURE_LINE_CHARS)}… (${text.length} chars)` : shown,
    reason,
  });
  // An over-long line the splitter could not skim as JSON: one that began like a protocol line is one
  // failure naming its length (its start alone is not JSON); any other is the agent's output, noted as cut.
  const cut = readOverLongNote(text);
  if (cut && cut.head.trimStart().startsWith('{')) return failure(`a line of ${cut.chars} chars, over the line limit, and not valid JSON`);
  if (!start.startsWith('{')) {
    if (!BINARY_DATA.test(text)) return { type: 'output', line: text };
    // Quoted with its control bytes made visible, so the event stays one readable line.
    return failure('binary data, not text', text.slice(0, PARSE_FAILURE_LINE_CHARS + 1).replace(/[\u0000-\u001f]/g, '\ufffd'));
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return failure(`not JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return failure('not a JSON object');
  const type = (value as { type?: unknown }).type;
  const invalid = (issues: z.ZodError): AgentMessage =>
    failure(`bad ${String(type)} message: ${issues.issues.map((i) => `${i.path.join('.') || 'line'} ${i.message}`).join('; ')}`);
  switch (type) {
    case 'tool_call': {
      const parsed = toolCallSchema.safeParse(value);
      if (!parsed.success) return invalid(parsed.error);
      const { tool, ok, duration_ms } = parsed.data;
      return { type: 'tool_call', tool, ok, duration_ms };
    }
    case 'tokens': {
      const parsed = tokensSchema.safeParse(value);
      if (!parsed.success) return invalid(parsed.error);
      const { input, output, model } = parsed.data;
      return { type: 'tokens', input, output, model: model ?? '' };
    }
    case 'state': {
      const parsed = stateSchema.safeParse(value);
      if (!parsed.success) return invalid(parsed.error);
      const { status, task } = parsed.data;
      return task === undefined ? { type: 'state', status } : { type: 'state', status, task };
    }
    case 'task_done': {
      const parsed = taskDoneSchema.safeParse(value);
      return parsed.success ? { type: 'task_done', task: parsed.data.task } : invalid(parsed.error);
    }
    case 'context': {
      const parsed = contextSchema.safeParse(value);
      return parsed.success ? { type: 'context', tokens: parsed.data.tokens } : invalid(parsed.error);
    }
    case 'error': {
      const parsed = errorSchema.safeParse(value);
      return parsed.success ? { type: 'error', message: parsed.data.message } : invalid(parsed.error);
    }
    case 'vote': {
      const parsed = voteSchema.safeParse(value);
      return parsed.success ? { type: 'vote', topic: parsed.data.topic, choice: parsed.data.choice } : invalid(parsed.error);
    }
    default:
      return failure(type === undefined ? 'no "type" field' : `unknown type ${JSON.stringify(type).slice(0, 60)}`);
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
