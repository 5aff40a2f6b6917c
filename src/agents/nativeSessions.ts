// Each task's native session (a Claude session id, a Codex thread id, a
// selfware checkpoint id) and the tokens megatest counted under it, so a
// checkpoint can resume the task natively and Codex's cumulative usage is
// counted from where megatest left off. Kept only for tasks not yet done.

import type { CommandOutcome } from './types.js';
import { countOf } from '../state/groupDigits.js';

interface SessionRecord {
  id: string | null;
  input: number;
  output: number;
}

export interface NativeSession {
  id: string;
  input: number;
  output: number;
}

const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0);

export class NativeSessions {
  private readonly byObjective = new Map<string, SessionRecord>();

  /** Reads AgentResumeState.native.sessions back, skipping anything malformed (a checkpoint from any version). */
  static fromResume(native: Record<string, unknown> | undefined): NativeSessions {
    const sessions = new NativeSessions();
    const recorded = native?.sessions;
    if (recorded === null || typeof recorded !== 'object' || Array.isArray(recorded)) return sessions;
    for (const [objective, value] of Object.entries(recorded as Record<string, unknown>)) {
      if (value === null || typeof value !== 'object') continue;
      const record = value as Record<string, unknown>;
      if (typeof record.id !== 'string' || record.id === '') continue;
      sessions.byObjective.set(objective, { id: record.id, input: count(record.input), output: count(record.output) });
    }
    return sessions;
  }

  get(objective: string): NativeSession | undefined {
    const record = this.byObjective.get(objective);
    return record?.id ? { id: record.id, input: record.input, output: record.output } : undefined;
  }

  /** A run of the task begins: resuming `session` counts on from it, otherwise a new session starts at zero. */
  begin(objective: string, session: NativeSession | undefined): { input: number; output: number } {
    const record: SessionRecord = session ? { ...session } : { id: null, input: 0, output: 0 };
    this.byObjective.set(objective, record);
    return { input: record.input, output: record.output };
  }

  attach(objective: string, id: string): void {
    const record = this.byObjective.get(objective);
    if (record) record.id = id;
    else this.byObjective.set(objective, { id, input: 0, output: 0 });
  }

  count(objective: string, input: number, output: number): void {
    const record = this.byObjective.get(objective);
    if (!record) return;
    record.input += count(input);
    record.output += count(output);
  }

  forget(objective: string): void {
    this.byObjective.delete(objective);
  }

  /** The tasks that have a session recorded. */
  objectives(): string[] {
    return [...this.byObjective.entries()].flatMap(([objective, r]) => (r.id ? [objective] : []));
  }

  ids(): string[] {
    return [...this.byObjective.values()].flatMap((r) => (r.id ? [r.id] : []));
  }

  /** For AgentResumeState.native: the sessions of the tasks still to do; undefined when there are none. */
  toNative(pending: string[]): Record<string, unknown> | undefined {
    const sessions: Record<string, NativeSession> = {};
    for (const objective of pending) {
      const session = this.get(objective);
      if (session) sessions[objective] = session;
    }
    return Object.keys(sessions).length > 0 ? { sessions } : undefined;
  }
}

/**
 * How a launch with a resume state was taken: its tasks' sessions continue natively, or they start afresh (and why).
 * `outlived`: the sessions a restore left out, and why (they went on after its checkpoint, or could not be told of
 * it: cliTaskAdapter.ts).
 */
export function describeResume(
  kind: string,
  nativeResume: boolean,
  sessions: NativeSessions,
  book: { remaining(): string[]; completed: readonly string[] },
  outlived?: { checkpoint: string; ids: string[]; why: string },
): CommandOutcome {
  const left = book.remaining().length;
  const done = book.completed.length;
  if (nativeResume && outlived !== undefined && outlived.ids.length > 0) {
    const n = outlived.ids.length;
    return {
      ok: true,
      detail: `restored to ${outlived.checkpoint}: ${countOf(n, 'task session')} (${outlived.ids.join(', ')}) ${outlived.why}, so ${n === 1 ? 'it is' : 'they are'} not resumed: ${left === 1 ? 'its remaining task starts' : `its ${left} remaining tasks start`} on a fresh context, told of the restore; ${countOf(done, 'task')} already done`,
    };
  }
  const native = nativeResume ? sessions.ids() : [];
  if (native.length > 0) {
    return { ok: true, detail: `native: ${countOf(native.length, 'task session')} ${native.length === 1 ? 'continues' : 'continue'} (${native.join(', ')}); ${countOf(done, 'task')} already done` };
  }
  const why = nativeResume ? 'no native session was recorded' : `${kind} cannot resume a session`;
  return { ok: false, reason: `${why}: its ${left === 1 ? 'remaining task starts' : `${left} remaining tasks start`} afresh (megatest's state keeps the ${done} done)` };
}
