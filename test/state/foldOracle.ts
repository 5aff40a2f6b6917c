// Test-side helpers for the fold tests: load a recorded events.jsonl, and an
// independent, deliberately naive "oracle" that reads the expected figures
// straight off the log. The oracle shares no code with src/state: it walks
// the events once, keeps plain variables, and copies the few rolled-back
// fields at each checkpoint_created so that a checkpoint_restored can put
// them back (the contract in DESIGN §1 / src/state/reduce.ts header).
// Golden values in the tests come from here, never from the fold's output.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEventLine, type MegatestEvent } from '../../src/contract/events.js';

const FIXTURE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/events');

export function loadEvents(file: 'restore_session.jsonl' | 'sim_session.jsonl'): MegatestEvent[] {
  return readFileSync(path.join(FIXTURE_DIR, file), 'utf8')
    .split('\n')
    .map(parseEventLine)
    .filter((e): e is MegatestEvent => e !== null);
}

export const msOfTs = (ts: string): number => Date.parse(ts);

export function upTo(events: readonly MegatestEvent[], seq: number): MegatestEvent[] {
  return events.filter((e) => e.seq <= seq);
}

export interface Expected {
  phase: string | null;
  phaseEnded: boolean;
  tasksDone: number;
  tasksTotal: number;
  tasksRemaining: number;
  linesOfCode: number | null;
  passRate: number | null;
  tokens: number;
  inputTokens: number;
  outputTokens: number;
  toolCalls: number;
  errors: number;
  checkpoints: number;
  restores: number;
  /** Session ended's status, else the last snapshot's (or starting/running before one), or a pause's or continue's since it. */
  status: string | null;
  /** Active ms at the last event's own time. */
  elapsedMs: number;
}

/** The part a restore puts back, as the oracle keeps it. */
interface Rolled {
  phase: string | null;
  phaseEnded: boolean;
  done: Set<string>;
  planTasks: string[][];
  linesOfCode: number | null;
  passRate: number | null;
}

const copyRolled = (r: Rolled): Rolled => ({ ...r, done: new Set(r.done), planTasks: r.planTasks.map((t) => [...t]) });

/** Expected figures after every event with seq <= `seq` (default: all). */
export function expectedAt(events: readonly MegatestEvent[], seq = Infinity): Expected {
  let rolled: Rolled = { phase: null, phaseEnded: false, done: new Set(), planTasks: [], linesOfCode: null, passRate: null };
  const saved = new Map<string, Rolled>();
  let tokens = 0;
  let inputTokens = 0;
  let outputTokens = 0;
  let toolCalls = 0;
  let errors = 0;
  let checkpoints = 0;
  let restores = 0;
  let status: string | null = null;
  // Clock: add the wall gap since the previous event while the clock runs.
  let running = false;
  let elapsedMs = 0;
  let prevMs: number | null = null;
  for (const e of events) {
    if (e.seq > seq) break;
    const ms = msOfTs(e.ts);
    const resumeAfterCrash = e.type === 'command' && e.name === 'resume' && e.source === 'cli';
    if (running && prevMs !== null && !resumeAfterCrash) elapsedMs += ms - prevMs;
    prevMs = ms;
    switch (e.type) {
      case 'session_started':
        running = true;
        status ??= 'starting';
        rolled.planTasks = e.phases.map((p) => [...(p.tasks ?? [])]);
        break;
      case 'phase_started':
        rolled.phase = e.phase;
        rolled.phaseEnded = false;
        // A phase under way means the session runs, until a snapshot says otherwise.
        if (status === 'starting' || status === 'recovering') status = 'running';
        rolled.planTasks[e.index] = [...e.tasks];
        break;
      case 'phase_ended':
        rolled.phaseEnded = true;
        break;
      case 'task_completed':
        rolled.done.add(e.task);
        break;
      case 'metrics':
        rolled.linesOfCode = e.metrics.lines_of_code;
        if (status === null || !['completed', 'failed', 'interrupted', 'timeout'].includes(status)) status = e.metrics.status;
        break;
      case 'test_run':
        rolled.passRate = e.passed + e.failed > 0 ? e.passed / (e.passed + e.failed) : null;
        break;
      case 'tokens':
        tokens += e.input + e.output;
        inputTokens += e.input;
        outputTokens += e.output;
        break;
      case 'tool_call':
        toolCalls += 1;
        break;
      case 'error':
        errors += 1;
        break;
      case 'checkpoint_created':
        checkpoints += 1;
        // The keeper records the latest count, which a phase gate may have made after the last snapshot.
        if (e.lines_of_code !== undefined) rolled.linesOfCode = e.lines_of_code;
        saved.set(e.id, copyRolled(rolled));
        break;
      case 'checkpoint_restored': {
        restores += 1;
        const back = saved.get(e.id);
        if (!back) throw new Error(`oracle: restore of unknown ${e.id}`);
        rolled = copyRolled(back);
        // A restore leaves a paused session paused; otherwise it runs again.
        if (status !== 'paused') status = 'running';
        break;
      }
      case 'command':
        if (e.name === 'pause') running = false;
        if (e.name === 'continue' || resumeAfterCrash) running = true;
        // A pause or continue changes a running or paused session's status at once.
        if (e.name === 'pause' && status === 'running') status = 'paused';
        if (e.name === 'continue' && status === 'paused') status = 'running';
        break;
      case 'session_ended':
        running = false;
        status = e.status;
        break;
      default:
        break;
    }
  }
  const all = new Set(rolled.planTasks.flat());
  let remaining = 0;
  for (const t of all) if (!rolled.done.has(t)) remaining += 1;
  return {
    phase: rolled.phase,
    phaseEnded: rolled.phaseEnded,
    tasksDone: rolled.done.size,
    tasksTotal: all.size,
    tasksRemaining: remaining,
    linesOfCode: rolled.linesOfCode,
    passRate: rolled.passRate,
    tokens,
    inputTokens,
    outputTokens,
    toolCalls,
    errors,
    checkpoints,
    restores,
    status,
    elapsedMs,
  };
}
