import { describe, expect, it } from 'vitest';
import { displayKey, displayValue, dottedKey, editDistance, findKeyLine, nearestKey } from '../../src/config/messages.js';

describe('displayKey', () => {
  it.each<[(string | number)[], string]>([
    [['limits', 'tokens_per_hour'], '[limits].tokens_per_hour'],
    [['session'], 'session'],
    [['project', 'target', 'min_doc_coverage'], '[project.target].min_doc_coverage'],
    [['phases', 3, 'criteria', 0, 'value'], '[phases #4.criteria #1].value'],
    [['agents', 'models', 1], '[agents].models #2'],
    [['projects', 'my proj', 'name'], '[projects."my proj"].name'],
  ])('%j -> %s', (path, shown) => {
    expect(displayKey(path)).toBe(shown);
  });

  it('dottedKey keeps the raw path', () => {
    expect(dottedKey(['phases', 3, 'weight'])).toBe('phases.3.weight');
  });
});

describe('displayValue', () => {
  it('shows values as TOML would, on one short line', () => {
    expect(displayValue('lots')).toBe('"lots"');
    expect(displayValue(40)).toBe('40');
    expect(displayValue(true)).toBe('true');
    expect(displayValue([1, 2])).toBe('[1,2]');
    expect(displayValue({ a: 1, b: 2 })).toBe('table {a, b}');
    expect(displayValue(new Date('1979-05-27T00:00:00Z'))).toBe('1979-05-27T00:00:00.000Z');
    expect(displayValue('x'.repeat(200))).toHaveLength(80);
  });
});

describe('nearestKey', () => {
  const limits = [
    'total_token_budget',
    'tokens_per_hour_per_agent',
    'tool_calls_per_hour_per_agent',
    'max_idle_minutes',
    'max_parallel_agents',
    'max_test_runtime_min',
    'disk_space_limit_gb',
    'min_free_disk_gb',
  ];

  it('suggests the key that contains a shortened name', () => {
    expect(nearestKey('tokens_per_hour', limits)).toBe('tokens_per_hour_per_agent');
    expect(nearestKey('tool_calls_per_hour', limits)).toBe('tool_calls_per_hour_per_agent');
  });

  it('suggests the key one typo away', () => {
    expect(nearestKey('max_idle_minutse', limits)).toBe('max_idle_minutes');
    expect(nearestKey('sesion', ['metadata', 'session', 'checkpoint'])).toBe('session');
    expect(nearestKey('Theme', ['theme', 'ascii'])).toBe('theme');
  });

  it('suggests nothing when no key is close', () => {
    expect(nearestKey('colour_scheme_of_the_console', ['theme', 'ascii'])).toBeUndefined();
  });

  it('editDistance is the Levenshtein distance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
});

describe('findKeyLine', () => {
  const source = [
    '# comment', //                                   1
    'name = "top"', //                                2
    '[session]', //                                   3
    'agents = 3', //                                  4
    'prompt = """', //                                5
    'agents = 99', //                                 6 (inside a string)
    '"""', //                                         7
    '[[phases]]', //                                  8
    'name = "a"', //                                  9
    '  [[phases.criteria]]', //                      10
    '  id = "a.1"', //                               11
    '[[phases]]', //                                 12
    'name = "b"', //                                 13
    '  [[phases.criteria]]', //                      14
    '  id = "b.1"', //                               15
    '  [[phases.criteria]]', //                      16
    '  "id" = "b.2"', //                             17
    '[agents]', //                                   18
    'models = [', //                                 19
    '  "m1",', //                                    20
    ']', //                                          21
  ].join('\n');

  it.each<[(string | number)[], number | undefined]>([
    [['name'], 2],
    [['session', 'agents'], 4],
    [['session'], 3],
    [['phases', 0, 'name'], 9],
    [['phases', 1, 'name'], 13],
    [['phases', 1], 12],
    [['phases', 0, 'criteria', 0, 'id'], 11],
    [['phases', 1, 'criteria', 1, 'id'], 17],
    [['agents', 'models', 0], 19],
    [['session', 'seed'], undefined],
    [[], undefined],
  ])('%j is on line %s', (path, line) => {
    expect(findKeyLine(source, path)).toBe(line);
  });
});
