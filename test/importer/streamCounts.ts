// What a recorded file holds, counted straight from its text by plain
// patterns and JSON walking, written here for the import tests: never by
// calling a parser. Each kind's figures are what its stream itself says.

export interface StreamCounts {
  /** Tool calls by tool name. */
  tools: Record<string, number>;
  /** Tool calls that failed (a failed result, or none); null where the stream's own result lines are not counted here. */
  failedTools: number | null;
  /** Steps of the agent's loop, in order (none for kinds without). */
  steps: number[];
  /** Total tokens (input + output) as the stream's own accounting gives them; null when it carries no usage at all. */
  tokens: number | null;
  /** Errors the stream reports, not counting the task's own failed outcome. */
  errors: number;
  /** Retries the agent made by itself. */
  retries: number;
  /** How the run ended, by the stream's own word; null when it never said. */
  outcome: 'succeeded' | 'failed' | 'max_turns' | 'interrupted' | null;
  costUsd: number | null;
}

type Json = Record<string, unknown>;

const count = (text: string, pattern: RegExp): number => [...text.matchAll(pattern)].length;

function add(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

function jsonLines(text: string): (Json | null)[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        const value = JSON.parse(line) as unknown;
        return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : null;
      } catch {
        return null;
      }
    });
}

/**
 * selfware's closing `Error: ` line: main's last words before a failing
 * exit, when no line ended its task first (a failure, the completion, the
 * shutdown, the iteration limit). It is the run's failure (its outcome, at
 * the stream's end), not an error of its own; after such a line, main says
 * the same failure again.
 */
export function selfwareClosingError(text: string): string | null {
  const lines = text.split('\n');
  const ending = lines.findIndex((line) => /^❌ Task failed:|^🌾 Task complete\.|Received shutdown signal, exiting gracefully\.\.\.|^Error: .*(max iterations reached|iteration limit reached)/iu.test(line));
  if (ending >= 0) return null;
  return lines.filter((line) => line.startsWith('Error: ')).at(-1)?.trimEnd() ?? null;
}

export function selfwareCounts(text: string): StreamCounts {
  const tools: Record<string, number> = {};
  // One attempted call per name tag opening a line: <name>x, <name=x, <function=x.
  for (const m of text.matchAll(/^<(?:name|function)[>=]([A-Za-z_][\w.-]*)/gm)) add(tools, m[1]!);
  const tokenLines = [...text.matchAll(/📊 Tokens: (\d+) prompt \+ (\d+) completion = (\d+) total/gu)];
  const harvest = /^🌾 Task complete\./mu.test(text);
  const failed = /^❌ Task failed:/mu.test(text);
  const shutdown = text.includes('Received shutdown signal, exiting gracefully...');
  return {
    tools,
    failedTools: null,
    steps: [...text.matchAll(/📝 Step (\d+) Executing\.\.\./gu)].map((m) => Number(m[1])),
    tokens: tokenLines.length === 0 ? null : tokenLines.reduce((n, m) => n + Number(m[3]), 0),
    // A task failure is the run's outcome (its task-end error), not an error of its own.
    errors: count(text, /⚠️ Recovering from error:/gu) + count(text, /Status: ✗ FAILED/gu),
    retries: count(text, /🔄 Model described intent but didn't act/gu),
    outcome: harvest ? 'succeeded' : failed ? 'failed' : shutdown ? 'interrupted' : selfwareClosingError(text) !== null ? 'failed' : null,
    costUsd: null,
  };
}

export function claudeCounts(text: string): StreamCounts {
  const tools: Record<string, number> = {};
  const called = new Map<string, string>();
  const results = new Map<string, boolean>();
  const steps: string[] = [];
  // Per message id the largest usage seen (the CLI repeats a message's usage on each of its blocks).
  const usage = new Map<string, { input: number; output: number }>();
  let resultTokens: number | null = null;
  let errors = 0;
  let retries = 0;
  let outcome: StreamCounts['outcome'] = null;
  let costUsd: number | null = null;
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  for (const line of jsonLines(text)) {
    if (!line) continue;
    const message = line.message as Json | undefined;
    if (line.type === 'assistant' && message) {
      const id = message.id as string;
      const main = line.parent_tool_use_id === null || line.parent_tool_use_id === undefined;
      if (main && !steps.includes(id)) steps.push(id);
      const u = message.usage as Json | undefined;
      if (main && u) {
        const before = usage.get(id) ?? { input: 0, output: 0 };
        const input = n(u.input_tokens) + n(u.cache_creation_input_tokens) + n(u.cache_read_input_tokens);
        usage.set(id, { input: Math.max(before.input, input), output: Math.max(before.output, n(u.output_tokens)) });
      }
      for (const block of (message.content as Json[]) ?? []) {
        if (block.type === 'tool_use' && !called.has(block.id as string)) called.set(block.id as string, block.name as string);
      }
      if (typeof line.error === 'string' && line.error !== '') errors += 1;
    } else if (line.type === 'user' && message) {
      for (const block of (message.content as Json[]) ?? []) {
        if (block.type === 'tool_result') results.set(block.tool_use_id as string, block.is_error !== true);
      }
    } else if (line.type === 'system' && line.subtype === 'api_retry') {
      retries += 1;
    } else if (line.type === 'result') {
      const u = line.usage as Json;
      resultTokens = (resultTokens ?? 0) + n(u.input_tokens) + n(u.cache_creation_input_tokens) + n(u.cache_read_input_tokens) + n(u.output_tokens);
      outcome = line.subtype === 'success' && line.is_error !== true ? 'succeeded' : line.subtype === 'error_max_turns' ? 'max_turns' : 'failed';
      if (typeof line.total_cost_usd === 'number') costUsd = (costUsd ?? 0) + line.total_cost_usd;
    }
  }
  for (const name of called.values()) add(tools, name);
  const failedTools = [...called.keys()].filter((id) => results.get(id) !== true).length;
  // With a result line, its usage is the run's total; a stream cut before it has only the per-message figures.
  const perMessage = [...usage.values()].reduce((sum, u) => sum + u.input + u.output, 0);
  return { tools, failedTools, steps: steps.map((_, i) => i + 1), tokens: resultTokens ?? (usage.size > 0 ? perMessage : null), errors, retries, outcome, costUsd };
}

const CODEX_TOOLS: Record<string, (item: Json) => string> = {
  command_execution: () => 'command_execution',
  file_change: () => 'file_change',
  mcp_tool_call: (item) => `mcp:${String(item.server)}/${String(item.tool)}`,
  web_search: () => 'web_search',
  collab_tool_call: (item) => `collab:${String(item.tool)}`,
};

export function codexCounts(text: string): StreamCounts {
  const tools: Record<string, number> = {};
  let last: { input: number; output: number } | null = null;
  let retries = 0;
  let failed = false;
  let completed = false;
  for (const line of jsonLines(text)) {
    if (!line) continue;
    if (line.type === 'item.completed') {
      const item = line.item as Json;
      const name = CODEX_TOOLS[item.type as string];
      if (name) add(tools, name(item));
    } else if (line.type === 'turn.completed') {
      completed = true;
      const u = line.usage as Json;
      last = { input: Number(u.input_tokens ?? 0), output: Number(u.output_tokens ?? 0) };
    } else if (line.type === 'turn.failed') {
      failed = true;
    } else if (line.type === 'error') {
      // codex's unrecoverable error fails the run (one task-end error, as turn.failed); Reconnecting is a retry.
      if (/^Reconnecting\b/i.test(String(line.message))) retries += 1;
      else failed = true;
    }
  }
  return {
    tools,
    failedTools: null,
    steps: [],
    // turn.completed.usage is the thread's running total: the last one is the run's.
    tokens: last ? last.input + last.output : null,
    // every failure is the run's outcome (its task-end error), none an error of its own
    errors: 0,
    retries,
    outcome: failed ? 'failed' : completed ? 'succeeded' : null,
    costUsd: null,
  };
}

export interface ProtocolCounts extends StreamCounts {
  /** Lines that start with `{` and are not a valid message. */
  malformed: number;
  tasksDone: string[];
  votes: number;
}

/** A JSONL-protocol transcript, checked against the protocol table in docs/agent-protocol.md. */
export function protocolCounts(text: string): ProtocolCounts {
  const tools: Record<string, number> = {};
  let failedTools = 0;
  let tokens: number | null = null;
  let errors = 0;
  let malformed = 0;
  let votes = 0;
  const tasksDone: string[] = [];
  const isNum = (v: unknown) => typeof v === 'number' && v >= 0;
  for (const raw of text.split('\n')) {
    if (!raw.trimStart().startsWith('{')) continue;
    let line: Json | null = null;
    try {
      const value = JSON.parse(raw) as unknown;
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) line = value as Json;
    } catch {
      line = null;
    }
    const valid =
      line !== null &&
      ((line.type === 'tool_call' && typeof line.tool === 'string' && typeof line.ok === 'boolean' && isNum(line.duration_ms)) ||
        (line.type === 'tokens' && isNum(line.input) && isNum(line.output)) ||
        (line.type === 'state' && typeof line.status === 'string') ||
        (line.type === 'task_done' && typeof line.task === 'string') ||
        (line.type === 'context' && isNum(line.tokens)) ||
        (line.type === 'error' && typeof line.message === 'string') ||
        (line.type === 'vote' && typeof line.topic === 'string' && typeof line.choice === 'string'));
    if (!valid || line === null) {
      malformed += 1;
      continue;
    }
    if (line.type === 'tool_call') {
      add(tools, line.tool as string);
      if (line.ok === false) failedTools += 1;
    } else if (line.type === 'tokens') {
      tokens = (tokens ?? 0) + (line.input as number) + (line.output as number);
    } else if (line.type === 'error') {
      errors += 1;
    } else if (line.type === 'task_done' && !tasksDone.includes(line.task as string)) {
      tasksDone.push(line.task as string);
    } else if (line.type === 'vote') {
      votes += 1;
    }
  }
  return { tools, failedTools, steps: [], tokens, errors, retries: 0, outcome: null, costUsd: null, malformed, tasksDone, votes };
}
