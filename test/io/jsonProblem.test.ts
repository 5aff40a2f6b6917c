// A JSON.parse refusal in words for a one-line message: never the raw bytes of a damaged file.

import { describe, expect, it } from 'vitest';
import { describeCharacter, jsonProblem } from '../../src/io/jsonProblem.js';

function refusal(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return jsonProblem(error);
  }
  throw new Error(`${JSON.stringify(text)} parsed`);
}

describe('jsonProblem', () => {
  it('names the character V8 stopped at, without quoting the text', () => {
    const binary = Buffer.from([0x8b, 0x00, 0x76, 0xff, 0x60]).toString('utf8');
    expect(refusal(binary)).toBe('unexpected bytes that are not UTF-8 text');
    expect(refusal('  <html>secret</html>')).toBe('unexpected character "<" (U+003C)');
    expect(refusal('{"a": x}')).toBe('unexpected character "x" (U+0078)');
    for (const text of [binary, '<html>secret</html>']) expect(refusal(text)).not.toContain(text.slice(0, 3));
  });

  it("keeps V8's own words where they quote nothing", () => {
    expect(refusal('{not json')).toBe("Expected property name or '}' in JSON at position 1");
    expect(refusal('{"a":1')).toMatch(/after property value in JSON at position 6/);
    expect(refusal('')).toBe('Unexpected end of JSON input');
  });

  it('describes characters for a person', () => {
    expect(describeCharacter(undefined)).toBe('end of text');
    expect(describeCharacter('é'.codePointAt(0))).toBe('character "é" (U+00E9)');
    expect(describeCharacter(0x7f)).toBe('character U+007F');
  });
});
