import { readFileSync } from 'node:fs';
import path from 'node:path';
import TOML from '@iarna/toml';
import { describe, expect, it } from 'vitest';
import { slowPatternShape } from '../../src/config/regexCost.js';
import { PACKAGE_ROOT } from '../../src/paths.js';

describe('slowPatternShape: error rules that could hold the orchestrator for hours', () => {
  it.each([
    ['(\\w+\\s?)+:', 'variable length inside an unbounded'],
    ['(a*)*', 'variable length inside an unbounded'],
    ['((ab)*c)*', 'variable length inside an unbounded'],
    ['([a-z]{1,9} )*done', 'variable length inside an unbounded'],
    ['error: (?:(?:\\d+,)+ )+', 'variable length inside an unbounded'],
    ['(.*a){12}', 'an unbounded repeat inside a repeat of 3 or more'],
    ['x(?:y|(z+.)+)', 'variable length inside an unbounded'],
  ])('refuses %s', (pattern, shape) => {
    expect(slowPatternShape(pattern)).toContain(shape);
  });

  it.each([
    'rate.?limit|too many requests|\\b429\\b',
    '\\d{1,3}(\\.\\d{1,3}){3}', // bounded in bounded: at most 3^4 ways
    '(.*a){2}',
    '(?:ab)+',
    '(a{3})+', // the inner repeat has one length: nothing to try again
    '(x+)?',
    '(?<=fatal: )\\w+', // a lookbehind, which the parser does not know, is read as a lookahead
    '(?<!not )found',
    '(?<code>E\\d+) \\k<code>',
  ])('accepts %s', (pattern) => {
    expect(() => new RegExp(pattern, 'i')).not.toThrow();
    expect(slowPatternShape(pattern)).toBeNull();
  });

  it('accepts every rule of the shipped config', () => {
    const shipped = TOML.parse(readFileSync(path.join(PACKAGE_ROOT, 'config', 'mega_test_config.toml'), 'utf8')) as {
      error_handling: { rules: { pattern: string }[] };
    };
    expect(shipped.error_handling.rules.length).toBeGreaterThan(5);
    for (const rule of shipped.error_handling.rules) expect([rule.pattern, slowPatternShape(rule.pattern)]).toEqual([rule.pattern, null]);
  });
});
