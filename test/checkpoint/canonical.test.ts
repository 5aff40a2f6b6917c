// canonicalJson is what every checkpoint's checksum is taken over: its output
// must never change, whichever way it is computed. It is checked here against
// a plain recursive reference (keys sorted at every depth, JSON.stringify of
// primitives), on random values and on the cases its fast way must hand back
// to the slow one (array-index keys, "__proto__", toJSON).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/checkpoint/canonical.js';

function reference(value: unknown): string | undefined {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') value = (value as { toJSON: () => unknown }).toJSON();
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value !== 'object') return undefined;
  if (Array.isArray(value)) return `[${value.map((item) => reference(item) ?? 'null').join(',')}]`;
  const parts: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const part = reference((value as Record<string, unknown>)[key]);
    if (part !== undefined) parts.push(`${JSON.stringify(key)}:${part}`);
  }
  return `{${parts.join(',')}}`;
}

describe('canonicalJson', () => {
  it('gives the reference text for any JSON value', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => canonicalJson(value) === reference(value)), { numRuns: 3000 });
  });

  it('gives the reference text for objects with array-index keys, "__proto__", toJSON and dropped values', () => {
    const cases: unknown[] = [
      { b: 1, 10: 'ten', 9: 'nine', a: [3, { 2: 'x', z: 0 }] },
      JSON.parse('{"__proto__": {"polluted": true}, "a": 1}'),
      { when: new Date(0), nested: { toJSON: () => ({ y: 2, x: 1 }) } },
      { skip: undefined, fn: () => 1, list: [undefined, () => 1, Symbol('s')], n: Number.NaN, z: -0 },
      { '4294967295': 'not an index', '4294967294': 'an index' },
      [],
      {},
      'text',
    ];
    for (const value of cases) expect(canonicalJson(value)).toBe(reference(value));
    expect(canonicalJson(JSON.parse('{"__proto__": 1}'))).toBe('{"__proto__":1}');
  });

  it('refuses what has no JSON form', () => {
    expect(() => canonicalJson(undefined)).toThrow(/has no JSON form/);
    expect(() => canonicalJson({ big: 1n })).toThrow(/bigint has no JSON form/);
  });
});
