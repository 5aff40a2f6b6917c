// Test-side helpers for the seek index tests: temp run folders written from
// event lists or raw lines, random synthetic logs, and naive oracles that
// read cursors and log lines straight off the lists (no code shared with
// src/replay).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parseEventLine, type MegatestEvent } from '../../src/contract/events.js';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/events');

export function fixtureLines(file: 'restore_session.jsonl' | 'sim_session.jsonl'): string[] {
  return readFileSync(path.join(FIXTURES, file), 'utf8').split('\n').filter((line) => line !== '');
}

export function eventsOf(lines: readonly string[]): MegatestEvent[] {
  return lines.map(parseEventLine).filter((e): e is MegatestEvent => e !== null);
}

const made: string[] = [];

export function tempRunDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'megatest-replay-'));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A run folder whose events.jsonl is exactly `text`. */
export function runDirWith(text: string, sessionLog?: string): string {
  const dir = tempRunDir();
  writeFileSync(path.join(dir, 'events.jsonl'), text);
  if (sessionLog !== undefined) writeFileSync(path.join(dir, 'session.log'), sessionLog);
  return dir;
}

export const linesText = (lines: readonly string[]) => lines.map((line) => `${line}\n`).join('');

/** The largest cursor whose events all have key <= value (the running maximum; unreadable keys are skipped). */
export function naivePrefixCursor(keys: readonly number[], value: number): number {
  let max = -Infinity;
  for (let c = 0; c < keys.length; c++) {
    if (Number.isNaN(keys[c]!)) continue;
    max = Math.max(max, keys[c]!);
    if (max > value) return c;
  }
  return keys.length;
}

// ------------------------------------------------------------ synthetic logs

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const AGENTS = ['agent-1', 'agent-2', 'agent-3'];
const TASKS = ['t1', 't2', 't3', 't4'];
type Body = Record<string, unknown> & { type: string };

const agent = fc.constantFrom(...AGENTS);
const bodyArb: fc.Arbitrary<Body> = fc.oneof(
  { arbitrary: fc.record({ type: fc.constant('tool_call'), agent, tool: fc.constant('write'), ok: fc.boolean(), duration_ms: fc.nat(100) }), weight: 6 },
  { arbitrary: fc.record({ type: fc.constant('tokens'), agent, input: fc.nat(500), output: fc.nat(500), model: fc.constantFrom('', 'm1') }), weight: 6 },
  { arbitrary: fc.record({ type: fc.constant('agent_state'), agent, status: fc.constantFrom('working', 'idle'), task: fc.constantFrom(...TASKS) }), weight: 2 },
  { arbitrary: fc.record({ type: fc.constant('task_completed'), agent, task: fc.constantFrom(...TASKS), phase: fc.constant('p0') }), weight: 1 },
  { arbitrary: fc.record({ type: fc.constant('phase_started'), phase: fc.constantFrom('p0', 'p1'), index: fc.constantFrom(0, 1), duration_seconds: fc.constant(60), tasks: fc.constant(TASKS) }), weight: 1 },
  { arbitrary: fc.record({ type: fc.constant('checkpoint_created'), id: fc.constantFrom('cp1', 'cp2', 'cp3'), trigger: fc.constant('forced'), files: fc.nat(9), bytes: fc.nat(999), ms: fc.nat(99), phase: fc.constant('p0') }), weight: 1 },
  { arbitrary: fc.record({ type: fc.constant('checkpoint_restored'), id: fc.constantFrom('cp1', 'cp2', 'lost'), rolled_back_after_seq: fc.nat(30), ms: fc.nat(99) }), weight: 1 },
  { arbitrary: fc.record({ type: fc.constant('error'), class: fc.constantFrom('tool_failure', 'agent_crash'), severity: fc.constant('transient'), message: fc.constantFrom('x', '§ sign', 'ünïcode ✓') }), weight: 1 },
  { arbitrary: fc.record({ type: fc.constant('recovery'), action: fc.constant('retry'), attempt: fc.nat(3), outcome: fc.constantFrom('started', 'succeeded') }), weight: 1 },
  { arbitrary: fc.record({ type: fc.constant('command'), name: fc.constantFrom('pause', 'continue'), source: fc.constant('key') }), weight: 1 },
);

/** session_started, then events with seq steps of 1 (sometimes 2 or 0) and time steps that sometimes go back. */
export const logArb = (maxLength: number): fc.Arbitrary<MegatestEvent[]> =>
  fc.array(fc.tuple(bodyArb, fc.constantFrom(1, 1, 1, 1, 1, 2, 0), fc.integer({ min: -300, max: 4000 })), { maxLength }).map((items) => {
    const log = [
      {
        seq: 1,
        ts: new Date(T0).toISOString(),
        type: 'session_started',
        session_id: 's',
        project: 'p',
        project_name: 'P',
        agent_kind: 'sim',
        simulated: true,
        agents: 3,
        duration_seconds: 120,
        phases: [
          { name: 'p0', duration_seconds: 60, tasks: TASKS.slice(0, 2) },
          { name: 'p1', duration_seconds: 60, tasks: TASKS.slice(2) },
        ],
        megatest_version: 't',
      } as MegatestEvent,
    ];
    let seq = 1;
    let ms = T0;
    for (const [body, dSeq, dMs] of items) {
      seq += dSeq;
      ms = Math.max(T0, ms + dMs);
      log.push({ ...body, seq, ts: new Date(ms).toISOString() } as unknown as MegatestEvent);
    }
    return log;
  });

/** A long plain log (tool calls, tokens, a checkpoint and an error now and then), for size and memory tests. */
export function longLog(count: number): MegatestEvent[] {
  const events: MegatestEvent[] = [];
  for (let i = 1; i <= count; i++) {
    const ts = new Date(T0 + i * 250).toISOString();
    const who = AGENTS[i % AGENTS.length]!;
    if (i % 997 === 0) events.push({ seq: i, ts, type: 'checkpoint_created', id: `cp${i}`, trigger: 'time', files: 3, bytes: 10, ms: 5, phase: 'p0' });
    else if (i % 503 === 0) events.push({ seq: i, ts, type: 'error', class: 'tool_failure', severity: 'transient', agent: who, message: `e${i}` });
    else if (i % 2 === 0) events.push({ seq: i, ts, type: 'tool_call', agent: who, tool: 'edit', ok: i % 7 !== 0, duration_ms: i % 90 });
    else events.push({ seq: i, ts, type: 'tokens', agent: who, input: i % 400, output: i % 90, model: 'm' });
  }
  return events;
}
