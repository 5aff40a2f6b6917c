// Error classification (DESIGN §8): the configured [[error_handling.rules]]
// first, in order, then the built-in classes.

import type { ErrorRuleConfig, RecoveryAction, Severity } from '../config/types.js';
import { assertNever } from '../contract/assertNever.js';

/**
 * What the recovery can do: the configurable actions, and two that only a
 * merge conflict (worktree isolation) calls for: hand the conflict to its
 * agent to resolve, or give the task to another agent.
 */
export type EngineAction = RecoveryAction | 'resolve_conflict' | 'reassign';

export interface Classification {
  class: string;
  severity: Severity;
  action: EngineAction;
  /** Which rule decided: `rule #N (pattern)` or `built-in`. */
  matched: string;
  /** A rate limit whose message says when it lifts (a plan's usage limit, limitLifts.ts): ms since the epoch. */
  limitLiftsAtMs?: number;
}

interface BuiltInClass {
  class: string;
  pattern: RegExp;
  severity: Severity;
  action: RecoveryAction;
}

/**
 * A model the agent's program was told to use (`--model`) that does not exist
 * or that the account may not use, as the CLIs say it: Claude Code's "There's
 * an issue with the selected model (X). It may not exist or you may not have
 * access to it" and its API's 404 not_found_error "model: X"; Codex's "The
 * 'X' model is not supported when using Codex with a ChatGPT account" and
 * OpenAI's "The model `X` does not exist or you do not have access to it"
 * (model_not_found); vLLM's "The model `X` does not exist", Ollama's "model
 * "X" not found". No wait helps: the next model in [agents].models does. A
 * bare "model unavailable" (a 503's words) is left to llm_error: it passes.
 */
export const MODEL_UNAVAILABLE_CLASS = 'model_unavailable';
export const MODEL_UNAVAILABLE =
  /issue with the selected model|model_not_found|not_found_error.{0,40}model|model[:`'" ]{1,3}\S{1,80}[`'"]? (does not exist|is not supported|not found)|model (is )?not supported|model not found|unknown model\b/i;
/** Its `stop` restores the last checkpoint first (recoveryActions.ts). */
export const DATA_CORRUPTION = 'data_corruption';

// Order matters: the more specific patterns come first. A failed test first:
// its name ("test_rejects_corrupt_frame") must not read as the fault it tests.
const BUILT_IN: BuiltInClass[] = [
  { class: 'test_failure', pattern: /\btests? failed\b|\bassertion(error\b|.*\bfailed\b)|test result: FAILED/i, severity: 'degraded', action: 'log_and_continue' },
  // Only a message that says megatest's or the project's data is damaged: a bare "corrupt" stopped sessions over a task's title.
  { class: DATA_CORRUPTION, pattern: /\b(data|state|checkpoint|database|file|index)s? (is |are |was )?corrupt|\bchecksum mismatch\b|\bintegrity check failed\b/i, severity: 'fatal', action: 'stop' },
  { class: 'disk_full', pattern: /ENOSPC|no space left|disk (is )?full|disk (usage|limit)/i, severity: 'critical', action: 'pause_and_alert' },
  { class: 'consensus_deadlock', pattern: /deadlock|no quorum/i, severity: 'critical', action: 'escalate' },
  // The agent's program is not logged in, or its key or token was refused: no retry or other model helps until a person logs it in.
  { class: 'authentication', pattern: /invalid api key|missing api key|incorrect api key|invalid x-api-key|run \/login|not logged in|authentication_error|authentication[ _]failed|oauth token (has )?expired|401 unauthori[sz]ed/i, severity: 'critical', action: 'pause_and_alert' },
  // The account behind the agent has no credit left: waiting or another model does not help until a person pays.
  { class: 'billing', pattern: /credit balance is too low|insufficient_quota|billing_error|exceeded your current quota|plan and billing details/i, severity: 'critical', action: 'pause_and_alert' },
  // The model the agent was started on does not exist or the account may not use it: before the rate limit and the
  // API errors, whose words ("API Error: 404") a refused model also carries, and which wait on it first.
  { class: MODEL_UNAVAILABLE_CLASS, pattern: MODEL_UNAVAILABLE, severity: 'recoverable', action: 'switch_model' },
  // Claude Code 2.x says a plan's limit as "5-hour limit reached ∙ resets 2pm" or "Weekly limit reached ∙ resets Oct 9, 10am".
  { class: 'rate_limit', pattern: /\b429\b|rate.?limit|too many requests|quota exceeded|usage limit|hit your limit|\b(session|weekly|opus|sonnet|\d+-hour) limit reached\b|overloaded/i, severity: 'transient', action: 'switch_model' },
  // Claude's "API Error: Connection error.", Codex's "stream disconnected before completion: error sending request for url".
  { class: 'network_timeout', pattern: /ETIMEDOUT|ECONNRESET|ECONNREFUSED|EAI_AGAIN|connection (refused|reset|error)|stream disconnected|error sending request|network|timed? ?out/i, severity: 'transient', action: 'retry_with_backoff' },
  // Claude's "Prompt is too long" and "input length and `max_tokens` exceed context limit", OpenAI's context_length_exceeded.
  { class: 'context_overflow', pattern: /context[ _](length|window)|maximum context|exceeds? (the )?context limit|prompt is too long|too many tokens/i, severity: 'degraded', action: 'compress_and_retry' },
  // Also a CLI run that ended without its closing line (claude's result, codex's turn.completed), cut short or unreadable:
  // as `unknown` it was logged and its task set aside, and the session completed without that task.
  { class: 'parse_failure', pattern: /pars(e|ing)|malformed|invalid json|unexpected token|exited 0 without (a result line|a turn\.completed event)/i, severity: 'recoverable', action: 'retry_with_modification' },
  { class: 'llm_error', pattern: /\b5\d\d\b|model (error|unavailable|not found)|api error|internal server error/i, severity: 'recoverable', action: 'switch_model' },
];

/**
 * knownClass: a class the adapter is sure of (selfware's exit code 124 is a
 * time limit, whatever the last line said). The configured rules still come
 * first; then the known class, with its built-in severity and action (or
 * those of a watchdog class); then the message's built-in class; then
 * fallbackClass, a class the adapter suggests when the words name none
 * (selfware's exit 4 is some model API error: its words say a rate limit or
 * a refused key, when they do).
 */
export function classifyError(message: string, rules: ErrorRuleConfig[], knownClass?: string, fallbackClass?: string): Classification {
  for (const [index, rule] of rules.entries()) {
    let pattern: RegExp;
    try {
      pattern = new RegExp(rule.pattern, 'i');
    } catch {
      continue; // validated at config load; a bad one never matches here
    }
    if (pattern.test(message)) {
      const builtIn = BUILT_IN.find((b) => b.pattern.test(message));
      return {
        class: rule.class ?? builtIn?.class ?? 'custom',
        severity: rule.severity,
        action: rule.action,
        matched: `rule #${index + 1} (${shortPattern(rule.pattern)})`,
      };
    }
  }
  const known = knownClass === undefined ? undefined : tableClass(knownClass);
  if (known) return { ...known, matched: 'the adapter' };
  const builtIn = BUILT_IN.find((b) => b.pattern.test(message));
  if (builtIn) return { class: builtIn.class, severity: builtIn.severity, action: builtIn.action, matched: 'built-in' };
  const fallback = fallbackClass === undefined ? undefined : tableClass(fallbackClass);
  if (fallback) return { ...fallback, matched: 'the adapter' };
  // A class the adapter named but no table knows: keep its name, handle it as an unknown error.
  const named = knownClass ?? fallbackClass;
  return { class: named ?? 'unknown', severity: 'degraded', action: 'log_and_continue', matched: named ? 'the adapter' : 'built-in' };
}

/** A class of the built-in or watchdog table, with its severity and action. */
function tableClass(name: string): Omit<Classification, 'matched'> | undefined {
  const found = BUILT_IN.find((b) => b.class === name) ?? (WATCHDOG_CLASSES as Record<string, Omit<Classification, 'matched'>>)[name];
  return found === undefined ? undefined : { class: found.class, severity: found.severity, action: found.action };
}

/** A rule's pattern as the error line names it: the default authentication rule's took three log lines at 80 columns. */
function shortPattern(pattern: string): string {
  const chars = [...pattern];
  return chars.length <= PATTERN_SHOWN ? pattern : `${chars.slice(0, PATTERN_SHOWN - 1).join('')}…`;
}
const PATTERN_SHOWN = 32;

/** Classes the watchdog raises itself, not found in any message. */
export const WATCHDOG_CLASSES = {
  agent_crash: { class: 'agent_crash', severity: 'recoverable', action: 'restore_checkpoint' },
  agent_hang: { class: 'agent_hang', severity: 'recoverable', action: 'restore_checkpoint' },
  agent_silent: { class: 'agent_silent', severity: 'degraded', action: 'log_and_continue' },
} as const satisfies Record<string, Omit<Classification, 'matched'>>;

/** Raised by the merger when an agent's branch cannot be merged into main (isolation = worktree). */
export const MERGE_CONFLICT = { class: 'merge_conflict', severity: 'recoverable', action: 'resolve_conflict' } as const satisfies Omit<Classification, 'matched'>;
/**
 * Worktree isolation: an agent's branch that could not be merged for another reason than a conflict, its retries
 * spent. Critical, so a person is asked as for the other critical classes (pause_and_alert): the agent's finished work
 * cannot reach main without one (a worktree replaced by `git init`, a lock git keeps), and a session that went on
 * ended on time with that work never measured. A continue tries the merge again.
 */
export const MERGE_FAILED = { class: 'merge_failed', severity: 'critical', action: 'pause_and_alert' } as const satisfies Omit<Classification, 'matched'>;

export function backoffSeconds(
  strategy: 'fixed' | 'linear' | 'exponential',
  attempt: number,
  initialSeconds: number,
  maxSeconds: number,
): number {
  const n = Math.max(1, attempt);
  let delay: number;
  switch (strategy) {
    case 'fixed':
      delay = initialSeconds;
      break;
    case 'linear':
      delay = initialSeconds * n;
      break;
    case 'exponential':
      delay = initialSeconds * 2 ** (n - 1);
      break;
    default:
      return assertNever(strategy, 'backoff strategy');
  }
  return Math.min(maxSeconds, delay);
}
