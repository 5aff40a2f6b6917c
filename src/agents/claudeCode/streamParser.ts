// Reads `claude -p --verbose --output-format stream-json`: one JSON object a
// line (system/init, assistant, user, system/api_retry, result, and kinds we
// do not need). What megatest counts from it, and why:
//
// - Tool calls: an assistant line's `tool_use` block is held until the user
//   line carrying its `tool_result` (matched by tool_use_id) says whether it
//   failed (`is_error`). A call whose result never comes (the run ended or
//   was cut first) counts as failed.
// - Tokens: the CLI prints one assistant line per content block and repeats
//   the whole message's usage on each, so usage is counted once per
//   `message.id` (the largest figure seen for it). Those figures are the
//   ones known when the message began: its output count is still partial.
//   The `result` line carries the run's own totals, so at the result a
//   correcting delta makes what megatest counted equal `result.usage`.
// - Input tokens are input_tokens + cache_creation_input_tokens +
//   cache_read_input_tokens: the API reports the three apart and all three
//   are tokens the model read (billed at different rates; cost comes from
//   total_cost_usd, not from these).
// - Errors: an assistant line marked with `error` (rate_limit,
//   authentication_failed, …) stands for the API call that failed the run;
//   the result line after it says so in words, and the adapter reports that
//   failure as one error. Reported as an error of its own as well, a rate
//   limit spent two recovery attempts at once (a backoff, then at once the
//   next model). A run that ends with no result line fails with it.

import type { ParserContext } from '../cliSpec.js';
import type { AgentMessage, AgentStreamParser, TaskOutcome } from '../types.js';

/** Usage the CLI repeats per message is remembered for this many recent message ids (repeats come close together). */
const REMEMBERED_MESSAGES = 256;
/** Tool calls waiting for their result beyond this many are counted (as failed) so memory stays bounded. */
const MAX_PENDING_TOOLS = 1024;
/** A parse failure keeps this much of the line; the raw log keeps all of it. */
const FAILURE_LINE_CHARS = 1000;

type Json = Record<string, unknown>;

/**
 * The top-level message types of stream-json this parser reads, and
 * stream_event (--include-partial-messages), which it passes over: a line of
 * one of them is Claude Code's own. An import refuses a file with none
 * (src/importer/recognise.ts).
 */
export const CLAUDE_MESSAGE_TYPES: ReadonlySet<string> = new Set(['system', 'assistant', 'user', 'result', 'stream_event']);

interface PendingTool {
  name: string;
  /** The stream's own timestamp of the tool_use line, when it has one. */
  atMs: number | undefined;
}

interface TokenCount {
  input: number;
  output: number;
}

export function createClaudeCodeParser(context: ParserContext = {}): AgentStreamParser {
  let sessionId: string | undefined;
  let model = context.model ?? '';
  let steps = 0;
  const pending = new Map<string, PendingTool>();
  const countedPerMessage = new Map<string, TokenCount>();
  // Counted since the last result line: a result's usage covers its own run only.
  let sinceResult: TokenCount = { input: 0, output: 0 };
  /** The kind of the failed API call an assistant line stood for, until a result line comes. */
  let apiError: string | null = null;
  let resulted = false;

  function noteSession(value: Json, out: AgentMessage[]): void {
    const id = value.session_id;
    if (typeof id === 'string' && id !== '' && id !== sessionId) {
      sessionId = id;
      out.push({ type: 'session', id });
    }
  }

  function settleTool(id: string, ok: boolean, endMs: number | undefined, out: AgentMessage[]): void {
    const tool = pending.get(id);
    if (!tool) return; // a result for a call this stream never showed (e.g. a capture that began mid-session)
    pending.delete(id);
    // duration_ms: stream-json lines carry no timestamps in the CLI versions recorded so far, so the
    // time between a call and its result is unknown and reported as 0; a stream that has them is timed.
    const duration = tool.atMs !== undefined && endMs !== undefined ? Math.max(0, endMs - tool.atMs) : 0;
    out.push({ type: 'tool_call', tool: tool.name, ok, duration_ms: duration });
  }

  function settleAllAsFailed(out: AgentMessage[]): void {
    for (const id of [...pending.keys()]) settleTool(id, false, undefined, out);
  }

  function onAssistant(value: Json, out: AgentMessage[]): void {
    const message = asObject(value.message);
    if (!message) return;
    // Lines of a sub-agent (the Task tool) name the tool_use that spawned it. Their tool calls are real
    // and counted; their usage is left to the result line, which is the total megatest must equal.
    const mainThread = value.parent_tool_use_id === null || value.parent_tool_use_id === undefined;
    if (mainThread && typeof message.model === 'string' && message.model !== '') model = message.model;
    const id = typeof message.id === 'string' ? message.id : undefined;
    const usage = asObject(message.usage);
    if (mainThread && id !== undefined) {
      const known = countedPerMessage.get(id);
      if (!known) {
        steps += 1;
        out.push({ type: 'step', step: steps });
        if (usage) out.push({ type: 'context', tokens: inputOf(usage) });
      }
      if (usage) {
        const counted = known ?? { input: 0, output: 0 };
        const input = Math.max(counted.input, inputOf(usage));
        const output = Math.max(counted.output, num(usage.output_tokens));
        if (input > counted.input || output > counted.output) {
          out.push({ type: 'tokens', input: input - counted.input, output: output - counted.output, model });
          sinceResult = { input: sinceResult.input + input - counted.input, output: sinceResult.output + output - counted.output };
        }
        remember(countedPerMessage, id, { input, output });
      } else if (!known) {
        remember(countedPerMessage, id, { input: 0, output: 0 });
      }
    }
    const atMs = timestampOf(value);
    for (const block of blocksOf(message.content)) {
      if (block.type === 'tool_use' && typeof block.id === 'string') {
        const name = typeof block.name === 'string' && block.name !== '' ? block.name : 'unknown';
        if (pending.size >= MAX_PENDING_TOOLS) {
          const oldest = pending.keys().next().value;
          if (oldest !== undefined) settleTool(oldest, false, undefined, out);
        }
        pending.set(block.id, { name, atMs });
      } else if (block.type === 'text' && typeof block.text === 'string') {
        for (const line of block.text.split('\n')) if (line.trim() !== '') out.push({ type: 'output', line });
      }
    }
    // Newer CLIs mark an assistant message that stands for a failed API call (rate_limit, billing_error …).
    if (typeof value.error === 'string' && value.error !== '') apiError = value.error;
  }

  function onUser(value: Json, out: AgentMessage[]): void {
    const message = asObject(value.message);
    if (!message) return;
    const atMs = timestampOf(value);
    for (const block of blocksOf(message.content)) {
      if (block.type === 'tool_result' && typeof block.tool_use_id === 'string') {
        settleTool(block.tool_use_id, block.is_error !== true, atMs, out);
      }
    }
  }

  function onSystem(value: Json, out: AgentMessage[]): void {
    // The init line names the model the CLI settled on; each assistant message names it again.
    if (value.subtype === 'init' && typeof value.model === 'string' && value.model !== '') model = value.model;
    if (value.subtype !== 'api_retry') return;
    const attempt = typeof value.attempt === 'number' ? value.attempt : undefined;
    const max = typeof value.max_retries === 'number' ? value.max_retries : undefined;
    const delay = typeof value.retry_delay_ms === 'number' ? value.retry_delay_ms : undefined;
    const status = typeof value.error_status === 'number' ? ` (HTTP ${value.error_status})` : '';
    const cause = typeof value.error === 'string' && value.error !== '' ? value.error : 'API error';
    const count = attempt !== undefined ? ` ${attempt}${max !== undefined ? `/${max}` : ''}` : '';
    out.push({
      type: 'retry',
      message: `API retry${count}: ${cause}${status}`,
      ...(attempt !== undefined ? { attempt } : {}),
      ...(delay !== undefined ? { delay_ms: delay } : {}),
    });
  }

  function onResult(value: Json, out: AgentMessage[]): void {
    settleAllAsFailed(out);
    resulted = true;
    apiError = null;
    const usage = asObject(value.usage);
    if (usage) {
      // The result's usage is the run's own final count; the per-message figures were partial (output
      // counted when each message began). The difference, usually positive, is what megatest still owes.
      const input = inputOf(usage) - sinceResult.input;
      const output = num(usage.output_tokens) - sinceResult.output;
      if (input !== 0 || output !== 0) out.push({ type: 'tokens', input, output, model });
    }
    sinceResult = { input: 0, output: 0 };
    const subtype = typeof value.subtype === 'string' ? value.subtype : '';
    const { outcome, detail } = outcomeOfResult(subtype, value.is_error === true, value);
    out.push({
      type: 'outcome',
      outcome,
      ...(detail !== undefined ? { detail } : {}),
      ...(typeof value.total_cost_usd === 'number' ? { cost_usd: value.total_cost_usd } : {}),
      ...(typeof value.duration_ms === 'number' ? { duration_ms: value.duration_ms } : {}),
    });
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
      const object = asObject(value);
      if (!object || typeof object.type !== 'string') return [parseFailure(text, 'not a stream-json message (an object with a "type")')];
      const out: AgentMessage[] = [];
      noteSession(object, out);
      switch (object.type) {
        case 'system':
          onSystem(object, out);
          break;
        case 'assistant':
          onAssistant(object, out);
          break;
        case 'user':
          onUser(object, out);
          break;
        case 'result':
          onResult(object, out);
          break;
        default:
          // stream_event, tool_progress, rate-limit notices …: nothing megatest counts.
          break;
      }
      return out;
    },
    end(): AgentMessage[] {
      const out: AgentMessage[] = [];
      settleAllAsFailed(out);
      if (!resulted && apiError !== null) out.push({ type: 'outcome', outcome: 'failed', detail: `Claude API error: ${apiError}` });
      return out;
    },
  };
}

/** How a result line's subtype and is_error read as a task outcome. */
export function outcomeOfResult(subtype: string, isError: boolean, value: Json = {}): { outcome: TaskOutcome; detail?: string } {
  const errors = Array.isArray(value.errors) ? value.errors.filter((e): e is string => typeof e === 'string') : [];
  const said = errors.length > 0 ? errors.join('; ') : typeof value.result === 'string' ? value.result : '';
  if (subtype === 'success') return isError ? { outcome: 'failed', detail: clip(said || 'result is_error') } : { outcome: 'succeeded' };
  if (subtype === 'error_max_turns') return { outcome: 'max_turns', detail: clip(said ? `${subtype}: ${said}` : subtype) };
  // error_during_execution, error_max_budget_usd and any later error_* subtype: the task did not finish.
  return { outcome: 'failed', detail: clip(said ? `${subtype || 'result'}: ${said}` : subtype || 'result without a subtype') };
}

function inputOf(usage: Json): number {
  return num(usage.input_tokens) + num(usage.cache_creation_input_tokens) + num(usage.cache_read_input_tokens);
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

function asObject(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

function blocksOf(content: unknown): Json[] {
  return Array.isArray(content) ? content.map(asObject).filter((b): b is Json => b !== undefined) : [];
}

function timestampOf(value: Json): number | undefined {
  if (typeof value.timestamp !== 'string') return undefined;
  const ms = Date.parse(value.timestamp);
  return Number.isFinite(ms) ? ms : undefined;
}

function remember(map: Map<string, TokenCount>, id: string, count: TokenCount): void {
  map.delete(id);
  map.set(id, count);
  if (map.size > REMEMBERED_MESSAGES) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}

function clip(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

function parseFailure(text: string, reason: string): AgentMessage {
  const line = text.length > FAILURE_LINE_CHARS ? `${text.slice(0, FAILURE_LINE_CHARS)}…` : text;
  return { type: 'parse_failure', line, reason };
}
