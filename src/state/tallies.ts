// Readings of the fold about agents and models: what each agent can do when
// asked, which model did which tasks with its tokens and cost, the last
// critical alert and the recoveries under way (status, the control API and
// the report read these; nothing else counts them).

import type { AgentCapabilities } from '../contract/events.js';
import type { RunState } from './runState.js';

/** What each agent can do when asked, by name (agents whose agent_started carried no capabilities are left out). */
export function capabilitiesByAgent(state: RunState): Record<string, AgentCapabilities> {
  const result: Record<string, AgentCapabilities> = {};
  for (const agent of state.agents) if (agent.capabilities) result[agent.name] = agent.capabilities;
  return result;
}

/**
 * The newest critical alert (a recovery that gave up, an agent that is not
 * logged in, the disk): why a run is paused, or what last went badly wrong.
 */
export function lastCriticalAlert(state: RunState): { ts: string; message: string } | null {
  for (let i = state.alerts.length - 1; i >= 0; i -= 1) {
    const alert = state.alerts[i]!;
    if (alert.kind === 'alert' && alert.tone === 'critical') return { ts: alert.ts, message: alert.text };
  }
  return null;
}

/** A recovery started and not yet ended, as status shows it: why an agent waits (a usage limit, a backoff) or what is being done about it. */
export interface RecoveryUnderWay {
  agent: string | null;
  action: string;
  attempt: number;
  since: string;
  detail: string | null;
}

export function recoveriesUnderWay(state: RunState): RecoveryUnderWay[] {
  return state.openRecoveries.map((open) => ({ agent: open.agent, action: open.action, attempt: open.attempt, since: open.ts, detail: open.detail ?? null }));
}

export interface ModelTally {
  model: string;
  /** Tasks completed (and still in effect) by agents on this model. */
  tasks: string[];
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
}

/** Which model did which tasks, with its tokens and cost: every model seen in a tokens event or a completed task. */
export function modelTallies(state: RunState): ModelTally[] {
  const byName = new Map<string, ModelTally>();
  const tally = (model: string): ModelTally => {
    let entry = byName.get(model);
    if (!entry) {
      entry = { model, tasks: [], inputTokens: 0, outputTokens: 0, costUsd: null };
      byName.set(model, entry);
    }
    return entry;
  };
  for (const [model, usage] of Object.entries(state.counters.byModel)) {
    const entry = tally(model);
    entry.inputTokens = usage.input;
    entry.outputTokens = usage.output;
    entry.costUsd = usage.costUsd;
  }
  for (const done of state.tasksDone) tally(done.model ?? '').tasks.push(done.task);
  return [...byName.values()];
}

/** What the agents said the run cost, over every model; null when none of them reported a cost (not $0). */
export function reportedCostUsd(state: RunState): number | null {
  let total: number | null = null;
  for (const usage of Object.values(state.counters.byModel)) if (usage.costUsd !== null) total = (total ?? 0) + usage.costUsd;
  return total;
}
