// The parser against every recorded selfware log in ../shared/fixtures/selfware/.
// Each expected figure is counted here, from the file, by a plain pattern;
// nothing is typed in from the parser's output.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSelfwareParser } from '../../../src/agents/selfware/outputParser.js';
import type { AgentMessage } from '../../../src/agents/types.js';
import { SHARED_FIXTURES_DIR } from '../../../src/paths.js';

const dir = path.join(SHARED_FIXTURES_DIR, 'selfware');
const present = existsSync(dir);
const logs = present ? readdirSync(dir).filter((name) => name.endsWith('.agent.log')).sort() : [];

function parseFile(text: string): AgentMessage[] {
  const parser = createSelfwareParser();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return [...lines.flatMap((line) => parser.line(line)), ...parser.end()];
}

const count = (text: string, pattern: RegExp): number => [...text.matchAll(pattern)].length;

describe.skipIf(!present)(`selfware parser on the recorded logs${present ? '' : ' (skipped: ../shared/fixtures is absent)'}`, () => {
  it('finds the recorded logs', () => {
    expect(logs.length).toBeGreaterThan(0);
  });

  describe.each(logs)('%s', (name) => {
    const text = present ? readFileSync(path.join(dir, name), 'utf8') : '';
    const messages = parseFile(text);
    const of = <T extends AgentMessage['type']>(type: T): Extract<AgentMessage, { type: T }>[] =>
      messages.filter((m): m is Extract<AgentMessage, { type: T }> => m.type === type);

    it('steps: every `📝 Step N Executing...`, glued or not, in order', () => {
      const expected = [...text.matchAll(/📝 Step (\d+) Executing\.\.\./gu)].map((m) => Number(m[1]));
      expect(of('step').map((m) => m.step)).toEqual(expected);
    });

    it('tool calls by name: one per name tag opening a line', () => {
      const expected = new Map<string, number>();
      for (const m of text.matchAll(/^<(?:name|function)[>=]([A-Za-z_][\w.-]*)/gm)) {
        expected.set(m[1]!, (expected.get(m[1]!) ?? 0) + 1);
      }
      const parsed = new Map<string, number>();
      for (const call of of('tool_call')) parsed.set(call.tool, (parsed.get(call.tool) ?? 0) + 1);
      expect(Object.fromEntries(parsed)).toEqual(Object.fromEntries(expected));
    });

    it('errors: recoveries and failed verification reports (a task failure, or main\'s closing `Error:` line, is the outcome)', () => {
      const expected = count(text, /⚠️ Recovering from error:/gu) + count(text, /Status: ✗ FAILED/gu);
      expect(of('error')).toHaveLength(expected);
      const recoveries = [...text.matchAll(/⚠️ Recovering from error: (.*)$/gmu)].map((m) => `Recovering from error: ${m[1]}`);
      expect(of('error').map((m) => m.message).filter((m) => m.startsWith('Recovering'))).toEqual(recoveries);
    });

    it("selfware's own re-prompts are retries", () => {
      expect(of('retry')).toHaveLength(count(text, /🔄 Model described intent but didn't act/gu));
    });

    it('tokens: the `📊 Tokens:` lines, summed', () => {
      const lines = [...text.matchAll(/📊 Tokens: (\d+) prompt \+ (\d+) completion/gu)];
      const tokens = of('tokens');
      expect(tokens).toHaveLength(lines.length);
      expect(tokens.reduce((n, t) => n + t.input, 0)).toBe(lines.reduce((n, m) => n + Number(m[1]), 0));
      expect(tokens.reduce((n, t) => n + t.output, 0)).toBe(lines.reduce((n, m) => n + Number(m[2]), 0));
    });

    it("outcome: selfware's completion line (with its time), else its shutdown lines", () => {
      const harvest = /^🌾 Task complete\..*\((?:(\d+)m )?(\d+)s\)\s*$/mu.exec(text);
      const outcomes = of('outcome');
      expect(outcomes).toHaveLength(1);
      if (harvest) {
        expect(outcomes[0]).toMatchObject({ outcome: 'succeeded', duration_ms: (Number(harvest[1] ?? 0) * 60 + Number(harvest[2])) * 1000 });
      } else {
        expect(text).toContain('Received shutdown signal, exiting gracefully...');
        expect(outcomes[0]!.outcome).toBe('interrupted');
      }
    });

    it('the log keeps everything else: no message is lost and nothing throws', () => {
      expect(of('output').length).toBeGreaterThan(0);
      for (const message of of('output')) expect(message.line.length).toBeLessThanOrEqual(64 * 1024 + 64);
    });
  });
});
