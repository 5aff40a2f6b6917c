// How a merge conflict is recovered attempt by attempt (chooseAction): back to
// its agent to resolve CONFLICT_RESOLVE_ATTEMPTS times, then reassigned, and
// always reassigned before error_handling.max_recovery_attempts gives up.

import { describe, expect, it } from 'vitest';
import { MERGE_CONFLICT } from '../../../src/engine/classify.js';
import { chooseAction, CONFLICT_RESOLVE_ATTEMPTS } from '../../../src/engine/recoveryChoice.js';

const conflict = { ...MERGE_CONFLICT, matched: 'merger' };

describe('merge_conflict recovery actions', () => {
  it('resolves twice, then reassigns (default max_recovery_attempts = 5)', () => {
    expect(CONFLICT_RESOLVE_ATTEMPTS).toBe(2);
    expect([1, 2, 3, 4, 5].map((attempt) => chooseAction(conflict, attempt, 5))).toEqual([
      'resolve_conflict',
      'resolve_conflict',
      'reassign',
      'reassign',
      'reassign',
    ]);
  });

  it('leaves room for the reassign under a small max_recovery_attempts', () => {
    expect([1, 2].map((attempt) => chooseAction(conflict, attempt, 2))).toEqual(['resolve_conflict', 'reassign']);
    expect(chooseAction(conflict, 1, 1)).toBe('reassign');
  });

  it('leaves every other class as it was', () => {
    expect(chooseAction({ class: 'parse_failure', severity: 'recoverable', action: 'retry_with_modification', matched: 'built-in' }, 3, 5)).toBe(
      'retry_with_modification',
    );
  });
});
