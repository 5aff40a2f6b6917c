// Which recovery an agent's error gets: its class (classify.ts, with the
// time a usage limit lifts when its message says so) and the action for its
// attempt (the recovery table's sequences, DESIGN §8). Pure: the recovery
// carries the action out, and holds the agent at once when it will anyway.

import type { AgentErrorReport } from '../agents/types.js';
import type { ErrorRuleConfig } from '../config/types.js';
import { classifyError, MERGE_CONFLICT, type Classification, type EngineAction } from './classify.js';
import { usageLimitLiftsAtMs } from './limitLifts.js';

/** Times a merge conflict goes back to its agent to resolve before its task is reassigned. */
export const CONFLICT_RESOLVE_ATTEMPTS = 2;

/**
 * An agent's error as the recovery sees it: its cause (the message without
 * the task's title, when the adapter gave it) is classified, else its
 * message; errorClass is what the adapter knows for sure, fallbackClass what
 * it suggests when the words name none (classifyError).
 */
export function classifyAgentError(error: AgentErrorReport, rules: ErrorRuleConfig[], nowMs = Date.now()): Classification {
  const said = error.cause ?? error.message;
  const c = classifyError(said, rules, error.errorClass, error.fallbackClass);
  const liftsAt = c.class === 'rate_limit' ? usageLimitLiftsAtMs(said, nowMs) : null;
  return liftsAt === null ? c : { ...c, limitLiftsAtMs: liftsAt };
}

/**
 * The recovery table's sequences (DESIGN §8) for the classes' default
 * actions: a network timeout is retried 3 times, then backed off; a rate
 * limit or LLM error waits once, then moves to the next model. A merge
 * conflict goes back to its agent CONFLICT_RESOLVE_ATTEMPTS times (fewer when
 * max_recovery_attempts leaves no room), then its task is reassigned. A
 * sequence stands for its class's default action only: a rule that names
 * another action is carried out as written (the shipped llm_error rule's
 * retry_with_backoff was once turned into switch_model from its second
 * attempt). A usage limit that says when it lifts is waited out, whichever
 * of the two the rule names.
 */
export function chooseAction(c: Classification, attempt: number, maxRecoveryAttempts = Number.POSITIVE_INFINITY): EngineAction {
  if (c.class === MERGE_CONFLICT.class && c.action === 'resolve_conflict') {
    return attempt <= Math.min(CONFLICT_RESOLVE_ATTEMPTS, maxRecoveryAttempts - 1) ? 'resolve_conflict' : 'reassign';
  }
  if (c.class === 'network_timeout' && c.action === 'retry_with_backoff') return attempt <= 3 ? 'retry_immediate' : 'retry_with_backoff';
  // A limit that says when it lifts covers every model of the account: wait until then, every time.
  if (c.class === 'rate_limit' && c.limitLiftsAtMs !== undefined && (c.action === 'switch_model' || c.action === 'retry_with_backoff')) return 'retry_with_backoff';
  if ((c.class === 'rate_limit' || c.class === 'llm_error') && c.action === 'switch_model') return attempt === 1 ? 'retry_with_backoff' : 'switch_model';
  return c.action;
}

/**
 * Which wait of its backoff an attempt is: attempts its class's sequence
 * retried at once come before the first (a network timeout's 4th attempt is
 * its first wait, of backoff_initial_seconds: counted from the attempt, it
 * waited 8 times that first).
 */
export function backoffStep(c: Classification, attempt: number): number {
  let immediate = 0;
  for (let earlier = 1; earlier < attempt; earlier += 1) if (chooseAction(c, earlier) === 'retry_immediate') immediate += 1;
  return Math.max(1, attempt - immediate);
}

/**
 * Whether the recovery of this error will hold the agent whatever happens
 * before it is carried out: a wait, a restart on the next model, or a pause
 * for a person. Each of them ends by resuming or replacing the agent, so
 * holding it sooner loses nothing. Not the others: a retry, a note, a
 * compression or a logged error leave the agent to go on by itself.
 */
export function holdsTheAgent(c: Classification, attempt: number): boolean {
  const action = chooseAction(c, attempt);
  return action === 'retry_with_backoff' || action === 'switch_model' || action === 'pause_and_alert' || action === 'escalate';
}
