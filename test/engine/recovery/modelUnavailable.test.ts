// A model the agent's CLI was started on that does not exist, or that the
// account may not use, as claude and codex really say it. Seen: claude's
// "There's an issue with the selected model (…)" and codex's "The '…' model is
// not supported …" were class `unknown` (logged, nothing done: the agent failed
// task after task on that model and never moved on); claude's 404
// not_found_error was llm_error, which the shipped rule only waits on, so the
// agent waited max_recovery_attempts times for a model that never comes, then
// paused for a person. Now: model_unavailable, straight to the next model of
// [agents].models; with none left, a person is asked at once.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { classifyError } from '../../../src/engine/classify.js';
import { chooseAction } from '../../../src/engine/recoveryChoice.js';
import { recoveryOver } from './recoveryHarness.js';

const shippedRules = loadConfig({}).error_handling.rules;

// What the CLIs print for a model they cannot use (claude 2.x result line and its API's 404; codex exec's error and turn.failed; vLLM and Ollama behind selfware).
const REFUSED_MODEL = [
  "There's an issue with the selected model (claude-opus-9). It may not exist or you may not have access to it. Run /model to pick a different model.",
  'API Error: 404 {"type":"error","error":{"type":"not_found_error","message":"model: claude-opus-9"}}',
  "The 'gpt-9' model is not supported when using Codex with a ChatGPT account.",
  'unexpected status 400 Bad Request: {"detail":"The \'gpt-9\' model is not supported when using Codex with a ChatGPT account."}',
  'The model `gpt-9` does not exist or you do not have access to it.',
  '{"error":{"message":"The model `qwen-9` does not exist.","type":"NotFoundError","code":404}}',
  'model "llama9" not found, try pulling it first',
];

describe('a model the CLI cannot use is model_unavailable', () => {
  it.each(REFUSED_MODEL)('%s', (message) => {
    for (const rules of [shippedRules, []]) {
      const c = classifyError(message, rules);
      expect(c).toMatchObject({ class: 'model_unavailable', severity: 'recoverable', action: 'switch_model' });
      // No wait first: the next model at the first attempt.
      expect(chooseAction(c, 1)).toBe('switch_model');
    }
  });

  it('a 503 "model unavailable" (the service, for now) stays an llm_error, waited on', () => {
    expect(classifyError('API error: 503 model unavailable', shippedRules)).toMatchObject({ class: 'llm_error', action: 'retry_with_backoff' });
  });
});

describe('the CLIs’ other real failures find their class', () => {
  it.each([
    // claude
    ['API Error: Connection error.', 'network_timeout'],
    ['Prompt is too long', 'context_overflow'],
    ['API Error: 400 {"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 215000 tokens > 200000 maximum"}}', 'context_overflow'],
    ['input length and `max_tokens` exceed context limit: 188240 + 21333 > 200000, decrease input length or `max_tokens` and try again', 'context_overflow'],
    ['5-hour limit reached ∙ resets 2pm', 'rate_limit'],
    ['Weekly limit reached ∙ resets Oct 9, 10am', 'rate_limit'],
    // codex
    ['stream disconnected before completion: error sending request for url (https://chatgpt.com/backend-api/codex/responses)', 'network_timeout'],
    ["Codex ran out of room in the model's context window. Start a new conversation or clear earlier history before retrying.", 'context_overflow'],
    ['{"error":{"code":"context_length_exceeded","message":"Your input exceeds the context window of this model."}}', 'context_overflow'],
    // megatest's words for a run whose stream broke before its closing line: the task must run again, not be set aside
    ['failed (exit code 0): claude exited 0 without a result line, so nothing says the task was done', 'parse_failure'],
    ['failed (exit code 0): codex exited 0 without a turn.completed event, so nothing says the task was done', 'parse_failure'],
  ])('%s -> %s', (message, expected) => {
    expect(classifyError(message, shippedRules).class).toBe(expected);
    expect(classifyError(message, []).class).toBe(expected);
  });
});

describe('model_unavailable in the recovery', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] }));
  afterEach(() => vi.useRealTimers());

  it('switches at once, without a wait, and the agent is restarted on the next model', async () => {
    const { recovery, slot, recoveries, restarts } = recoveryOver({ pendingRecovery: null, attempts: new Map(), modelIndex: 0 } as never, { models: ['m-a', 'm-b'] });
    await recovery.handle(slot, classifyError(REFUSED_MODEL[0]!, shippedRules), REFUSED_MODEL[0]!);
    expect(recoveries()).toEqual(['switch_model #1 started']);
    expect(restarts).toEqual(['model m-a -> m-b']);
    expect(slot.modelIndex).toBe(1);
    expect(slot.throttledUntilMs ?? 0).toBe(0);
  });

  it('with no model left, asks a person at once instead of waiting on a model that is not there', async () => {
    const { recovery, slot, recoveries, pauses, controls } = recoveryOver({ pendingRecovery: null, attempts: new Map(), modelIndex: 0 } as never, { models: ['only'], maxRecoveryAttempts: 5 });
    await recovery.handle(slot, classifyError(REFUSED_MODEL[2]!, shippedRules), REFUSED_MODEL[2]!);
    expect(recoveries()).toEqual(['pause_and_alert #1 started']);
    expect(pauses).toHaveLength(1);
    expect(pauses[0]![0]).toContain('no model left after only in [agents].models');
    expect(controls).not.toContain('pause'); // the session pauses, not a backoff on the agent
  });
});
