// A ReplaySource over events held in memory, folded with foldAll from
// scratch at every cursor: slow and obviously right. The replay console's
// tests (golden frames, keys, play) use it, so they do not depend on the
// seek index behind the real source (src/replay/source.ts).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEventLine, type MegatestEvent } from '../../src/contract/events.js';
import type { ReplayDamage, ReplaySource, TimelineMark } from '../../src/replay/types.js';
import { foldAll } from '../../src/state/fold.js';
import type { RunState } from '../../src/state/runState.js';

export const EVENTS_FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/events');

export function loadFixtureEvents(file: string): MegatestEvent[] {
  return readFileSync(path.join(EVENTS_FIXTURES, file), 'utf8')
    .split('\n')
    .map(parseEventLine)
    .filter((e): e is MegatestEvent => e !== null);
}

export function loadFixtureLog(file: string): string[] {
  return readFileSync(path.join(EVENTS_FIXTURES, file), 'utf8')
    .split('\n')
    .filter((l) => l !== '');
}

const ms = (event: MegatestEvent) => Date.parse(event.ts);

function markOf(event: MegatestEvent, index: number): TimelineMark | null {
  const at = { index, seq: event.seq, atMs: ms(event) };
  switch (event.type) {
    case 'checkpoint_created':
      return { ...at, kind: 'checkpoint', label: event.id };
    case 'checkpoint_restored':
      return { ...at, kind: 'restore', label: event.id };
    case 'error':
      return { ...at, kind: 'error', label: event.message };
    case 'recovery':
      return { ...at, kind: 'recovery', label: event.action };
    default:
      return null;
  }
}

export interface MemorySource extends ReplaySource {
  /** Events a run still going writes: seen after the next refresh(). */
  append(events: readonly MegatestEvent[], logLines?: readonly string[]): void;
  /** Calls made, by method name (to check that a step folds forward instead of asking stateAt). */
  calls: Record<string, number>;
}

export function memorySource(initial: readonly MegatestEvent[], options: { logLines?: readonly string[]; damage?: ReplayDamage[]; runDir?: string } = {}): MemorySource {
  const events = [...initial];
  const log = [...(options.logLines ?? [])];
  const pending: MegatestEvent[] = [];
  const pendingLog: string[] = [];
  const calls: Record<string, number> = {};
  const count = (name: string) => (calls[name] = (calls[name] ?? 0) + 1);
  const logMs = (line: string) => Date.parse(line.split(' ')[0]!);
  return {
    runDir: options.runDir ?? 'memory',
    legacy: false,
    calls,
    count: () => events.length,
    startMs: () => (events.length === 0 ? 0 : ms(events[0]!)),
    endMs: () => events.reduce((max, e) => Math.max(max, ms(e)), 0),
    marks: () => events.map(markOf).filter((m): m is TimelineMark => m !== null),
    damage: () => options.damage ?? [],
    async stateAt(cursor: number): Promise<RunState> {
      count('stateAt');
      return foldAll(events.slice(0, Math.max(0, cursor)));
    },
    async eventAt(index: number) {
      count('eventAt');
      return events[index];
    },
    async cursorOfSeq(seq: number) {
      let cursor = 0;
      events.forEach((e, i) => {
        if (e.seq <= seq) cursor = i + 1;
      });
      return cursor;
    },
    async cursorAtMs(at: number) {
      let cursor = 0;
      events.forEach((e, i) => {
        if (ms(e) <= at) cursor = i + 1;
      });
      return cursor;
    },
    async logLinesAt(at: number, n: number) {
      // A line without a time of its own (a stack trace, raw agent output) belongs to the line before it.
      let end = 0;
      let lastMs = -Infinity;
      log.forEach((line, i) => {
        const t = logMs(line);
        if (Number.isFinite(t)) lastMs = t;
        if (lastMs <= at) end = i + 1;
      });
      return log.slice(Math.max(0, end - n), end);
    },
    async refresh() {
      count('refresh');
      events.push(...pending.splice(0));
      log.push(...pendingLog.splice(0));
    },
    async close() {},
    append(more, lines = []) {
      pending.push(...more);
      pendingLog.push(...lines);
    },
  };
}
