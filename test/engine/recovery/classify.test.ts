// classifyError (rules first, then the built-in classes) and backoffSeconds.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { backoffSeconds, classifyError, WATCHDOG_CLASSES } from '../../../src/engine/classify.js';
import { loadConfig } from '../../../src/config/load.js';
import type { ErrorRuleConfig } from '../../../src/config/types.js';

const defaultRules = loadConfig({}).error_handling.rules;

describe('classifyError with the default [[error_handling.rules]]', () => {
  it.each([
    ['ETIMEDOUT: network timeout contacting model API', 'network_timeout', 'transient', 'retry_with_backoff'],
    ['429 Too Many Requests: rate limit exceeded', 'rate_limit', 'recoverable', 'switch_model'],
    ['parse failure: model returned malformed tool call JSON', 'parse_failure', 'recoverable', 'retry_with_modification'],
    ['consensus deadlock: no quorum after voting timeout', 'consensus_deadlock', 'critical', 'escalate'],
    ['ENOSPC: no space left on device', 'disk_full', 'critical', 'pause_and_alert'],
    ['checksum mismatch in checkpoint_003.json', 'data_corruption', 'fatal', 'stop'],
    ['API error: 503 model unavailable', 'llm_error', 'recoverable', 'retry_with_backoff'],
    ['3 tests failed', 'test_failure', 'degraded', 'log_and_continue'],
    ['context length exceeded: 210000 tokens', 'context_overflow', 'degraded', 'compress_and_retry'],
    // What the CLIs say when they are not logged in, or their key or token is refused
    ['task "Write the parser" failed (exit code 1): Invalid API key · Please run /login', 'authentication', 'critical', 'pause_and_alert'],
    ['Missing API key · Run /login', 'authentication', 'critical', 'pause_and_alert'],
    ['API Error: 401 {"type":"error","error":{"type":"authentication_error","message":"OAuth token has expired."}}', 'authentication', 'critical', 'pause_and_alert'],
    ['stream error: unexpected status 401 Unauthorized: Missing bearer or basic authentication in header', 'authentication', 'critical', 'pause_and_alert'],
    ['Incorrect API key provided: sk-abc***', 'authentication', 'critical', 'pause_and_alert'],
    // A run whose only word is the kind of API call that failed it (claude's assistant line marked error, no result line)
    ['task "x" failed (exit code 1): Claude API error: authentication_failed', 'authentication', 'critical', 'pause_and_alert'],
    ['task "x" failed (exit code 1): Claude API error: billing_error', 'billing', 'critical', 'pause_and_alert'],
    ['task "x" failed (exit code 1): Claude API error: rate_limit', 'rate_limit', 'recoverable', 'switch_model'],
    // A model endpoint that is down, as Rust's reqwest (selfware) and Python say it
    ['error sending request for url (http://127.0.0.1:8000/v1/chat/completions): tcp connect error: Connection refused (os error 111)', 'network_timeout', 'transient', 'retry_with_backoff'],
    ["requests.exceptions.ConnectionError: [Errno 104] Connection reset by peer", 'network_timeout', 'transient', 'retry_with_backoff'],
    // An account with no credit left
    ['task failed (exit code 1): Credit balance is too low', 'billing', 'critical', 'pause_and_alert'],
    ['429 You exceeded your current quota, please check your plan and billing details. (insufficient_quota)', 'billing', 'critical', 'pause_and_alert'],
    ['ERROR: Quota exceeded. Check your plan and billing details.', 'billing', 'critical', 'pause_and_alert'],
    // A plan's usage limit is a rate limit
    ["You've hit your usage limit. Upgrade to Pro or try again at 3:10 PM.", 'rate_limit', 'recoverable', 'switch_model'],
    ["You've hit your usage limit. Visit https://chatgpt.com/codex/settings/usage to purchase more credits or try again at 10:03 PM.", 'rate_limit', 'recoverable', 'switch_model'],
    ['Claude AI usage limit reached|1767225600', 'rate_limit', 'recoverable', 'switch_model'],
  ])('%s -> %s', (message, cls, severity, action) => {
    const c = classifyError(message, defaultRules);
    expect(c).toMatchObject({ class: cls, severity, action });
    expect(c.matched).toMatch(/^rule #\d+/);
  });

  it('a test about a 401 or an API error is not an authentication failure', () => {
    expect(classifyError('3 tests failed: GET /jobs returns 401 for a missing token', defaultRules).class).toBe('test_failure');
    expect(classifyError('API Error: 500 internal server error', defaultRules).class).toBe('llm_error');
  });

  it('the built-in classes know the same authentication failures without the rules', () => {
    expect(classifyError('Invalid API key · Please run /login', [])).toMatchObject({ class: 'authentication', severity: 'critical', action: 'pause_and_alert', matched: 'built-in' });
    expect(classifyError('API Error: 401 authentication_error', [])).toMatchObject({ class: 'authentication' });
  });

  it('a failed test whose name says "corrupt" (or "disk full") is a test failure, not data corruption', () => {
    // Seen: the session stopped, failed, as data corruption over a test's name.
    expect(classifyError('2 tests failed: test_rejects_corrupt_frame, test_roundtrip', defaultRules)).toMatchObject({ class: 'test_failure', action: 'log_and_continue' });
    expect(classifyError('1 test failed: test_disk_full_is_reported', defaultRules)).toMatchObject({ class: 'test_failure', action: 'log_and_continue' });
    expect(classifyError('task "Turn a corrupt cache entry into a miss" needs another try', defaultRules).class).not.toBe('data_corruption');
    expect(classifyError('wrote incorruptible.rs', defaultRules).class).not.toBe('data_corruption');
  });

  it.each(['database is corrupt', 'state file corrupted: cannot read', 'checkpoint corrupt', 'index was corrupted', 'sqlite: integrity check failed'])(
    'what says the data is damaged is still data corruption: %s',
    (message) => {
      expect(classifyError(message, defaultRules)).toMatchObject({ class: 'data_corruption', action: 'stop' });
      expect(classifyError(message, [])).toMatchObject({ class: 'data_corruption', action: 'stop', matched: 'built-in' });
    },
  );

  it.each(['AssertionError: expected 2 to equal 3', 'assertion `left == right` failed', '3 tests failed', 'test result: FAILED. 1 passed; 2 failed'])(
    'the shipped rule and the built-in class read a failed test alike: %s',
    (message) => {
      expect(classifyError(message, defaultRules)).toMatchObject({ class: 'test_failure', matched: expect.stringMatching(/^rule #1 /) });
      expect(classifyError(message, [])).toMatchObject({ class: 'test_failure', matched: 'built-in' });
    },
  );

  it.each(['contests failed to load', 'latests failed'])('a word that only holds "tests failed" is no failed test: %s', (message) => {
    expect(classifyError(message, defaultRules).class).not.toBe('test_failure');
    expect(classifyError(message, []).class).not.toBe('test_failure');
  });

  it('the built-in classes (no rules) read a failed test the same way', () => {
    expect(classifyError('2 tests failed: test_rejects_corrupt_frame, test_roundtrip', [])).toMatchObject({ class: 'test_failure', matched: 'built-in' });
    expect(classifyError('3 tests failed: test_disk_full_is_reported', [])).toMatchObject({ class: 'test_failure' });
    expect(classifyError('the corrupt-frame decoder rejects short frames', []).class).not.toBe('data_corruption');
    expect(classifyError('integrity of the plan is good', []).class).not.toBe('data_corruption');
  });

  it('takes the first matching rule: a vote timeout is a deadlock, not a network timeout', () => {
    expect(classifyError('vote timed out', defaultRules).class).toBe('consensus_deadlock');
  });

  it('an unmatched message is unknown, degraded, logged', () => {
    expect(classifyError('something odd happened', defaultRules)).toEqual({ class: 'unknown', severity: 'degraded', action: 'log_and_continue', matched: 'built-in' });
  });
});

describe('classifyError built-in classes and custom rules', () => {
  it('falls back to the built-in classes without rules', () => {
    expect(classifyError('ECONNRESET while reading', [])).toMatchObject({ class: 'network_timeout', matched: 'built-in', action: 'retry_with_backoff' });
    expect(classifyError('disk usage growing: wrote 64 MiB', [])).toMatchObject({ class: 'disk_full', action: 'pause_and_alert' });
    expect(classifyError('Unexpected token } in JSON', [])).toMatchObject({ class: 'parse_failure' });
  });

  it('a rule without class takes the built-in class of the message, or custom', () => {
    const rules: ErrorRuleConfig[] = [
      { pattern: 'ETIMEDOUT', severity: 'critical', action: 'stop' },
      { pattern: 'flaky widget', severity: 'degraded', action: 'retry_immediate' },
    ];
    expect(classifyError('ETIMEDOUT', rules)).toMatchObject({ class: 'network_timeout', severity: 'critical', action: 'stop', matched: 'rule #1 (ETIMEDOUT)' });
    expect(classifyError('the flaky widget broke', rules)).toMatchObject({ class: 'custom', action: 'retry_immediate' });
  });

  it('matches case-insensitively and skips a rule whose pattern does not compile', () => {
    const rules: ErrorRuleConfig[] = [
      { pattern: '(', severity: 'fatal', action: 'stop' },
      { pattern: 'boom', severity: 'critical', action: 'pause_and_alert', class: 'explosion' },
    ];
    expect(classifyError('BOOM', rules)).toMatchObject({ class: 'explosion', matched: 'rule #2 (boom)' });
    // a long pattern is named by its start
    expect(classifyError('Invalid API key', defaultRules).matched).toMatch(/^rule #\d+ \(invalid api key\|missing api key…\)$/);
  });

  it('names the watchdog classes with their own recoveries', () => {
    expect(WATCHDOG_CLASSES.agent_crash.action).toBe('restore_checkpoint');
    expect(WATCHDOG_CLASSES.agent_hang.action).toBe('restore_checkpoint');
    expect(WATCHDOG_CLASSES.agent_silent.action).toBe('log_and_continue');
  });
});

describe('backoffSeconds', () => {
  it('fixed, linear and exponential, capped at the maximum', () => {
    expect([1, 2, 3, 4].map((n) => backoffSeconds('fixed', n, 2, 60))).toEqual([2, 2, 2, 2]);
    expect([1, 2, 3, 4].map((n) => backoffSeconds('linear', n, 2, 60))).toEqual([2, 4, 6, 8]);
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffSeconds('exponential', n, 1, 30))).toEqual([1, 2, 4, 8, 16, 30, 30]);
    expect(backoffSeconds('exponential', 1, 0.2, 1)).toBe(0.2);
  });

  it('treats attempt < 1 as the first attempt', () => {
    expect(backoffSeconds('linear', 0, 3, 100)).toBe(3);
    expect(backoffSeconds('exponential', -2, 3, 100)).toBe(3);
  });

  it('never exceeds the maximum and never decreases with the attempt', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('fixed' as const, 'linear' as const, 'exponential' as const),
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0.1, max: 100, noNaN: true }),
        fc.double({ min: 0.1, max: 1000, noNaN: true }),
        (strategy, attempt, initial, extra) => {
          const max = initial + extra;
          const now = backoffSeconds(strategy, attempt, initial, max);
          const next = backoffSeconds(strategy, attempt + 1, initial, max);
          return now <= max && now >= Math.min(initial, max) && next >= now;
        },
      ),
    );
  });
});
