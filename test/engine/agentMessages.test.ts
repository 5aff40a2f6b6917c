// What the agent pool makes of the messages real agents' parsers speak:
// retry, parse_failure, a cost report, an error whose class the adapter knows,
// and the ones it leaves to the adapter (step, session, outcome).

import { describe, expect, it } from 'vitest';
import type { AgentAdapter, AgentMessage } from '../../src/agents/types.js';
import type { EventInput } from '../../src/contract/events.js';
import { AgentPool, type AgentSlot } from '../../src/engine/agentPool.js';
import { classifyError } from '../../src/engine/classify.js';
import type { EngineContext } from '../../src/engine/context.js';

function poolWithFakeContext() {
  const events: EventInput[] = [];
  const progress: string[] = [];
  const errors: { message: string; errorClass?: string; pausedMidRun?: boolean }[] = [];
  const ctx = {
    config: {
      session: { agents: 2 },
      limits: { max_parallel_agents: 8 },
      agent: { roles: ['developer'], max_context_size: 200_000, model: 'm' },
      agents: { models: ['m'] },
    },
    emit: (event: EventInput) => events.push(event),
    completedTasks: () => new Set<string>(),
    currentPhase: { name: 'development' },
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    stopRequest: null,
  } as unknown as EngineContext;
  const pool = new AgentPool(ctx, {
    onProgress: (slot) => progress.push(slot.name),
    onError: (_slot, { message, errorClass, pausedMidRun }) => void errors.push({ message, errorClass, ...(pausedMidRun === undefined ? {} : { pausedMidRun }) }),
    onCrash: () => undefined,
    onContext: () => undefined,
  });
  pool.createSlots();
  const slot = pool.slots[0]!;
  const adapter = { kind: 'claude-code', name: slot.name, stop: async () => ({ code: 0, signal: null }), resumeState: () => ({ native: undefined }) } as unknown as AgentAdapter;
  slot.adapter = adapter;
  const say = (message: AgentMessage) => (pool as unknown as { onMessage(s: AgentSlot, a: AgentAdapter, m: AgentMessage): void }).onMessage(slot, adapter, message);
  return { pool, events, progress, errors, say };
}

describe('AgentPool: messages of real agents', () => {
  it('a retry the agent makes by itself is a transient llm_retry error event, not a recovery', () => {
    const { events, errors, say } = poolWithFakeContext();
    say({ type: 'retry', message: 'API Error: 529 overloaded', attempt: 2, delay_ms: 1500 });
    expect(events).toEqual([
      {
        type: 'error',
        class: 'llm_retry',
        severity: 'transient',
        agent: 'agent-1',
        message: 'the agent retries a model call by itself (attempt 2, in 1.5 s): API Error: 529 overloaded',
      },
    ]);
    expect(errors).toEqual([]);
  });

  it('parse failures are counted; the event log hears once at once and the rest when the agent stops', async () => {
    const { pool, events, say } = poolWithFakeContext();
    for (let i = 0; i < 3; i++) say({ type: 'parse_failure', line: `{bad ${i}`, reason: 'not JSON' });
    expect(events.map((e) => e.type === 'error' && [e.class, e.severity, e.message])).toEqual([
      ['parse_failure', 'recoverable', "1 line not in the agent's format (1 in all, kept in output.log); last: not JSON: {bad 0"],
    ]);
    await pool.stopAll();
    expect(events.at(-1)).toMatchObject({ class: 'parse_failure', message: "2 lines not in the agent's format (3 in all, kept in output.log); last: not JSON: {bad 2" });
  });

  it('a cost report is recorded with the tokens event but is not progress', () => {
    const { events, progress, say } = poolWithFakeContext();
    say({ type: 'tokens', input: 0, output: 0, model: 'm', cost_usd: 0.25 });
    expect(events).toEqual([{ type: 'tokens', agent: 'agent-1', input: 0, output: 0, model: 'm', cost_usd: 0.25 }]);
    expect(progress).toEqual([]);
    say({ type: 'tokens', input: 10, output: 1, model: 'm' });
    expect(events.at(-1)).toEqual({ type: 'tokens', agent: 'agent-1', input: 10, output: 1, model: 'm' });
    expect(progress).toEqual(['agent-1']);
  });

  it('passes the class an adapter knows on to recovery, and records nothing for step, session and outcome', () => {
    const { events, errors, say } = poolWithFakeContext();
    say({ type: 'error', message: 'selfware ran out of time', errorClass: 'network_timeout' });
    expect(errors).toEqual([{ message: 'selfware ran out of time', errorClass: 'network_timeout' }]);
    // A run under way at a pause that failed after it: recovery hears so (it may run the task again before asking a person).
    say({ type: 'error', message: 'task "t" failed (exit code 1): Invalid API key', pausedMidRun: true });
    expect(errors.at(-1)).toEqual({ message: 'task "t" failed (exit code 1): Invalid API key', errorClass: undefined, pausedMidRun: true });
    say({ type: 'step', step: 3 });
    say({ type: 'session', id: 'abc' });
    say({ type: 'outcome', outcome: 'succeeded' });
    expect(events).toEqual([]);
  });
});

describe('classifyError with a class the adapter knows', () => {
  it('uses the known class’s built-in severity and action, unless a configured rule matches the message', () => {
    expect(classifyError('task "x" failed (exit code 124): time limit', [], 'network_timeout')).toEqual({
      class: 'network_timeout',
      severity: 'transient',
      action: 'retry_with_backoff',
      matched: 'the adapter',
    });
    expect(classifyError('claude exited with code 1', [], 'agent_crash')).toMatchObject({ class: 'agent_crash', action: 'restore_checkpoint' });
    expect(classifyError('time limit', [{ pattern: 'time limit', severity: 'critical', action: 'pause_and_alert', class: 'too_slow' }], 'network_timeout')).toMatchObject({
      class: 'too_slow',
      action: 'pause_and_alert',
    });
    // A class no table knows keeps its name and is handled as an unknown error.
    expect(classifyError('something odd', [], 'selfware_exit_6')).toEqual({ class: 'selfware_exit_6', severity: 'degraded', action: 'log_and_continue', matched: 'the adapter' });
    // Without a known class nothing changes.
    expect(classifyError('something odd', [])).toMatchObject({ class: 'unknown', matched: 'built-in' });
  });
});
