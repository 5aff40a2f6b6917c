// What an agent says is its own word, checked before it becomes an event
// (docs/agent-protocol.md, "What megatest checks"): numbers within bounds
// (bounds.ts), a task_done only for a task megatest gave that agent, and
// every string it chose cut to EVENT_TEXT_MAX_BYTES. A message that fails
// is a protocol error: counted with the agent's parse failures, its figures
// and its claim unused, the session unharmed.

import { messageNumbersProblem } from '../agents/bounds.js';
import { PARSE_FAILURE_LINE_CHARS } from '../agents/jsonl.js';
import type { AgentMessage } from '../agents/types.js';
import { assertNever } from '../contract/assertNever.js';
import { capEventText } from '../contract/textCap.js';

export type VettedMessage = { ok: true; message: AgentMessage } | { ok: false; failure: { line: string; reason: string } };

export interface AgentTasks {
  /** Every task megatest has given this agent (phase commands, its resume state). */
  assigned: ReadonlySet<string>;
  /** Whether the task is done already (a repeated task_done is harmless, and ignored). */
  isDone(task: string): boolean;
}

/** The message as it may go into events, or why it is a protocol error. */
export function vetAgentMessage(message: AgentMessage, tasks: AgentTasks): VettedMessage {
  const fail = (reason: string): VettedMessage => ({ ok: false, failure: { line: quoted(message), reason } });
  const numbers = messageNumbersProblem(message);
  if (numbers !== null) return fail(`number out of bounds: ${numbers}`);
  switch (message.type) {
    case 'tool_call':
      return { ok: true, message: { ...message, tool: capEventText(message.tool) } };
    case 'tokens':
      return { ok: true, message: { ...message, model: capEventText(message.model) } };
    case 'state':
      return { ok: true, message: message.task === undefined ? message : { ...message, task: capEventText(message.task) } };
    case 'task_done':
      if (!tasks.isDone(message.task) && !tasks.assigned.has(message.task)) {
        return fail(`task_done for a task not assigned to this agent: ${JSON.stringify(capEventText(message.task, 200))}`);
      }
      return { ok: true, message };
    case 'error':
      return { ok: true, message: { ...message, message: capEventText(message.message), ...(message.cause === undefined ? {} : { cause: capEventText(message.cause) }) } };
    case 'vote':
      return { ok: true, message: { ...message, topic: capEventText(message.topic), choice: capEventText(message.choice) } };
    case 'retry':
      return { ok: true, message: { ...message, message: capEventText(message.message) } };
    case 'context':
    case 'output':
    case 'step':
    case 'session':
    case 'parse_failure':
    case 'outcome':
      return { ok: true, message };
    default:
      return assertNever(message, 'agent message');
  }
}

/** The message as a short line for the parse failure's quote (the agent's own line is in output.log). */
function quoted(message: AgentMessage): string {
  const text = JSON.stringify(message);
  return text.length > PARSE_FAILURE_LINE_CHARS ? `${text.slice(0, PARSE_FAILURE_LINE_CHARS)}… (${text.length} chars)` : text;
}
