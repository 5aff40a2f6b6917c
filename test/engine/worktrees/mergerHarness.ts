// A stand-in for the engine context and agent pool around a real Merger on
// temp repositories (merger.test.ts, conflictKinds.test.ts): events, log
// lines, conflicts reported, merges landed and tasks assigned are recorded;
// background jobs run on a real serial queue.

import { afterEach } from 'vitest';
import type { AgentPool, AgentSlot } from '../../../src/engine/agentPool.js';
import type { EngineContext } from '../../../src/engine/context.js';
import { Merger } from '../../../src/engine/merger.js';
import { SerialQueue } from '../../../src/engine/serialQueue.js';
import { Worktrees } from '../../../src/engine/worktrees.js';
import { tempRun, type TempRun } from './gitRepo.js';

export interface Recorded {
  events: { type: string; agent?: string; task?: string; [key: string]: unknown }[];
  logs: string[];
  conflicts: { agent: string; message: string }[];
  merged: { agent: string; tasks: string[] }[];
  /** Merges whose retries were spent, as handed to the recovery (class merge_failed). */
  failed: { agent: string; message: string }[];
  assigned: { agent: string; objectives: string[]; note?: string }[];
}

let run: TempRun | undefined;
afterEach(() => {
  run?.remove();
  run = undefined;
});

export function setUp(agents = ['agent-1', 'agent-2', 'agent-3'], options: { retryDelayMs?: number } = {}) {
  run = tempRun();
  const wt = new Worktrees(run.project, run.worktrees);
  const done = new Set<string>();
  const seen: Recorded = { events: [], logs: [], conflicts: [], merged: [], failed: [], assigned: [] };
  const queue = new SerialQueue();
  const waiters: Array<() => boolean> = [];
  const ctx = {
    queue,
    restoreGeneration: 0,
    stopRequest: null as { status: string; reason: string; exitCode: number } | null,
    currentPhase: { name: 'development' },
    completedTasks: () => new Set(done),
    emit: (event: Recorded['events'][number]) => {
      seen.events.push(event);
      if (event.type === 'task_completed') done.add(event.task!);
      for (const waiter of waiters.splice(0)) if (!waiter()) waiters.push(waiter);
    },
    background: (job: () => Promise<unknown>) => void queue.run(job).catch((e: Error) => seen.logs.push(`internal: ${e.message}`)),
    log: {
      info: (_s: string, m: string) => seen.logs.push(`INFO ${m}`),
      warn: (_s: string, m: string) => seen.logs.push(`WARN ${m}`),
      error: (_s: string, m: string) => seen.logs.push(`ERROR ${m}`),
    },
  };
  const slots = agents.map((name, index) => ({ name, index, objectives: [] as string[], assignedTasks: new Set<string>(), adapter: {} }) as unknown as AgentSlot);
  const pool = {
    slots,
    remainingOf: (slot: AgentSlot) => slot.objectives.filter((t) => !done.has(t)),
    assignRemaining: (slot: AgentSlot, note?: string) =>
      seen.assigned.push({ agent: slot.name, objectives: slot.objectives.filter((t) => !done.has(t)), ...(note === undefined ? {} : { note }) }),
  };
  const merger = new Merger(ctx as unknown as EngineContext, pool as unknown as AgentPool, wt, {
    onConflict: async (slot, message) => void seen.conflicts.push({ agent: slot.name, message }),
    onMerged: (slot, tasks) => void seen.merged.push({ agent: slot.name, tasks }),
    onFailed: async (slot, message) => {
      seen.failed.push({ agent: slot.name, message });
      // As the recovery records it (Recovery.onMergeFailed): tests wait on it as on any event.
      ctx.emit({ type: 'error', class: 'merge_failed', agent: slot.name, message });
    },
  }, options.retryDelayMs);
  /** Every job queued so far (and those they queue) has run. */
  const settle = async () => {
    for (let i = 0; i < 3; i++) await queue.run(async () => undefined);
  };
  /** Resolves once an event makes `ready` true (the test's own timeout bounds the wait). */
  const until = (ready: () => boolean) =>
    new Promise<void>((resolve) => {
      if (ready()) return resolve();
      waiters.push(() => {
        if (!ready()) return false;
        resolve();
        return true;
      });
    });
  return { run, wt, ctx, slots, merger, seen, settle, until, done };
}

export const completed = (seen: Recorded) => seen.events.filter((e) => e.type === 'task_completed').map((e) => `${e.agent}:${e.task}`);

