// Agent input is checked before it becomes an event (issue 11, item 4):
// numbers within bounds, a task_done only for a task the agent was given,
// strings cut to 4 KB and marked. Each refused line is a protocol error.

import { describe, expect, it } from 'vitest';
import { MAX_DURATION_MS, MAX_TOKENS_PER_LINE } from '../../src/agents/bounds.js';
import { parseAgentLine } from '../../src/agents/jsonl.js';
import type { AgentMessage } from '../../src/agents/types.js';
import { CUT_MARK, capEventText, EVENT_TEXT_MAX_BYTES } from '../../src/contract/textCap.js';
import { vetAgentMessage } from '../../src/engine/agentInput.js';

const tasks = { assigned: new Set(['Write the parser']), isDone: (task: string) => task === 'Done already' };

describe('the JSONL parser refuses numbers out of bounds and binary data', () => {
  const failures = [
    '{"type":"tokens","input":1e308,"output":1e308}',
    '{"type":"tokens","input":1.5,"output":2,"model":"m"}',
    '{"type":"tokens","input":-1,"output":2}',
    `{"type":"tokens","input":${MAX_TOKENS_PER_LINE + 1},"output":0}`,
    '{"type":"tokens","input":"lots","output":5}',
    `{"type":"tool_call","tool":"read","ok":true,"duration_ms":${MAX_DURATION_MS + 1}}`,
    '{"type":"tool_call","tool":42,"ok":"yes","duration_ms":-1}',
    '{"type":"context","tokens":1e308}',
    '\u0000\u0001\ufffd(\u001b',
    'half a line \ufffd of bytes that were not UTF-8',
  ];
  for (const line of failures) {
    it(`${JSON.stringify(line.slice(0, 50))} is a parse failure`, () => {
      expect(parseAgentLine(line).type).toBe('parse_failure');
    });
  }

  it('keeps text, colours and progress bars as the agent’s own output, and the bounds themselves', () => {
    for (const line of ['compiling 3 crates…', '\u001b[32mok\u001b[0m 12 tests', 'progress 40%\r', 'tab\tseparated', '']) {
      expect(parseAgentLine(line).type).toBe('output');
    }
    expect(parseAgentLine(`{"type":"tokens","input":${MAX_TOKENS_PER_LINE},"output":0}`)).toMatchObject({ type: 'tokens', input: MAX_TOKENS_PER_LINE });
    expect(parseAgentLine(`{"type":"tool_call","tool":"t","ok":true,"duration_ms":${MAX_DURATION_MS}}`).type).toBe('tool_call');
  });

  it('quotes a binary line with its control bytes made visible', () => {
    const failure = parseAgentLine('\u0000abc\u0007') as Extract<AgentMessage, { type: 'parse_failure' }>;
    expect(failure.reason).toBe('binary data, not text');
    expect(failure.line).toBe('\ufffdabc\ufffd');
  });
});

describe('vetAgentMessage', () => {
  it('refuses a task_done for a task the agent was not given, and lets its own (and done ones) through', () => {
    const refused = vetAgentMessage({ type: 'task_done', task: 'Somebody else’s task' }, tasks);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.failure.reason).toMatch(/^task_done for a task not assigned to this agent: "Somebody else’s task"$/);
    expect(vetAgentMessage({ type: 'task_done', task: 'Write the parser' }, tasks).ok).toBe(true);
    expect(vetAgentMessage({ type: 'task_done', task: 'Done already' }, tasks).ok).toBe(true);
  });

  it('refuses numbers out of bounds whatever adapter parsed them', () => {
    const bad: AgentMessage[] = [
      { type: 'tokens', input: 1e308, output: 1, model: 'm' },
      { type: 'tokens', input: Number.POSITIVE_INFINITY, output: 1, model: 'm' },
      { type: 'tokens', input: 1, output: 1, model: 'm', cost_usd: -3 },
      { type: 'tool_call', tool: 't', ok: true, duration_ms: Number.NaN },
      { type: 'context', tokens: 2.5 },
    ];
    for (const message of bad) {
      const vetted = vetAgentMessage(message, tasks);
      expect(vetted.ok, JSON.stringify(message)).toBe(false);
      if (!vetted.ok) expect(vetted.failure.reason).toMatch(/^number out of bounds: /);
    }
  });

  it('cuts every string the agent chose to 4 KB, marked', () => {
    const huge = 'y'.repeat(500 * 1024);
    const messages: AgentMessage[] = [
      { type: 'tool_call', tool: huge, ok: true, duration_ms: 1 },
      { type: 'tokens', input: 1, output: 1, model: huge },
      { type: 'state', status: 'working', task: huge },
      { type: 'error', message: huge },
      { type: 'vote', topic: huge, choice: huge },
      { type: 'retry', message: huge },
    ];
    for (const message of messages) {
      const vetted = vetAgentMessage(message, tasks);
      expect(vetted.ok).toBe(true);
      const text = vetted.ok ? JSON.stringify(vetted.message) : '';
      expect(text.length).toBeLessThan(2 * (EVENT_TEXT_MAX_BYTES + 100));
      expect(text).toContain(`… [cut: ${500 * 1024} bytes in all]`);
    }
  });
});

describe('capEventText', () => {
  it('leaves text within the bound alone', () => {
    expect(capEventText('short')).toBe('short');
    const exact = 'z'.repeat(EVENT_TEXT_MAX_BYTES);
    expect(capEventText(exact)).toBe(exact);
  });

  it('cuts at a character boundary and says how long the whole was', () => {
    const text = 'é'.repeat(5000); // 2 bytes each: 10,000 bytes
    const cut = capEventText(text);
    expect(cut).toMatch(CUT_MARK);
    expect(cut).toContain('[cut: 10000 bytes in all]');
    const kept = cut.replace(CUT_MARK, '');
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(EVENT_TEXT_MAX_BYTES);
    expect(kept).toBe('é'.repeat(kept.length));
    expect(kept.length).toBe(EVENT_TEXT_MAX_BYTES / 2);
  });
});
