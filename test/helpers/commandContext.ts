// The EngineContext the checkpoint keeper and the control surface use, for
// tests of how a person's commands meet a checkpoint or a restore: the real
// serial queue, a given checkpoint store, and every event recorded, with a
// short form of each in `order` ("command pause", "checkpoint_created");
// a gate that holds the long work, and a check that a command was answered
// meanwhile.

import type { CheckpointStore } from '../../src/checkpoint/store.js';
import type { EventInput } from '../../src/contract/events.js';
import type { EngineContext } from '../../src/engine/context.js';
import { SerialQueue } from '../../src/engine/serialQueue.js';

export function commandContext(options: { name: string; project: string; store: CheckpointStore; status?: EngineContext['status'] }): {
  ctx: EngineContext;
  order: string[];
  events: EventInput[];
} {
  const order: string[] = [];
  const events: EventInput[] = [];
  const ctx = {
    store: options.store,
    queue: new SerialQueue(),
    paths: { project: options.project },
    status: options.status ?? 'running',
    stopRequest: null,
    restoreGeneration: 0,
    restoreUnderWay: null,
    info: { session_id: options.name },
    currentPhase: { name: 'development' },
    phaseIndex: 1,
    completedTasks: () => [],
    events: { flush: () => undefined, lastSeq: 3 },
    state: { counters: { toolCalls: 0, totalTokens: 0 }, phaseEnded: false, phases: [], checkpoints: [], measured: { linesOfCode: 1, testPassRate: 1, lastBuildOk: true } },
    scheduleMs: () => 60_000,
    setStatus: (status: string) => void (ctx.status = status as EngineContext['status']),
    emit: (event: EventInput) => {
      events.push(event);
      order.push(event.type === 'command' ? `${event.type} ${(event as { name: string }).name}` : event.type);
      return event;
    },
    requestStop: (request: { reason: string }) => void (ctx.stopRequest = request as unknown as EngineContext['stopRequest']),
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
  } as unknown as EngineContext;
  return { ctx, order, events };
}

/** A promise the test opens: the store's or the pool's long work waits on it. */
export function gate(): { open: () => void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/**
 * The promise's outcome if it settled within a turn of the event loop: these
 * commands make no I/O of their own, so one let in is answered by then. One
 * left waiting behind the held work fails here, at once, rather than at the
 * test's timeout.
 */
export async function answeredNow<T>(promise: Promise<T>, during: string): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => (settled = true));
  watched.catch(() => undefined);
  await new Promise((resolve) => setImmediate(resolve));
  if (!settled) throw new Error(`not answered while ${during}`);
  return watched;
}
