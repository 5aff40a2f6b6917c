// The numbers an agent reports are its own word, and one line of them goes
// straight into the session's totals, budgets and rates. A number that no
// real agent could report in one line (1e308 tokens, a tool call of a
// month, a negative count, a fraction of a token) is a protocol error: the
// line is counted as a parse failure and its figures are not used.

import type { AgentMessage } from './types.js';
import { assertNever } from '../contract/assertNever.js';

/** Tokens one line may report (input, output, or a context size): far above any model's call. */
export const MAX_TOKENS_PER_LINE = 10_000_000;
/** The longest tool call or step one line may report: a day. */
export const MAX_DURATION_MS = 86_400_000;
/** The most one line may say a call cost, in USD. */
export const MAX_COST_USD_PER_LINE = 100_000;

/** Why a count is not a whole number of tokens 0..MAX_TOKENS_PER_LINE, or null. */
export function tokenCountProblem(value: number): string | null {
  if (!Number.isFinite(value)) return `${value} is not a finite number`;
  if (!Number.isInteger(value) || value < 0) return `${value} is not a whole number of tokens >= 0`;
  if (value > MAX_TOKENS_PER_LINE) return `${value} is over ${MAX_TOKENS_PER_LINE} tokens for one line`;
  return null;
}

function boundedProblem(value: number, max: number, unit: string): string | null {
  if (!Number.isFinite(value)) return `${value} is not a finite number`;
  if (value < 0) return `${value} is negative`;
  if (value > max) return `${value} is over ${max} ${unit} for one line`;
  return null;
}

/**
 * Why the numbers of a message cannot be used, or null when they can (or it
 * has none). Applied to every adapter's messages, whatever parsed them.
 */
export function messageNumbersProblem(message: AgentMessage): string | null {
  const first = (...checks: [string, string | null][]): string | null => {
    for (const [field, problem] of checks) if (problem !== null) return `${message.type}.${field}: ${problem}`;
    return null;
  };
  switch (message.type) {
    case 'tool_call':
      return first(['duration_ms', boundedProblem(message.duration_ms, MAX_DURATION_MS, 'ms')]);
    case 'tokens':
      return first(
        ['input', tokenCountProblem(message.input)],
        ['output', tokenCountProblem(message.output)],
        ['cost_usd', message.cost_usd === undefined ? null : boundedProblem(message.cost_usd, MAX_COST_USD_PER_LINE, 'USD')],
      );
    case 'context':
      return first(['tokens', tokenCountProblem(message.tokens)]);
    case 'outcome':
      return first(
        ['duration_ms', message.duration_ms === undefined ? null : boundedProblem(message.duration_ms, MAX_DURATION_MS, 'ms')],
        ['cost_usd', message.cost_usd === undefined ? null : boundedProblem(message.cost_usd, MAX_COST_USD_PER_LINE, 'USD')],
      );
    // No numbers to check.
    case 'state':
    case 'task_done':
    case 'error':
    case 'vote':
    case 'output':
    case 'step':
    case 'session':
    case 'retry':
    case 'parse_failure':
      return null;
    default:
      return assertNever(message, 'agent message');
  }
}
