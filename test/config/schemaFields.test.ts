// The schema's leaves add their checks in one .check() instead of a chain of
// .int().min().max() (each link a whole new schema: start-up cost). A leaf
// must accept, refuse and word its refusals exactly as the chain did.

import fc from 'fast-check';
import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { decimal, formatBound, fraction, fractionOrTemplate, integer, list, nonEmptyText, table } from '../../src/config/schemaFields.js';

/** What a parse says: the value kept, or each issue's code, path and message. */
function outcome(schema: z.ZodType, value: unknown): unknown {
  const result = schema.safeParse(value, { jitless: true });
  return result.success ? { data: result.data } : result.error.issues.map(({ code, path, message }) => ({ code, path, message }));
}

const values = fc.oneof(
  fc.integer({ min: -2_000_000, max: 2_000_000 }),
  fc.double({ noNaN: false }),
  fc.constantFrom(0, 1, -1, 0.5, 1.5, 1_000_000, 1_000_001, Number.MAX_SAFE_INTEGER + 2, Infinity, -Infinity, NaN),
  fc.string(),
  fc.constantFrom('', ' ', '  x ', 'template'),
  fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 8 }),
  fc.anything(),
);

describe('schema leaves made with one .check()', () => {
  it('integer and decimal: as number().int().min().max()', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1000 }), fc.nat(2_000_000), values, (min, span, value) => {
        const max = min + span;
        const allowed = `an integer ${formatBound(min)}..${formatBound(max)}`;
        const chained = z.number({ error: allowed }).int({ error: allowed }).min(min, { error: allowed }).max(max, { error: allowed });
        expect(outcome(integer(min, max), value)).toEqual(outcome(chained, value));
        const decimalAllowed = `a number ${formatBound(min)}..${formatBound(max)}`;
        const decimalChained = z.number({ error: decimalAllowed }).min(min, { error: decimalAllowed }).max(max, { error: decimalAllowed });
        expect(outcome(decimal(min, max), value)).toEqual(outcome(decimalChained, value));
      }),
      { numRuns: 400 },
    );
  });

  it('fraction, fractionOrTemplate, nonEmptyText: as their chains', () => {
    const allowed = 'x: a fraction 0..1 (0.9 = 90%)';
    const fractionChained = z.number({ error: allowed }).min(0, { error: allowed }).max(1, { error: allowed });
    const orTemplate = 'x: a fraction 0..1 (0.8 = 80%), or "template" to take the project template\'s target';
    const orTemplateChained = z.union([z.number().min(0, { error: orTemplate }).max(1, { error: orTemplate }), z.literal('template')], { error: orTemplate });
    // A number out of range says what is allowed, not zod's "Too big: expected number to be <=1" (80 for 80%: the likeliest mistake).
    for (const value of [80, -0.1, 'eighty']) expect(fractionOrTemplate('x').safeParse(value).error?.issues.map((i) => i.message)).toEqual([orTemplate]);
    const textChained = z.string({ error: 'a non-empty string' }).trim().min(1, { error: 'a non-empty string' });
    fc.assert(
      fc.property(values, (value) => {
        expect(outcome(fraction('x'), value)).toEqual(outcome(fractionChained, value));
        expect(outcome(fractionOrTemplate('x'), value)).toEqual(outcome(orTemplateChained, value));
        expect(outcome(nonEmptyText(), value)).toEqual(outcome(textChained, value));
      }),
      { numRuns: 400 },
    );
  });

  it('list and table: as array().min().max() and object().strict()', () => {
    fc.assert(
      fc.property(fc.nat(4), fc.nat(4), values, fc.dictionary(fc.constantFrom('a', 'b', 'c'), values), (min, extra, value, record) => {
        const max = min + extra;
        const bounds = min > 0 ? ` (${min}..${max} items)` : max < 1000 ? ` (at most ${max} items)` : '';
        const chained = z
          .array(z.string(), { error: 'an array of names' })
          .min(min, { error: `an array of names${bounds}` })
          .max(max, { error: `an array of names${bounds}` });
        expect(outcome(list(z.string(), 'names', min, max), value)).toEqual(outcome(chained, value));
        const shape = { a: integer(0, 5).optional(), b: z.string().optional() };
        expect(outcome(table(shape), record)).toEqual(outcome(z.object(shape).strict(), record));
      }),
      { numRuns: 400 },
    );
  });
});
