import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createClaudeCodeParser } from '../../../src/agents/claudeCode/streamParser.js';
import type { AgentMessage, AgentStreamParser } from '../../../src/agents/types.js';
import { SHARED_FIXTURES_DIR } from '../../../src/paths.js';
import { FAKES_DIR } from '../../fixtures/agents/runFake.js';

type Json = Record<string, any>;

function parseAll(parser: AgentStreamParser, lines: string[]): AgentMessage[] {
  return [...lines.flatMap((line) => parser.line(line)), ...parser.end()];
}

function of<T extends AgentMessage['type']>(messages: AgentMessage[], type: T): Extract<AgentMessage, { type: T }>[] {
  return messages.filter((m): m is Extract<AgentMessage, { type: T }> => m.type === type);
}

/** What a stream-json file itself says, counted by walking its JSON (not by the parser). */
function countFromFile(file: string) {
  const events = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Json);
  const toolNames = new Map<string, string>();
  const failedIds = new Set<string>();
  const answeredIds = new Set<string>();
  for (const event of events) {
    for (const block of event.message?.content ?? []) {
      if (event.type === 'assistant' && block.type === 'tool_use') toolNames.set(block.id, block.name);
      if (event.type === 'user' && block.type === 'tool_result') {
        answeredIds.add(block.tool_use_id);
        if (block.is_error === true) failedIds.add(block.tool_use_id);
      }
    }
  }
  const calls: Record<string, { ok: number; failed: number }> = {};
  for (const [id, name] of toolNames) {
    calls[name] ??= { ok: 0, failed: 0 };
    if (answeredIds.has(id) && !failedIds.has(id)) calls[name].ok += 1;
    else calls[name].failed += 1;
  }
  const results = events.filter((e) => e.type === 'result');
  const tokens = { input: 0, output: 0 };
  for (const r of results) {
    tokens.input += r.usage.input_tokens + r.usage.cache_creation_input_tokens + r.usage.cache_read_input_tokens;
    tokens.output += r.usage.output_tokens;
  }
  const last = results[results.length - 1];
  const outcome =
    last.subtype === 'success' ? (last.is_error ? 'failed' : 'succeeded') : last.subtype === 'error_max_turns' ? 'max_turns' : 'failed';
  const sessions = [...new Set(events.map((e) => e.session_id).filter((id) => typeof id === 'string'))];
  const retries = events.filter((e) => e.type === 'system' && e.subtype === 'api_retry').length;
  return { calls, tokens, outcome, cost: last.total_cost_usd, duration: last.duration_ms, sessions, retries };
}

function countFromMessages(messages: AgentMessage[]) {
  const calls: Record<string, { ok: number; failed: number }> = {};
  for (const call of of(messages, 'tool_call')) {
    calls[call.tool] ??= { ok: 0, failed: 0 };
    calls[call.tool][call.ok ? 'ok' : 'failed'] += 1;
  }
  const tokens = of(messages, 'tokens').reduce((sum, t) => ({ input: sum.input + t.input, output: sum.output + t.output }), { input: 0, output: 0 });
  return { calls, tokens };
}

const sharedDir = path.join(SHARED_FIXTURES_DIR, 'claude-code');
const sharedFiles = existsSync(sharedDir) ? readdirSync(sharedDir).filter((f) => f.endsWith('.ndjson')).map((f) => path.join(sharedDir, f)) : [];
const ownDir = path.join(FAKES_DIR, 'claude-code');
const ownFiles = readdirSync(ownDir).filter((f) => f.endsWith('.ndjson')).map((f) => path.join(ownDir, f));

function checkFile(file: string): void {
  const expected = countFromFile(file);
  const lines = readFileSync(file, 'utf8').split('\n');
  const messages = parseAll(createClaudeCodeParser(), lines);
  const got = countFromMessages(messages);
  expect(got.calls).toEqual(expected.calls);
  expect(got.tokens).toEqual(expected.tokens);
  const outcomes = of(messages, 'outcome');
  expect(outcomes.map((o) => o.outcome)).toEqual([expected.outcome]);
  expect(outcomes[0].cost_usd).toBe(expected.cost);
  expect(outcomes[0].duration_ms).toBe(expected.duration);
  expect(of(messages, 'session').map((s) => s.id)).toEqual(expected.sessions);
  expect(of(messages, 'retry')).toHaveLength(expected.retries);
  expect(of(messages, 'parse_failure')).toEqual([]);
}

describe.skipIf(sharedFiles.length === 0)(
  `claude-code stream parser on ../shared/fixtures/claude-code${sharedFiles.length === 0 ? ' (skipped: ../shared/fixtures is absent)' : ''}`,
  () => {
    it.each(sharedFiles.map((f) => [path.basename(f), f]))('%s: tool calls, tokens = result.usage, outcome, cost, session', (_name, file) => {
      checkFile(file);
    });
  },
);

describe('claude-code stream parser on the fake’s own recorded-format stream', () => {
  it.each(ownFiles.map((f) => [path.basename(f), f]))('%s', (_name, file) => {
    checkFile(file);
    // The stream exercises what the shared recordings lack: several tools, a failed call, a retry.
    const expected = countFromFile(file);
    expect(Object.keys(expected.calls).length).toBeGreaterThan(1);
    expect(Object.values(expected.calls).some((c) => c.failed > 0)).toBe(true);
    expect(expected.retries).toBeGreaterThan(0);
  });
});

const assistant = (id: string, usage: Json, content: Json[], extra: Json = {}) =>
  JSON.stringify({ type: 'assistant', message: { model: 'm1', id, content, usage }, parent_tool_use_id: null, session_id: 's1', ...extra });
const toolUse = (id: string, name: string) => ({ type: 'tool_use', id, name, input: {} });
const toolResult = (id: string, isError: boolean, extra: Json = {}) =>
  JSON.stringify({ type: 'user', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, is_error: isError, content: 'x' }] }, session_id: 's1', ...extra });
const result = (fields: Json) => JSON.stringify({ type: 'result', session_id: 's1', ...fields });
const usage = (input: number, cacheCreation: number, cacheRead: number, output: number) => ({
  input_tokens: input,
  cache_creation_input_tokens: cacheCreation,
  cache_read_input_tokens: cacheRead,
  output_tokens: output,
});

describe('createClaudeCodeParser', () => {
  it('counts usage once per message.id, though the CLI repeats it on every content block', () => {
    const parser = createClaudeCodeParser();
    const messages = parseAll(parser, [
      assistant('msg_1', usage(10, 100, 0, 5), [{ type: 'text', text: 'hello' }]),
      assistant('msg_1', usage(10, 100, 0, 5), [toolUse('t1', 'Read')]),
      assistant('msg_1', usage(10, 100, 0, 5), [toolUse('t2', 'Read')]),
      assistant('msg_2', usage(2, 0, 110, 3), [{ type: 'text', text: 'more' }]),
    ]);
    expect(of(messages, 'tokens')).toEqual([
      { type: 'tokens', input: 110, output: 5, model: 'm1' },
      { type: 'tokens', input: 112, output: 3, model: 'm1' },
    ]);
    expect(of(messages, 'step').map((s) => s.step)).toEqual([1, 2]);
    expect(of(messages, 'context').map((c) => c.tokens)).toEqual([110, 112]);
  });

  it('counts only the growth when a repeat of a message shows a larger figure', () => {
    const messages = parseAll(createClaudeCodeParser(), [
      assistant('msg_1', usage(10, 0, 0, 5), [{ type: 'text', text: 'a' }]),
      assistant('msg_1', usage(10, 0, 0, 9), [toolUse('t1', 'Bash')]),
    ]);
    expect(of(messages, 'tokens').map((t) => [t.input, t.output])).toEqual([
      [10, 5],
      [0, 4],
    ]);
  });

  it('corrects the total to result.usage at the result line, in either direction', () => {
    const up = parseAll(createClaudeCodeParser(), [assistant('msg_1', usage(10, 20, 30, 5), []), result({ subtype: 'success', is_error: false, usage: usage(12, 20, 30, 250) })]);
    expect(of(up, 'tokens').map((t) => [t.input, t.output])).toEqual([
      [60, 5],
      [2, 245],
    ]);
    // A stream whose messages say more than its result (it contradicts itself): the result's totals win.
    const down = parseAll(createClaudeCodeParser(), [assistant('msg_1', usage(100, 0, 0, 50), []), result({ subtype: 'success', is_error: false, usage: usage(80, 0, 0, 60) })]);
    const total = of(down, 'tokens').reduce((s, t) => [s[0] + t.input, s[1] + t.output], [0, 0]);
    expect(total).toEqual([80, 60]);
  });

  it('leaves a sub-agent’s usage to the result but counts its tool calls', () => {
    const messages = parseAll(createClaudeCodeParser(), [
      assistant('msg_sub', usage(500, 0, 0, 40), [toolUse('t9', 'Grep')], { parent_tool_use_id: 'toolu_task' }),
      toolResult('t9', false, { parent_tool_use_id: 'toolu_task' }),
    ]);
    expect(of(messages, 'tokens')).toEqual([]);
    expect(of(messages, 'step')).toEqual([]);
    expect(of(messages, 'tool_call')).toEqual([{ type: 'tool_call', tool: 'Grep', ok: true, duration_ms: 0 }]);
  });

  it('holds a tool_use until its tool_result; is_error makes it failed; the stream’s timestamps time it', () => {
    const parser = createClaudeCodeParser();
    expect(of(parser.line(assistant('msg_1', usage(1, 0, 0, 1), [toolUse('t1', 'Bash'), toolUse('t2', 'Edit')])), 'tool_call')).toEqual([]);
    expect(parser.line(toolResult('t2', true))).toEqual([{ type: 'tool_call', tool: 'Edit', ok: false, duration_ms: 0 }]);
    expect(parser.line(toolResult('unknown', false))).toEqual([]);
    expect(parser.line(toolResult('t1', false))).toEqual([{ type: 'tool_call', tool: 'Bash', ok: true, duration_ms: 0 }]);

    const timed = createClaudeCodeParser();
    timed.line(assistant('msg_1', usage(1, 0, 0, 1), [toolUse('t1', 'Bash')], { timestamp: '2026-01-11T00:22:00.000Z' }));
    expect(timed.line(toolResult('t1', false, { timestamp: '2026-01-11T00:22:01.250Z' }))).toEqual([
      { type: 'tool_call', tool: 'Bash', ok: true, duration_ms: 1250 },
    ]);
  });

  it('reads system/api_retry as a retry, not a failure', () => {
    const messages = createClaudeCodeParser().line(
      JSON.stringify({ type: 'system', subtype: 'api_retry', attempt: 2, max_retries: 10, retry_delay_ms: 2400, error_status: 529, error: 'server_error', session_id: 's1' }),
    );
    expect(messages).toEqual([
      { type: 'session', id: 's1' },
      { type: 'retry', message: 'API retry 2/10: server_error (HTTP 529)', attempt: 2, delay_ms: 2400 },
    ]);
  });

  it.each([
    ['success', false, 'succeeded'],
    ['success', true, 'failed'],
    ['error_max_turns', true, 'max_turns'],
    ['error_during_execution', true, 'failed'],
    ['error_max_budget_usd', true, 'failed'],
  ] as const)('result subtype %s with is_error %s → %s', (subtype, isError, outcome) => {
    const messages = createClaudeCodeParser().line(result({ subtype, is_error: isError, total_cost_usd: 0.5, duration_ms: 1200, result: 'said' }));
    const [said] = of(messages, 'outcome');
    expect(said.outcome).toBe(outcome);
    expect(said.cost_usd).toBe(0.5);
    expect(said.duration_ms).toBe(1200);
    if (outcome !== 'succeeded') expect(said.detail).toBeTruthy();
  });

  it('counts a tool call whose result never came as failed, at the result or at the end', () => {
    const atResult = parseAll(createClaudeCodeParser(), [assistant('msg_1', usage(1, 0, 0, 1), [toolUse('t1', 'Bash')]), result({ subtype: 'error_max_turns', is_error: true })]);
    expect(of(atResult, 'tool_call')).toEqual([{ type: 'tool_call', tool: 'Bash', ok: false, duration_ms: 0 }]);
    const atEnd = parseAll(createClaudeCodeParser(), [assistant('msg_1', usage(1, 0, 0, 1), [toolUse('t1', 'Write')])]);
    expect(of(atEnd, 'tool_call')).toEqual([{ type: 'tool_call', tool: 'Write', ok: false, duration_ms: 0 }]);
  });

  it('makes malformed lines parse failures and never throws; ignores kinds it does not count', () => {
    const parser = createClaudeCodeParser();
    for (const line of ['{not json', 'plain text on stdout', '[1,2,3]', 'null', '{"no_type":true}', '\u0000\u0001binary']) {
      const messages = parser.line(line);
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatchObject({ type: 'parse_failure', line });
    }
    expect(parser.line('')).toEqual([]);
    expect(parser.line('{"type":"stream_event","event":{}}')).toEqual([]);
    const huge = `{"type":"assistant",${'x'.repeat(2_000_000)}`;
    const [failure] = parser.line(huge);
    expect(failure.type).toBe('parse_failure');
    expect(failure.type === 'parse_failure' && failure.line.length).toBeLessThan(2000);
  });

  it('survives a stream cut mid-line: the fragment is a parse failure, held calls are flushed as failed', () => {
    const parser = createClaudeCodeParser();
    const full = result({ subtype: 'success', is_error: false, usage: usage(1, 0, 0, 1) });
    const messages = parseAll(parser, [assistant('msg_1', usage(1, 0, 0, 1), [toolUse('t1', 'Bash')]), full.slice(0, full.length / 2)]);
    expect(of(messages, 'parse_failure')).toHaveLength(1);
    expect(of(messages, 'tool_call')).toEqual([{ type: 'tool_call', tool: 'Bash', ok: false, duration_ms: 0 }]);
    expect(of(messages, 'outcome')).toEqual([]);
  });

  it('says the session id once, and again when it changes; names the model megatest asked for until the stream names one', () => {
    const parser = createClaudeCodeParser({ model: 'asked-model' });
    const messages = parseAll(parser, [
      JSON.stringify({ type: 'user', message: { content: [] }, session_id: 'a' }),
      JSON.stringify({ type: 'user', message: { content: [] }, session_id: 'a' }),
      result({ subtype: 'success', is_error: false, session_id: 'b', usage: usage(5, 0, 0, 1) }),
    ]);
    expect(of(messages, 'session').map((s) => s.id)).toEqual(['a', 'b']);
    expect(of(messages, 'tokens')).toEqual([{ type: 'tokens', input: 5, output: 1, model: 'asked-model' }]);
  });
});

describe('an API call that failed the run (an assistant line marked error)', () => {
  const failedCall = (kind: string, text: string) =>
    JSON.stringify({ type: 'assistant', message: { id: 'msg_err', model: '<synthetic>', role: 'assistant', content: [{ type: 'text', text }], usage: { input_tokens: 0, output_tokens: 0 } }, error: kind, session_id: 's' });
  const failedResult = (text: string) => JSON.stringify({ type: 'result', subtype: 'success', is_error: true, result: text, session_id: 's', usage: { input_tokens: 0, output_tokens: 0 } });

  it('is the run\'s failure, which the result line says in words: no error of its own (the adapter reports the failure once)', () => {
    const said = 'API Error: 429 {"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed your account\'s rate limit. Please try again later."}}';
    const messages = parseAll(createClaudeCodeParser(), [failedCall('rate_limit', said), failedResult(said)]);
    expect(of(messages, 'error')).toEqual([]);
    expect(of(messages, 'outcome')).toEqual([{ type: 'outcome', outcome: 'failed', detail: said }]);
    expect(of(messages, 'output').map((m) => m.line)).toEqual([said]);
  });

  it('with no result line after it, the run fails with it', () => {
    const messages = parseAll(createClaudeCodeParser(), [failedCall('authentication_failed', 'Invalid API key · Please run /login')]);
    expect(of(messages, 'error')).toEqual([]);
    expect(of(messages, 'outcome')).toEqual([{ type: 'outcome', outcome: 'failed', detail: 'Claude API error: authentication_failed' }]);
  });
});
