// A parse failure (the agent's output was not a valid tool call) is retried
// by sending the agent its tasks not done yet again, with a note on what
// went wrong; the recovery event says how many it sent.

import { describe, expect, it } from 'vitest';
import type { Classification } from '../../../src/engine/classify.js';
import { recoveryOver } from './recoveryHarness.js';

const parseFailure: Classification = { class: 'parse_failure', severity: 'recoverable', action: 'retry_with_modification', matched: 'built-in' };

describe('Recovery: retry with a modified prompt', () => {
  it.each([
    [['Write the parser', 'Write the queue'], '2 remaining tasks'],
    [['Write the parser'], '1 remaining task'],
  ])('re-sends the tasks left (%j) with the note, and counts them in its detail', async (tasksLeft, counted) => {
    const { recovery, slot, events, assigned } = recoveryOver({ pendingRecovery: null, attempts: new Map() }, { tasksLeft });
    await recovery.handle(slot, parseFailure, 'model returned malformed tool call JSON');
    const started = events.find((e) => e.type === 'recovery' && e.outcome === 'started');
    expect(started).toMatchObject({ action: 'retry_with_modification', attempt: 1, agent: 'agent-2' });
    expect(started).toHaveProperty('detail', `parse_failure: re-sending ${counted} with a note on what went wrong`);
    expect(assigned).toEqual([{ objectives: tasksLeft, note: expect.stringMatching(/^Your last step failed \(parse_failure: model returned malformed tool call JSON\)/) }]);
    expect(slot.pendingRecovery).toMatchObject({ class: 'parse_failure', action: 'retry_with_modification', attempt: 1 });
  });
});
