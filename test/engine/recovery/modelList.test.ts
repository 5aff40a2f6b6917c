// switch_model walks [agents].models once: past the last model the agent
// waits on it (backoff) instead of going round again to a model just
// rate-limited (my-model -> m-a -> m-b -> my-model -> m-a was seen). And a
// rule is carried out as written: the built-in sequences (wait, then switch)
// stand for their class's default action only; the shipped llm_error rule's
// retry_with_backoff became switch_model from its second attempt.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { classifyError } from '../../../src/engine/classify.js';
import { chooseAction } from '../../../src/engine/recoveryChoice.js';
import { recoveryOver } from './recoveryHarness.js';

const shippedRules = loadConfig({}).error_handling.rules;

describe('a rule is carried out as written', () => {
  it("the shipped llm_error rule's retry_with_backoff stays a backoff at every attempt", () => {
    const c = classifyError('API Error: 500', shippedRules);
    expect(c).toMatchObject({ class: 'llm_error', action: 'retry_with_backoff' });
    expect([1, 2, 3].map((attempt) => chooseAction(c, attempt))).toEqual(['retry_with_backoff', 'retry_with_backoff', 'retry_with_backoff']);
  });

  it('a user rule without class (it takes the built-in class) keeps its action too', () => {
    const c = classifyError('429 Too Many Requests', [{ pattern: '429', severity: 'transient', action: 'retry_with_backoff' }]);
    expect(c.class).toBe('rate_limit');
    expect([1, 2].map((attempt) => chooseAction(c, attempt))).toEqual(['retry_with_backoff', 'retry_with_backoff']);
  });

  it("the class's default action keeps its sequence: a rate limit waits once, then switches", () => {
    const c = classifyError('429 Too Many Requests', shippedRules);
    expect(c).toMatchObject({ class: 'rate_limit', action: 'switch_model' });
    expect([1, 2, 3].map((attempt) => chooseAction(c, attempt))).toEqual(['retry_with_backoff', 'switch_model', 'switch_model']);
    expect([1, 2].map((attempt) => chooseAction(classifyError('API Error: 500', []), attempt))).toEqual(['retry_with_backoff', 'switch_model']);
  });
});

describe('switch_model past the last model', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] }));
  afterEach(() => vi.useRealTimers());

  it('waits on the last model instead of going round to the first again', async () => {
    const { recovery, slot, recoveries, restarts } = recoveryOver({ pendingRecovery: null, attempts: new Map(), modelIndex: 0 } as never, { models: ['m-a', 'm-b'] });
    const c = classifyError('429 Too Many Requests', shippedRules);
    for (let i = 0; i < 3; i++) await recovery.handle(slot, c, '429 Too Many Requests');
    expect(recoveries().filter((r) => r.endsWith('started'))).toEqual(['retry_with_backoff #1 started', 'switch_model #2 started', 'retry_with_backoff #3 started']);
    expect(restarts).toEqual(['model m-a -> m-b']);
    expect(slot.modelIndex).toBe(1);
    expect(slot.throttledUntilMs).toBeGreaterThan(Date.now());
  });

  it('says why it does not switch', async () => {
    const { recovery, slot, events } = recoveryOver({ pendingRecovery: null, attempts: new Map([['rate_limit', 1]]), modelIndex: 0 } as never, { models: ['only'] });
    await recovery.handle(slot, classifyError('429 Too Many Requests', shippedRules), '429 Too Many Requests');
    expect(events.filter((e) => e.type === 'recovery').map((e) => (e as { detail?: string }).detail)).toEqual([
      'rate_limit: no model left after only in [agents].models, so no switch: waiting 2 s (exponential backoff) before retry 2',
    ]);
  });
});

describe('backoff counted from its first wait', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] }));
  afterEach(() => vi.useRealTimers());

  it("a network timeout's first wait (its 4th attempt, after 3 at once) is backoff_initial_seconds, then doubles", async () => {
    // Seen: the first wait was 8 x backoff_initial_seconds (exponential), 4 x (linear); the shipped comment calls it the "First wait".
    const { recovery, slot, events } = recoveryOver({ pendingRecovery: null, attempts: new Map([['network_timeout', 3]]) }, { maxRecoveryAttempts: 6 });
    const timeout = classifyError('ETIMEDOUT', shippedRules);
    await recovery.handle(slot, timeout, 'ETIMEDOUT');
    await recovery.handle(slot, timeout, 'ETIMEDOUT');
    const started = events.flatMap((e) => (e.type === 'recovery' && e.outcome === 'started' ? [e.detail] : []));
    expect(started).toEqual(['network_timeout: waiting 1 s (exponential backoff) before retry 4', 'network_timeout: waiting 2 s (exponential backoff) before retry 5']);
  });
});
