// Per-model tallies and capabilities in the fold: tokens and cost by the
// model each tokens event names, tasks by the agent's model when it completed
// them; the batched fold equals folding one event at a time.

import { describe, expect, it } from 'vitest';
import type { EventInput, MegatestEvent } from '../../src/contract/events.js';
import { foldEvent, foldEvents } from '../../src/state/fold.js';
import { initialRunState } from '../../src/state/runState.js';
import { capabilitiesByAgent, lastCriticalAlert, modelTallies, recoveriesUnderWay } from '../../src/state/tallies.js';

const CAPS = { nativeCheckpoint: false, nativeCompress: false, nativeResume: true, tokenUsage: true, cost: true, pause: true };

function log(inputs: EventInput[]): MegatestEvent[] {
  const start = Date.parse('2026-01-01T00:00:00Z');
  return inputs.map((input, i) => ({ ...input, seq: i + 1, ts: new Date(start + i * 1000).toISOString() }) as MegatestEvent);
}

const events = log([
  { type: 'agent_started', agent: 'agent-1', role: 'developer', model: 'model-a', capabilities: CAPS },
  { type: 'agent_started', agent: 'agent-2', role: 'tester', model: 'model-a' },
  { type: 'tokens', agent: 'agent-1', input: 0, output: 0, model: 'model-a', cost_usd: 0.1 },
  { type: 'tokens', agent: 'agent-1', input: 100, output: 20, model: 'model-b' },
  { type: 'tokens', agent: 'agent-1', input: 0, output: 0, model: 'model-b', cost_usd: 0.2 },
  { type: 'task_completed', agent: 'agent-1', task: 'one', phase: 'development' },
  { type: 'tokens', agent: 'agent-2', input: 7, output: 3, model: '' },
  { type: 'task_completed', agent: 'agent-2', task: 'two', phase: 'development' },
  { type: 'tokens', agent: 'agent-1', input: 50, output: 5, model: 'model-b', cost_usd: 0.1 },
  { type: 'tokens', agent: 'agent-1', input: 0, output: 0, model: 'model-b', cost_usd: 0.2 },
]);

describe('per-model tallies', () => {
  const oneByOne = events.reduce(foldEvent, initialRunState());

  it('sums tokens and cost by the event’s model and tasks by the agent’s model at completion', () => {
    const sum = (model: string, pick: (e: Extract<MegatestEvent, { type: 'tokens' }>) => number) =>
      events.filter((e): e is Extract<MegatestEvent, { type: 'tokens' }> => e.type === 'tokens' && e.model === model).reduce((n, e) => n + pick(e), 0);
    const tallies = modelTallies(oneByOne);
    expect(tallies.map((t) => t.model)).toEqual(['model-a', 'model-b', '']);
    const b = tallies.find((t) => t.model === 'model-b')!;
    expect(b).toMatchObject({ tasks: ['one'], inputTokens: sum('model-b', (e) => e.input), outputTokens: sum('model-b', (e) => e.output) });
    expect(b.costUsd).toBe(((0.2 + 0.1) + 0.2));
    expect(tallies.find((t) => t.model === 'model-a')).toMatchObject({ tasks: ['two'], inputTokens: 0, costUsd: 0.1 });
    // agent-2 never named a model in tokens: its task counts for its agent_started model, its tokens for ''.
    expect(tallies.find((t) => t.model === '')).toMatchObject({ tasks: [], inputTokens: 7, outputTokens: 3, costUsd: null });
    expect(oneByOne.tasksDone.map((t) => [t.task, t.model])).toEqual([
      ['one', 'model-b'],
      ['two', 'model-a'],
    ]);
  });

  it('the batched fold gives exactly the same state, however the batch is split', () => {
    for (let k = 0; k <= events.length; k++) {
      expect(foldEvents(foldEvents(initialRunState(), events.slice(0, k)), events.slice(k))).toStrictEqual(oneByOne);
    }
  });

  it('keeps each agent’s capabilities from agent_started', () => {
    expect(capabilitiesByAgent(oneByOne)).toEqual({ 'agent-1': CAPS });
    expect(oneByOne.agents.find((a) => a.name === 'agent-2')!.capabilities).toBeNull();
  });
});

describe('the last critical alert', () => {
  it('is the newest alert event of level critical, with its time; warnings, errors and recoveries are not', () => {
    const alerts = log([
      { type: 'alert', level: 'critical', message: 'recovery gave up: 11 errors in a row' },
      { type: 'command', name: 'continue', source: 'cli' },
      { type: 'alert', level: 'critical', message: 'authentication on agent-1: Invalid API key · Please run /login — paused' },
      { type: 'alert', level: 'warning', message: 'checkpoint_002 is invalid' },
      { type: 'error', agent: 'agent-2', class: 'network_timeout', severity: 'fatal', message: 'ETIMEDOUT' },
      { type: 'recovery', agent: 'agent-2', action: 'stop', attempt: 1, outcome: 'gave_up', detail: 'x' },
    ]);
    const state = foldEvents(initialRunState(), alerts);
    const critical = alerts.filter((e) => e.type === 'alert' && e.level === 'critical').at(-1)!;
    expect(lastCriticalAlert(state)).toEqual({ ts: critical.ts, message: (critical as Extract<MegatestEvent, { type: 'alert' }>).message });
    expect(lastCriticalAlert(foldEvents(initialRunState(), events))).toBeNull();
  });
});

describe('recoveries under way', () => {
  it('are those started and not yet ended, with what each said it does', () => {
    const recoveries = log([
      { type: 'recovery', agent: 'agent-1', action: 'retry_with_backoff', attempt: 1, outcome: 'started', detail: 'rate_limit: waiting 2h 5m 10s for the usage limit to lift (2026-12-05 13:53 UTC) before retry 1' },
      { type: 'recovery', agent: 'agent-2', action: 'retry_immediate', attempt: 1, outcome: 'started', detail: 'network_timeout: retry 1' },
      { type: 'recovery', agent: 'agent-2', action: 'retry_immediate', attempt: 1, outcome: 'succeeded', detail: 'agent-2 made progress after network_timeout' },
      { type: 'recovery', agent: 'agent-2', action: 'restore_checkpoint', attempt: 1, outcome: 'started' },
    ]);
    const state = foldEvents(initialRunState(), recoveries);
    const started = (index: number) => recoveries[index] as Extract<MegatestEvent, { type: 'recovery' }>;
    expect(recoveriesUnderWay(state)).toEqual([
      { agent: 'agent-1', action: 'retry_with_backoff', attempt: 1, since: started(0).ts, detail: started(0).detail },
      { agent: 'agent-2', action: 'restore_checkpoint', attempt: 1, since: started(3).ts, detail: null },
    ]);
    expect(recoveriesUnderWay(foldEvents(initialRunState(), events))).toEqual([]);
  });
});
