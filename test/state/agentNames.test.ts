// Agents' names in the order a person reads them (the fold keeps its agents so).

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareAgentNames } from '../../src/state/agentNames.js';

describe('compareAgentNames', () => {
  it('orders names as a numeric Intl.Collator does, which it stands in for', () => {
    const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
    // Names of letters, digits, and the separators agents' names use (a collator puts `_` before `-`, unlike ASCII).
    const part = fc.oneof(fc.stringMatching(/^[a-zA-Z]{1,6}$/), fc.stringMatching(/^[0-9]{1,25}$/), fc.constantFrom('-', '.', ' ', 'a', 'A', '1', '01'));
    const name = fc.array(part, { minLength: 1, maxLength: 5 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(name, name, (a, b) => {
        expect(Math.sign(compareAgentNames(a, b)), `${a} vs ${b}`).toBe(Math.sign(collator.compare(a, b)));
      }),
      { numRuns: 2000 },
    );
    expect(['agent-10', 'agent-9', 'Agent-2', 'agent-1', 'agent-0010x', 'agent1', 'agent'].sort(compareAgentNames)).toEqual(['agent', 'agent-1', 'Agent-2', 'agent-9', 'agent-10', 'agent-0010x', 'agent1']);
  });
});
