import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCodexParser } from '../../../src/agents/codex/jsonlParser.js';
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

/** What a codex JSONL file itself says, counted by walking its JSON (not by the parser). */
function countFromFile(file: string) {
  const events = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Json);
  const calls: Record<string, { ok: number; failed: number }> = {};
  for (const event of events) {
    if (event.type !== 'item.completed') continue;
    const item = event.item;
    let name: string | undefined;
    let ok = false;
    if (item.type === 'command_execution') [name, ok] = ['command_execution', item.status === 'completed' && item.exit_code === 0];
    if (item.type === 'file_change') [name, ok] = ['file_change', item.status === 'completed'];
    if (item.type === 'mcp_tool_call') [name, ok] = [`mcp:${item.server}/${item.tool}`, item.status === 'completed' && !item.error];
    if (item.type === 'web_search') [name, ok] = ['web_search', true];
    if (name === undefined) continue;
    calls[name] ??= { ok: 0, failed: 0 };
    calls[name][ok ? 'ok' : 'failed'] += 1;
  }
  const turns = events.filter((e) => e.type === 'turn.completed');
  const last = turns[turns.length - 1]?.usage;
  const tokens = last ? { input: last.input_tokens, output: last.output_tokens } : { input: 0, output: 0 };
  const failed = events.some((e) => e.type === 'turn.failed');
  const outcomes = failed ? ['failed'] : turns.length > 0 ? ['succeeded'] : [];
  const threads = [...new Set(events.filter((e) => e.type === 'thread.started').map((e) => e.thread_id))];
  return { calls, tokens, outcomes, threads };
}

const sharedDir = path.join(SHARED_FIXTURES_DIR, 'codex');
const sharedFiles = existsSync(sharedDir) ? readdirSync(sharedDir).filter((f) => f.endsWith('.jsonl')).map((f) => path.join(sharedDir, f)) : [];
const ownDir = path.join(FAKES_DIR, 'codex');
const ownFiles = readdirSync(ownDir).filter((f) => f.endsWith('.jsonl')).map((f) => path.join(ownDir, f));

function checkFile(file: string): void {
  const expected = countFromFile(file);
  const messages = parseAll(createCodexParser(), readFileSync(file, 'utf8').split('\n'));
  const calls: Record<string, { ok: number; failed: number }> = {};
  for (const call of of(messages, 'tool_call')) {
    calls[call.tool] ??= { ok: 0, failed: 0 };
    calls[call.tool][call.ok ? 'ok' : 'failed'] += 1;
  }
  expect(calls).toEqual(expected.calls);
  const tokens = of(messages, 'tokens').reduce((s, t) => ({ input: s.input + t.input, output: s.output + t.output }), { input: 0, output: 0 });
  expect(tokens).toEqual(expected.tokens);
  expect(of(messages, 'outcome').map((o) => o.outcome)).toEqual(expected.outcomes);
  expect(of(messages, 'session').map((s) => s.id)).toEqual(expected.threads);
  expect(of(messages, 'parse_failure')).toEqual([]);
}

describe.skipIf(sharedFiles.length === 0)(
  `codex JSONL parser on ../shared/fixtures/codex${sharedFiles.length === 0 ? ' (skipped: ../shared/fixtures is absent)' : ''}`,
  () => {
    it.each(sharedFiles.map((f) => [path.basename(f), f]))('%s: tool calls, tokens = the last cumulative usage, outcome, thread', (_name, file) => {
      checkFile(file);
    });
  },
);

describe('codex JSONL parser on the fake’s own recorded-format stream', () => {
  it.each(ownFiles.map((f) => [path.basename(f), f]))('%s', (_name, file) => {
    checkFile(file);
    const expected = countFromFile(file);
    expect(Object.keys(expected.calls)).toEqual(expect.arrayContaining(['command_execution', 'file_change', 'web_search']));
    expect(Object.values(expected.calls).some((c) => c.failed > 0)).toBe(true);
  });
});

const line = (value: Json) => JSON.stringify(value);
const turnCompleted = (input: number, cached: number, output: number) =>
  line({ type: 'turn.completed', usage: { input_tokens: input, cached_input_tokens: cached, output_tokens: output } });

describe('createCodexParser', () => {
  it('turns the cumulative turn.completed usage into deltas: the total is the last figure, not the sum', () => {
    const messages = parseAll(createCodexParser({ model: 'gpt-x' }), [
      line({ type: 'thread.started', thread_id: 't1' }),
      turnCompleted(1000, 0, 100),
      turnCompleted(2500, 900, 130),
      turnCompleted(2500, 900, 130),
    ]);
    expect(of(messages, 'tokens')).toEqual([
      { type: 'tokens', input: 1000, output: 100, model: 'gpt-x' },
      { type: 'tokens', input: 1500, output: 30, model: 'gpt-x' },
    ]);
  });

  it('counts a resumed thread from what megatest already counted for it', () => {
    const messages = parseAll(createCodexParser({ countedTokens: { input: 18080, output: 40 } }), [
      line({ type: 'thread.started', thread_id: 't1' }),
      turnCompleted(36197, 18000, 75),
    ]);
    expect(of(messages, 'tokens').map((t) => [t.input, t.output])).toEqual([[18117, 35]]);
  });

  it('counts nothing for a figure that went backwards, and follows it from there', () => {
    const messages = parseAll(createCodexParser(), [turnCompleted(5000, 0, 300), turnCompleted(4000, 0, 320), turnCompleted(4500, 0, 330)]);
    expect(of(messages, 'tokens').map((t) => [t.input, t.output])).toEqual([
      [5000, 300],
      [0, 20],
      [500, 10],
    ]);
  });

  it('counts tool items when they complete, ok from status and exit code', () => {
    const parser = createCodexParser();
    const started = { id: 'item_1', type: 'command_execution', command: 'ls', aggregated_output: '', exit_code: null, status: 'in_progress' };
    expect(parser.line(line({ type: 'item.started', item: started }))).toEqual([]);
    expect(parser.line(line({ type: 'item.updated', item: started }))).toEqual([]);
    const messages = [
      line({ type: 'item.completed', item: { ...started, exit_code: 0, status: 'completed' } }),
      line({ type: 'item.completed', item: { ...started, exit_code: 2, status: 'failed' } }),
      line({ type: 'item.completed', item: { ...started, exit_code: null, status: 'declined' } }),
      line({ type: 'item.completed', item: { id: 'i2', type: 'file_change', changes: [], status: 'failed' } }),
      line({ type: 'item.completed', item: { id: 'i3', type: 'mcp_tool_call', server: 'fs', tool: 'read', status: 'completed', error: null } }),
      line({ type: 'item.completed', item: { id: 'i4', type: 'web_search', query: 'q' } }),
      line({ type: 'item.completed', item: { id: 'i5', type: 'collab_tool_call', tool: 'spawn_agent', status: 'completed' } }),
      line({ type: 'item.completed', item: { id: 'i6', type: 'reasoning', text: 'thinking' } }),
      line({ type: 'item.completed', item: { id: 'i7', type: 'todo_list', items: [] } }),
    ].flatMap((l) => parser.line(l));
    expect(of(messages, 'tool_call').map((c) => [c.tool, c.ok])).toEqual([
      ['command_execution', true],
      ['command_execution', false],
      ['command_execution', false],
      ['file_change', false],
      ['mcp:fs/read', true],
      ['web_search', true],
      ['collab:spawn_agent', true],
    ]);
  });

  it('reads an error and the turn.failed after it as one failed outcome, saying what the error said; no success follows', () => {
    const messages = parseAll(createCodexParser(), [
      line({ type: 'turn.started' }),
      line({ type: 'error', message: 'stream error: unexpected status 500' }),
      line({ type: 'turn.failed', error: { message: 'unexpected status 500' } }),
    ]);
    // The adapter reports the failure as one error (with this detail): one recovery for one failure.
    expect(of(messages, 'error')).toEqual([]);
    expect(of(messages, 'outcome')).toEqual([{ type: 'outcome', outcome: 'failed', detail: 'stream error: unexpected status 500' }]);
    const turnFailedOnly = parseAll(createCodexParser(), [line({ type: 'turn.failed', error: { message: "You've hit your usage limit. Try again in 2 hours." } })]);
    expect(turnFailedOnly).toEqual([{ type: 'outcome', outcome: 'failed', detail: "You've hit your usage limit. Try again in 2 hours." }]);
  });

  it("reports success at turn.completed (the stream's last line: a process lingering after it is ended 5 s later), once", () => {
    const parser = createCodexParser();
    expect(of(parser.line(turnCompleted(10, 0, 1)), 'outcome')).toEqual([{ type: 'outcome', outcome: 'succeeded' }]);
    expect(parser.end()).toEqual([]);
    expect(createCodexParser().end()).toEqual([]);
    // A turn that failed first is not made a success by its turn.completed.
    const failed = createCodexParser();
    failed.line(line({ type: 'turn.failed', error: { message: 'stream error' } }));
    expect(of(failed.line(turnCompleted(10, 0, 1)), 'outcome')).toEqual([]);
    expect(failed.end()).toEqual([]);
  });

  it('reads codex’s own reconnect notices as retries, other error events as errors, item errors as output', () => {
    const parser = createCodexParser();
    expect(parser.line(line({ type: 'error', message: 'Reconnecting... 2/5 (stream disconnected before completion)' }))).toEqual([
      { type: 'retry', message: 'Reconnecting... 2/5 (stream disconnected before completion)', attempt: 2 },
    ]);
    expect(parser.line(line({ type: 'error', message: 'quota exceeded' }))).toEqual([{ type: 'outcome', outcome: 'failed', detail: 'quota exceeded' }]);
    expect(parser.line(line({ type: 'item.completed', item: { id: 'i1', type: 'error', message: 'model rerouted' } }))).toEqual([
      { type: 'output', line: 'codex warning: model rerouted' },
    ]);
  });

  it('makes malformed lines parse failures, and a stream cut mid-line one more', () => {
    const parser = createCodexParser();
    for (const text of ['{oops', 'Reading prompt from stdin...', '42', '{"thread_id":"x"}']) {
      expect(parser.line(text)).toMatchObject([{ type: 'parse_failure', line: text }]);
    }
    expect(parser.line('   ')).toEqual([]);
    expect(parser.line(line({ type: 'some.future_event' }))).toEqual([]);
    const cut = turnCompleted(100, 0, 10);
    const messages = parseAll(createCodexParser(), [line({ type: 'thread.started', thread_id: 't1' }), cut.slice(0, 30)]);
    expect(of(messages, 'parse_failure')).toHaveLength(1);
    expect(of(messages, 'tokens')).toEqual([]);
    expect(of(messages, 'outcome')).toEqual([]);
  });
});
