// The fold keeps which recoveries are still open (started, no outcome yet),
// so the engine can end each one and the report can say none was left; and
// it counts each agent's protocol errors from the counts its parse_failure
// events carry (issue 11, items 4 and 5). One event at a time and in a batch
// agree.

import { describe, expect, it } from 'vitest';
import type { EventInput, MegatestEvent } from '../../src/contract/events.js';
import { foldEvent, foldEvents } from '../../src/state/fold.js';
import { initialRunState } from '../../src/state/runState.js';

function log(inputs: EventInput[]): MegatestEvent[] {
  const start = Date.parse('2026-01-01T00:00:00Z');
  return inputs.map((input, i) => ({ ...input, seq: i + 1, ts: new Date(start + i * 1000).toISOString() }) as MegatestEvent);
}

const events = log([
  { type: 'agent_started', agent: 'agent-1', role: 'developer' },
  { type: 'agent_started', agent: 'agent-2', role: 'tester' },
  { type: 'recovery', action: 'restore_checkpoint', attempt: 1, outcome: 'started', agent: 'agent-1' },
  { type: 'recovery', action: 'retry_with_backoff', attempt: 1, outcome: 'started', agent: 'agent-2' },
  { type: 'error', class: 'parse_failure', severity: 'recoverable', agent: 'agent-2', message: '3 lines …', count: 3 },
  { type: 'recovery', action: 'restore_checkpoint', attempt: 1, outcome: 'succeeded', agent: 'agent-1' },
  { type: 'recovery', action: 'log_and_continue', attempt: 1, outcome: 'succeeded', agent: 'agent-1' },
  { type: 'error', class: 'parse_failure', severity: 'recoverable', agent: 'agent-2', message: '1 line …' },
  { type: 'recovery', action: 'pause_and_alert', attempt: 2, outcome: 'started', agent: 'agent-2' },
  { type: 'error', class: 'network_timeout', severity: 'transient', agent: 'agent-1', message: 'ETIMEDOUT', count: 7 },
  // An error the agent said in its own words that reads as a parse failure: an error, no malformed line of its.
  { type: 'error', class: 'parse_failure', severity: 'recoverable', agent: 'agent-1', message: 'parse failure: model returned malformed tool call JSON', count: 0 },
]);

describe('open recoveries and protocol errors in the fold', () => {
  const oneByOne = events.reduce(foldEvent, initialRunState());

  it('keeps each started recovery open until its own outcome', () => {
    expect(oneByOne.openRecoveries.map((r) => [r.agent, r.action, r.attempt])).toEqual([
      ['agent-2', 'retry_with_backoff', 1],
      ['agent-2', 'pause_and_alert', 2],
    ]);
    const ended = foldEvents(
      oneByOne,
      log([]).concat(
        [
          { type: 'recovery', action: 'pause_and_alert', attempt: 2, outcome: 'succeeded', agent: 'agent-2' },
          { type: 'recovery', action: 'retry_with_backoff', attempt: 1, outcome: 'failed', agent: 'agent-2' },
        ].map((input, i) => ({ ...input, seq: events.length + 1 + i, ts: '2026-01-01T00:01:00.000Z' }) as MegatestEvent),
      ),
    );
    expect(ended.openRecoveries).toEqual([]);
    expect(ended.counters.recoveriesSucceeded).toBe(3);
    expect(ended.counters.recoveriesFailed).toBe(1);
  });

  it('counts protocol errors per agent from parse_failure events (a missing count is one line, a count of 0 none)', () => {
    expect(oneByOne.agents.find((a) => a.name === 'agent-2')!.protocolErrors).toBe(4);
    expect(oneByOne.agents.find((a) => a.name === 'agent-1')!.protocolErrors).toBe(0);
    expect(oneByOne.counters.protocolErrors).toBe(4);
    // Another class's count is not a protocol error; each error event is one error.
    expect(oneByOne.counters.errors).toBe(4);
  });

  it('folds the same in one batch', () => {
    expect(foldEvents(initialRunState(), events)).toEqual(oneByOne);
  });
});
