// One line saying what a control action did, from the orchestrator's
// answer: what `megatest pause` prints and what the console shows when `p`
// is pressed, the same words either way.

import { assertNever } from '../contract/assertNever.js';
import { countOf } from '../state/groupDigits.js';
import { count } from './statusView.js';

/** A count from the wire with its noun ("1 file", "2,048 bytes"); n/a for one the answer does not hold. */
function counted(n: unknown, noun: string): string {
  return typeof n === 'number' && Number.isFinite(n) ? countOf(n, noun) : `n/a ${noun}s`;
}

/** The actions a person can ask of a running session (from a shell or a key). */
export type ActionName = 'checkpoint' | 'compress' | 'pause' | 'continue' | 'stop' | 'restore';

/** One line saying what an action did, from the server's answer. */
export function describeActionResult(name: ActionName, result: unknown): string {
  const answer = (result ?? {}) as Record<string, any>;
  const event = (answer.event ?? {}) as Record<string, any>;
  switch (name) {
    case 'checkpoint':
      return event.type === 'checkpoint_created'
        ? `checkpoint ${event.id} created (${counted(event.files, 'file')}, ${counted(event.bytes, 'byte')}, ${event.ms} ms)`
        : 'checkpoint done';
    case 'compress': {
      const events: Record<string, any>[] = Array.isArray(answer.events) ? answer.events : [];
      const parts = events.map((e) =>
        e.type === 'compress' ? `${e.agent} ${count(e.tokens_before)} -> ${e.tokens_after === null ? 'not reported' : `${count(e.tokens_after)} tokens`}` : String(e.type ?? 'event'),
      );
      return `compressed ${countOf(events.length, 'agent')}${parts.length ? `: ${parts.join(', ')}` : ''}`;
    }
    case 'restore':
      return event.type === 'checkpoint_restored' ? `restored ${event.id} (${event.ms} ms)` : 'restore done';
    case 'pause':
      return 'paused';
    case 'continue':
      return 'continued';
    case 'stop':
      return 'stop requested; the session is ending';
    default:
      return assertNever(name, 'control command');
  }
}
