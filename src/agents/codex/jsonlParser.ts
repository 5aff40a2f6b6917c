// Reads `codex exec --json`: one ThreadEvent a line (thread.started,
// turn.started, item.started/updated/completed, turn.completed, turn.failed,
// error). What megatest counts from it, and why:
//
// - Tokens: `turn.completed.usage` is the thread's running total (codex emits
//   its ThreadTokenUsage.total), not the turn's, and a resumed thread
//   (`codex exec resume`) carries on the total of the runs before it. So the
//   parser emits the growth over the last figure it saw, starting from what
//   megatest already counted for the thread (ParserContext.countedTokens);
//   the tokens reported for a stream equal its last cumulative figure.
//   input = input_tokens (cached_input_tokens is a part of it, not an addition).
// - Tool calls: a command_execution, file_change, mcp_tool_call, web_search
//   or collab_tool_call item, counted when it completes. The stream has no
//   timestamps, so a call's duration is unknown and reported as 0.
// - Errors: a top-level `error` (codex's unrecoverable error) or a
//   `turn.failed` is the task's failed outcome, with what it said; the
//   adapter reports that failure as one error. codex prints both for one
//   failure, and each was an error of its own as well: a rate limit spent
//   three recovery attempts at once, and moved to a third model. codex's own
//   "Reconnecting… n/m" notices are retries it makes by itself.

import type { ParserContext } from '../cliSpec.js';
import type { AgentMessage, AgentStreamParser } from '../types.js';

const FAILURE_LINE_CHARS = 1000;
/** codex's notice while it retries a dropped model stream by itself, e.g. "Reconnecting... 2/5 (stream disconnected …)". */
const RECONNECTING = /^Reconnecting\b\D*(\d+)\s*\/\s*(\d+)/i;

type Json = Record<string, unknown>;

/**
 * The top-level event types of `codex exec --json`, the ones this parser reads
 * and the ones it knowingly passes over (turn.started, item.started,
 * item.updated): a line of one of them is codex's own. An import refuses a
 * file with none (src/importer/recognise.ts).
 */
export const CODEX_EVENT_TYPES: ReadonlySet<string> = new Set([
  'thread.started',
  'turn.started',
  'turn.completed',
  'turn.failed',
  'item.started',
  'item.updated',
  'item.completed',
  'error',
]);

export function createCodexParser(context: ParserContext = {}): AgentStreamParser {
  const model = context.model ?? '';
  let threadId: string | undefined;
  // The last cumulative figure megatest has counted up to, in AgentMessage units.
  let counted = { input: num(context.countedTokens?.input), output: num(context.countedTokens?.output) };
  let turnCompleted = false;
  /** The success was said at turn.completed: a process that lingers after it is ended 5 s later, as after claude's result line. */
  let succeededSaid = false;
  let failed = false;

  function onItemCompleted(item: Json, out: AgentMessage[]): void {
    switch (item.type) {
      case 'command_execution': {
        // exit_code is null for a command that never ran (declined, or killed by the sandbox).
        const ok = item.status === 'completed' && (item.exit_code === 0 || item.exit_code === undefined);
        out.push({ type: 'tool_call', tool: 'command_execution', ok, duration_ms: 0 });
        return;
      }
      case 'file_change':
        out.push({ type: 'tool_call', tool: 'file_change', ok: item.status === 'completed', duration_ms: 0 });
        return;
      case 'mcp_tool_call': {
        const server = typeof item.server === 'string' ? item.server : '?';
        const tool = typeof item.tool === 'string' ? item.tool : '?';
        const ok = item.status === 'completed' && (item.error === null || item.error === undefined);
        out.push({ type: 'tool_call', tool: `mcp:${server}/${tool}`, ok, duration_ms: 0 });
        return;
      }
      case 'web_search':
        // Completes when the results came back; the item has no status to fail with.
        out.push({ type: 'tool_call', tool: 'web_search', ok: true, duration_ms: 0 });
        return;
      case 'collab_tool_call': {
        const tool = typeof item.tool === 'string' ? item.tool : 'collab';
        out.push({ type: 'tool_call', tool: `collab:${tool}`, ok: item.status === 'completed', duration_ms: 0 });
        return;
      }
      case 'agent_message':
        if (typeof item.text === 'string') for (const line of item.text.split('\n')) if (line.trim() !== '') out.push({ type: 'output', line });
        return;
      case 'error':
        // Non-fatal notices codex shows as items (config warnings, deprecations, a model reroute): kept, not errors.
        if (typeof item.message === 'string') out.push({ type: 'output', line: `codex warning: ${item.message}` });
        return;
      default:
        // reasoning, todo_list and later item kinds: nothing megatest counts.
        return;
    }
  }

  function onTurnCompleted(value: Json, out: AgentMessage[]): void {
    turnCompleted = true;
    const usage = asObject(value.usage);
    if (!usage) return;
    const total = { input: num(usage.input_tokens), output: num(usage.output_tokens) };
    // A figure below the last one (a thread codex compacted, or a resume whose total restarted) cannot be
    // told apart from a counter that restarted; megatest then counts nothing for that field and follows
    // the new figure, under-counting rather than inventing tokens.
    const input = Math.max(0, total.input - counted.input);
    const output = Math.max(0, total.output - counted.output);
    counted = total;
    if (input > 0 || output > 0) out.push({ type: 'tokens', input, output, model });
  }

  /** The turn failed: the first to say why gives the outcome's detail (the error line says more than the turn.failed after it). */
  function fail(message: string, out: AgentMessage[]): void {
    if (!failed) out.push({ type: 'outcome', outcome: 'failed', detail: message });
    failed = true;
  }

  function onError(value: Json, out: AgentMessage[]): void {
    const message = messageOf(value) ?? 'error';
    const retry = RECONNECTING.exec(message);
    if (retry) {
      out.push({ type: 'retry', message, attempt: Number(retry[1]) });
      return;
    }
    fail(message, out);
  }

  return {
    line(text: string): AgentMessage[] {
      if (text.trim() === '') return [];
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        return [parseFailure(text, `not JSON: ${(error as Error).message}`)];
      }
      const event = asObject(value);
      if (!event || typeof event.type !== 'string') return [parseFailure(text, 'not a codex event (an object with a "type")')];
      const out: AgentMessage[] = [];
      switch (event.type) {
        case 'thread.started':
          if (typeof event.thread_id === 'string' && event.thread_id !== '' && event.thread_id !== threadId) {
            threadId = event.thread_id;
            out.push({ type: 'session', id: event.thread_id });
          }
          break;
        case 'item.completed': {
          const item = asObject(event.item);
          if (item) onItemCompleted(item, out);
          break;
        }
        case 'turn.completed':
          onTurnCompleted(event, out);
          // codex exec runs one turn, and its turn.completed is the stream's last line: the outcome, said now.
          if (!failed && !succeededSaid) {
            succeededSaid = true;
            out.push({ type: 'outcome', outcome: 'succeeded' });
          }
          break;
        case 'turn.failed':
          fail(messageOf(asObject(event.error)) ?? 'turn failed', out);
          break;
        case 'error':
          onError(event, out);
          break;
        default:
          // turn.started, item.started, item.updated: a call is counted once, when it completes.
          break;
      }
      return out;
    },
    end(): AgentMessage[] {
      // Said at turn.completed already, unless something said it failed first.
      return turnCompleted && !failed && !succeededSaid ? [{ type: 'outcome', outcome: 'succeeded' }] : [];
    },
  };
}

function messageOf(value: Json | undefined): string | undefined {
  return value && typeof value.message === 'string' && value.message !== '' ? value.message : undefined;
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

function asObject(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

function parseFailure(text: string, reason: string): AgentMessage {
  const line = text.length > FAILURE_LINE_CHARS ? `${text.slice(0, FAILURE_LINE_CHARS)}…` : text;
  return { type: 'parse_failure', line, reason };
}
