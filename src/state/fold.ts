// The one fold: events.jsonl → RunState (DESIGN §1). Every view of a run
// (the orchestrator's live metrics, status, the report, the live console,
// replay) is a reading of its result, so they agree by construction.
// foldEvent (reduce.ts) takes one event; foldEvents takes a batch and gives
// the same state at a fraction of the cost.

import type { MegatestEvent } from '../contract/events.js';
import { addTokens, msOf, updateAgent } from './foldParts.js';
import { foldEvent } from './reduce.js';
import { elapsedMsAt, initialRunState, type ModelUsage, type RunState } from './runState.js';

export { foldEvent } from './reduce.js';

/** Counters a run of tool_call and tokens events adds to one agent. */
interface AgentCounts {
  tokens: number;
  toolCalls: number;
  failedToolCalls: number;
  model: string;
  /** First and last event times: a new agent starts at its first. */
  firstMs: number;
  lastMs: number;
}

/**
 * The same fold as foldEvent over each event in turn, but a batch costs one
 * copy of the state, not one per event: under load almost every event is a
 * tool_call or tokens counter. Runs of those two are summed per agent and
 * written once; any other event first writes the sums, then goes through
 * foldEvent.
 */
export function foldEvents<S extends RunState>(state: S, events: readonly MegatestEvent[]): S {
  let next: RunState = state;
  const counts = new Map<string, AgentCounts>();
  let tokens = { total: 0, input: 0, output: 0 };
  let toolCalls = { total: 0, failed: 0 };
  let window = next.tokenWindow;
  // Per-model sums: a copy owned by this batch, added to event by event in
  // order (so a cost sums to exactly the float that folding one by one gives).
  let byModel: Record<string, ModelUsage> | null = null;
  const ownModels = new Set<string>();
  const addUsage = (model: string, input: number, output: number, costUsd: number | undefined): void => {
    byModel ??= { ...next.counters.byModel };
    let usage = byModel[model];
    if (!ownModels.has(model)) {
      usage = { ...(usage ?? { input: 0, output: 0, costUsd: null }) };
      byModel[model] = usage;
      ownModels.add(model);
    }
    usage!.input += input;
    usage!.output += output;
    if (costUsd !== undefined && Number.isFinite(costUsd)) usage!.costUsd = (usage!.costUsd ?? 0) + costUsd;
  };
  let lastSeq = state.lastSeq;
  let lastEventTs = state.lastEventTs;
  let firstSeq = state.firstSeq;
  let gaps = 0;
  let counted = 0;
  const writeCounts = () => {
    if (counted === 0) return;
    let agents = next.agents;
    for (const [name, add] of counts) {
      agents = updateAgent(agents, name, add.firstMs, (a) => ({
        ...a,
        tokens: a.tokens + add.tokens,
        toolCalls: a.toolCalls + add.toolCalls,
        failedToolCalls: a.failedToolCalls + add.failedToolCalls,
        model: add.model || a.model,
        lastActivityMs: Math.max(a.lastActivityMs, add.lastMs),
      }));
    }
    const c = next.counters;
    next = {
      ...next,
      agents,
      counters: {
        ...c,
        totalTokens: c.totalTokens + tokens.total,
        inputTokens: c.inputTokens + tokens.input,
        outputTokens: c.outputTokens + tokens.output,
        toolCalls: c.toolCalls + toolCalls.total,
        toolCallsFailed: c.toolCallsFailed + toolCalls.failed,
        byModel: byModel ?? c.byModel,
      },
      tokenWindow: window,
      firstSeq,
      lastSeq,
      lastEventTs,
      seqGaps: next.seqGaps + gaps,
      eventsApplied: next.eventsApplied + counted,
    };
    counts.clear();
    byModel = null;
    ownModels.clear();
    tokens = { total: 0, input: 0, output: 0 };
    toolCalls = { total: 0, failed: 0 };
    gaps = 0;
    counted = 0;
  };
  for (const event of events) {
    if (event.type !== 'tool_call' && event.type !== 'tokens') {
      writeCounts();
      next = foldEvent(next, event);
      lastSeq = next.lastSeq;
      lastEventTs = next.lastEventTs;
      firstSeq = next.firstSeq;
      window = next.tokenWindow;
      continue;
    }
    if (event.seq <= lastSeq) continue;
    if (lastSeq > 0 && event.seq !== lastSeq + 1) gaps += 1;
    firstSeq ??= event.seq;
    lastSeq = event.seq;
    lastEventTs = event.ts;
    counted += 1;
    const ms = msOf(event.ts);
    let add = counts.get(event.agent);
    if (add === undefined) {
      add = { tokens: 0, toolCalls: 0, failedToolCalls: 0, model: '', firstMs: ms, lastMs: ms };
      counts.set(event.agent, add);
    }
    add.lastMs = Math.max(add.lastMs, ms);
    if (event.type === 'tool_call') {
      add.toolCalls += 1;
      toolCalls.total += 1;
      if (!event.ok) {
        add.failedToolCalls += 1;
        toolCalls.failed += 1;
      }
    } else {
      const spent = event.input + event.output;
      add.tokens += spent;
      tokens.total += spent;
      tokens.input += event.input;
      tokens.output += event.output;
      if (event.model) add.model = event.model;
      addUsage(event.model, event.input, event.output, event.cost_usd);
      window = addTokens(window, Math.floor(ms / 1000), spent);
    }
  }
  writeCounts();
  return next as S;
}

export function foldAll(events: readonly MegatestEvent[]): RunState {
  return foldEvents(initialRunState(), events);
}

/** Elapsed active ms the state reached by its last event (for a run nobody is running now). */
export function elapsedMsAtLastEvent(state: RunState): number {
  return elapsedMsAt(state, state.lastEventTs === null ? 0 : msOf(state.lastEventTs));
}
