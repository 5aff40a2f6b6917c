// manifestProblem guards every restore and every checkpoint read: a manifest
// that could write outside project/, into .git or node_modules, or through a
// symlink is refused before anything is touched. It checks a sorted manifest
// (a snapshot's) in one pass and sorts any other first; both give one answer.

import { describe, expect, it } from 'vitest';
import { manifestProblem } from '../../src/checkpoint/tree.js';
import { accepted, dir, file, refused } from '../helpers/manifestCases.js';

describe('manifestProblem', () => {
  for (const [what, entries, expected] of refused) {
    it(`refuses ${what}, sorted or not`, () => {
      expect(manifestProblem(entries)).toMatch(expected);
      expect(manifestProblem([...entries].reverse())).toMatch(expected);
    });
  }
  for (const [what, entries] of accepted) {
    it(`accepts ${what}, sorted or not`, () => {
      expect(manifestProblem(entries)).toBeNull();
      expect(manifestProblem([...entries].reverse())).toBeNull();
    });
  }
  it('refuses what is not an array', () => {
    expect(manifestProblem({ entries: [] })).toMatch(/not an array/);
  });
  it('leaves the caller’s array in its order', () => {
    const entries = [file('b'), dir('a'), file('a/x')];
    manifestProblem(entries);
    expect(entries.map((entry) => entry.path)).toEqual(['b', 'a', 'a/x']);
  });
});
