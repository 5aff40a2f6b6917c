// parseAge (clean --older-than): the form is a count and s, m, h or d; a
// count too big is told by its range, not by the form again.

import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/config/errors.js';
import { AGE_MAX, parseAge } from '../../src/cli/commandArgs.js';

const FLAG = 'megatest clean: --older-than';

function refusal(text: string): string {
  try {
    parseAge(FLAG, text);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`${text} was accepted`);
}

describe('parseAge', () => {
  it('a count over the largest, in the right form: says the range allowed', () => {
    for (const text of [`${AGE_MAX + 1}d`, '99999999d', `${'9'.repeat(30)}s`]) {
      const message = refusal(text);
      expect(message, text).toBe(`${FLAG} ${JSON.stringify(text)}: the number must be from 0 to ${AGE_MAX} (e.g. 7d)`);
    }
    // and a wrong form still says the form
    for (const text of ['7x', '-1d', '1.5h', 'd']) expect(refusal(text), text).toMatch(/use a number and s, m, h or d/);
  });

  it('the count is read as a number: leading zeros are the same age', () => {
    expect(parseAge(FLAG, '0000007d')).toBe(parseAge(FLAG, '7d'));
  });
});
