// How a retry an agent made by itself (Claude's system/api_retry, selfware's
// re-prompt) reads in its llm_retry error event: one wording for a live run
// (engine/agentPool.ts) and an import (importer/eventMapper.ts).

import type { AgentMessage } from './types.js';

export function retryText(message: Extract<AgentMessage, { type: 'retry' }>): string {
  const attempt = message.attempt === undefined ? '' : ` attempt ${message.attempt}`;
  const delay = message.delay_ms === undefined ? '' : ` in ${Math.round(message.delay_ms / 100) / 10} s`;
  return `the agent retries a model call by itself${attempt || delay ? ` (${[attempt.trim(), delay.trim()].filter(Boolean).join(', ')})` : ''}: ${message.message.slice(0, 500)}`;
}
