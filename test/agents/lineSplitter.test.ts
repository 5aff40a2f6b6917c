// LineSplitter's bound on line length: a line over MAX_LINE_CHARS is still
// one line, whatever chunks it came in; a JSON one is skimmed (its long
// strings cut, the rest kept), any other is handed on as a note naming its
// length and its start. Lines are built here, their figures counted here.

import { describe, expect, it } from 'vitest';
import { JsonSkim, STRING_KEEP_CHARS } from '../../src/agents/jsonSkim.js';
import { parseAgentLine } from '../../src/agents/jsonl.js';
import { LineSplitter, MAX_LINE_CHARS, OVER_LONG_HEAD_CHARS, readOverLongNote } from '../../src/agents/lineSplitter.js';

/** Splits `text` fed in chunks of `size` bytes; the lines handed on. */
function split(text: string, size: number): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line));
  const bytes = Buffer.from(text, 'utf8');
  for (let at = 0; at < bytes.length; at += size) splitter.push(bytes.subarray(at, at + size));
  splitter.end();
  return lines;
}

const big = 'x'.repeat(5_000_000);
const toolResult = {
  type: 'user',
  message: { role: 'user', content: [{ tool_use_id: 'toolu_1', type: 'tool_result', content: big, is_error: false }] },
  session_id: 's-1',
  tool_use_result: { stdout: 'y'.repeat(10), interrupted: false },
};
const jsonLine = JSON.stringify(toolResult);
const after = JSON.stringify({ type: 'result', subtype: 'success', is_error: false });

describe('LineSplitter: a line over MAX_LINE_CHARS', () => {
  it.each([
    ['in 64 KiB chunks', 64 * 1024],
    ['in one chunk', jsonLine.length * 2],
    ['in odd-sized chunks', 99_991],
  ])('a JSON line %s is one line, skimmed: its structure and short fields kept, its long string cut', (_how, size) => {
    expect(jsonLine.length).toBeGreaterThan(MAX_LINE_CHARS);
    const lines = split(`${jsonLine}\n${after}\n`, size);
    expect(lines).toHaveLength(2);
    expect(lines[0]!.length).toBeLessThanOrEqual(MAX_LINE_CHARS);
    const skimmed = JSON.parse(lines[0]!) as typeof toolResult;
    const block = skimmed.message.content[0]!;
    expect(block).toMatchObject({ tool_use_id: 'toolu_1', type: 'tool_result', is_error: false });
    expect(block.content).toBe(`${'x'.repeat(STRING_KEEP_CHARS)}… [${big.length - STRING_KEEP_CHARS} chars cut by megatest]`);
    expect(skimmed.tool_use_result).toEqual(toolResult.tool_use_result);
    expect(skimmed.session_id).toBe('s-1');
    expect(lines[1]).toBe(after);
  });

  it('a text line is one line: a note naming its length, then its start; the next line is whole', () => {
    const text = 'z'.repeat(3 * MAX_LINE_CHARS + 7);
    const lines = split(`before\n${text}\nnext\n`, 64 * 1024);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('before');
    expect(readOverLongNote(lines[1]!)).toEqual({ chars: text.length, head: 'z'.repeat(OVER_LONG_HEAD_CHARS) });
    expect(lines[2]).toBe('next');
  });

  it('broken JSON (a line cut mid-string) over the bound: one note, not pieces of JSON', () => {
    const broken = jsonLine.slice(0, 2_000_000);
    const lines = split(`${broken}\n${after}\n`, 64 * 1024);
    expect(lines).toHaveLength(2);
    expect(readOverLongNote(lines[0]!)).toEqual({ chars: broken.length, head: broken.slice(0, OVER_LONG_HEAD_CHARS) });
    // To the JSONL protocol that is one parse failure naming its length.
    expect(parseAgentLine(lines[0]!)).toMatchObject({ type: 'parse_failure', reason: `a line of ${broken.length} chars, over the line limit, and not valid JSON` });
    expect(lines[1]).toBe(after);
  });

  it('an over-long line the stream ends in, without a newline, is one line too', () => {
    const lines = split(`first\n${'q'.repeat(MAX_LINE_CHARS + 10)}`, 100_000);
    expect(lines).toHaveLength(2);
    expect(readOverLongNote(lines[1]!)?.chars).toBe(MAX_LINE_CHARS + 10);
  });

  it('a JSON line whose structure alone is over the bound is given up on (memory stays bounded): a note', () => {
    const numbers = JSON.stringify({ type: 'tokens', list: Array.from({ length: 300_000 }, (_, i) => i) });
    expect(numbers.length).toBeGreaterThan(MAX_LINE_CHARS);
    const lines = split(`${numbers}\n`, 64 * 1024);
    expect(lines).toHaveLength(1);
    expect(readOverLongNote(lines[0]!)?.chars).toBe(numbers.length);
  });
});

describe('JsonSkim', () => {
  it('keeps escapes whole wherever the cut and the chunks fall', () => {
    const value = {
      a: 'é\\"\u00e9\n'.repeat(2000) + '\ud83d\ude00'.repeat(1000),
      b: ['short', 'q"uote', 1, true, null, { c: '\u0001'.repeat(5000) }],
    };
    const line = JSON.stringify(value);
    for (const size of [1, 7, 4096, line.length]) {
      const skim = new JsonSkim(MAX_LINE_CHARS);
      for (let at = 0; at < line.length; at += size) skim.feed(line.slice(at, at + size));
      const out = skim.finish();
      expect(out, `chunks of ${size}`).toBeDefined();
      const parsed = JSON.parse(out!) as typeof value;
      expect(parsed.b.slice(0, 5)).toEqual(value.b.slice(0, 5));
      expect(parsed.a.startsWith(value.a.slice(0, 1000))).toBe(true);
      expect(parsed.a).toMatch(/… \[\d+ chars cut by megatest\]$/);
    }
  });
});
