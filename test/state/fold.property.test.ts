// Properties every view relies on (DESIGN §1): the console tails the file in
// chunks of arbitrary size, replay seeks and re-folds, `status` folds the
// whole file at once. All of them must land on the same state, so:
//   - foldEvents (batched) == foldEvent one by one, for any chunking;
//   - splitting the log anywhere and folding the two parts == folding it whole;
//   - re-feeding events already applied (a tail re-reading) changes nothing.
// Checked on both recorded logs and on random synthetic logs (agents that
// appear without agent_started, seq gaps and repeats, pauses, restores).

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { CriterionResult, MegatestEvent } from '../../src/contract/events.js';
import { foldAll, foldEvent, foldEvents } from '../../src/state/fold.js';
import { initialRunState, type RunState } from '../../src/state/runState.js';
import { loadEvents } from './foldOracle.js';

type Step = { size: number; mode: 'one' | 'batch' };

/** Folds `events` into `state` chunk by chunk, cycling through `plan`. */
function foldWith(state: RunState, events: readonly MegatestEvent[], plan: readonly Step[]): RunState {
  let next = state;
  let i = 0;
  let p = 0;
  while (i < events.length) {
    const step = plan.length > 0 ? plan[p++ % plan.length]! : { size: events.length, mode: 'batch' as const };
    const chunk = events.slice(i, i + Math.max(1, step.size));
    next = step.mode === 'one' ? chunk.reduce(foldEvent, next) : foldEvents(next, chunk);
    i += chunk.length;
  }
  return next;
}

const oneByOne = (events: readonly MegatestEvent[], from: RunState = initialRunState()) => events.reduce(foldEvent, from);

const planArb = fc.array(fc.record({ size: fc.integer({ min: 1, max: 40 }), mode: fc.constantFrom<'one' | 'batch'>('one', 'batch') }), {
  minLength: 1,
  maxLength: 12,
});

const fixtures = [
  ['restore_session.jsonl', loadEvents('restore_session.jsonl')],
  ['sim_session.jsonl', loadEvents('sim_session.jsonl')],
] as const;

describe.each(fixtures)('fold of %s', (_name, events) => {
  const whole = foldAll(events);

  it('the batch fold equals folding one event at a time', () => {
    expect(oneByOne(events)).toStrictEqual(whole);
  });

  it('any split point, each side folded one by one, batched or mixed, gives the whole', () => {
    fc.assert(
      fc.property(fc.nat({ max: events.length }), planArb, planArb, (k, left, right) => {
        const head = foldWith(initialRunState(), events.slice(0, k), left);
        expect(foldWith(head, events.slice(k), right)).toStrictEqual(whole);
        // The plain two-call forms too.
        expect(foldEvents(foldEvents(initialRunState(), events.slice(0, k)), events.slice(k))).toStrictEqual(whole);
        expect(oneByOne(events.slice(k), foldEvents(initialRunState(), events.slice(0, k)))).toStrictEqual(whole);
      }),
      { numRuns: 150 },
    );
  });

  it('a random interleaving of batch boundaries over the whole log gives the same state', () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        expect(foldWith(initialRunState(), events, plan)).toStrictEqual(whole);
      }),
      { numRuns: 150 },
    );
  });

  it('re-feeding events already applied changes nothing (a tail re-reading the file)', () => {
    // Everything again: the very same state object comes back.
    expect(foldEvents(whole, events)).toBe(whole);
    expect(oneByOne(events, whole)).toBe(whole);
    fc.assert(
      fc.property(fc.nat({ max: events.length }), fc.nat({ max: events.length }), planArb, (a, b, plan) => {
        const k = Math.max(a, b);
        const j = Math.min(a, b);
        const prefix = foldAll(events.slice(0, k));
        // An old stretch again: no change.
        expect(foldWith(prefix, events.slice(j, k), plan)).toStrictEqual(prefix);
        // An overlapping re-read (from j, past k): the same as the whole log.
        expect(foldWith(prefix, events.slice(j), plan)).toStrictEqual(whole);
      }),
      { numRuns: 100 },
    );
  });
});

// ------------------------------------------------------- synthetic random logs

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const AGENTS = ['agent-1', 'agent-2', 'agent-3'];
const TASKS = ['t1', 't2', 't3', 't4'];

/** An event body without seq/ts; the log builder adds those. */
type Body = { [K in MegatestEvent['type']]: Omit<Extract<MegatestEvent, { type: K }>, 'seq' | 'ts'> }[MegatestEvent['type']];

const agentArb = fc.constantFrom(...AGENTS);
const bodyArb: fc.Arbitrary<Body> = fc.oneof(
  { arbitrary: fc.record({ type: fc.constant('tool_call' as const), agent: agentArb, tool: fc.constant('write'), ok: fc.boolean(), duration_ms: fc.nat(100) }), weight: 6 },
  {
    arbitrary: fc.record({ type: fc.constant('tokens' as const), agent: agentArb, input: fc.nat(500), output: fc.nat(500), model: fc.constantFrom('', 'm1', 'm2') }),
    weight: 6,
  },
  { arbitrary: fc.record({ type: fc.constant('agent_started' as const), agent: agentArb, role: fc.constantFrom('dev', 'qa') }), weight: 1 },
  {
    arbitrary: fc.record(
      { type: fc.constant('agent_state' as const), agent: agentArb, status: fc.constantFrom('working' as const, 'idle' as const, 'waiting' as const), task: fc.constantFrom(...TASKS) },
      { requiredKeys: ['type', 'agent', 'status'] },
    ),
    weight: 3,
  },
  { arbitrary: fc.record({ type: fc.constant('task_completed' as const), agent: agentArb, task: fc.constantFrom(...TASKS), phase: fc.constant('p0') }), weight: 2 },
  {
    arbitrary: fc.record({ type: fc.constant('test_run' as const), passed: fc.nat(20), failed: fc.nat(5), skipped: fc.nat(2), duration: fc.constant(1), coverage: fc.option(fc.nat(100)), source: fc.constant('t') }),
    weight: 1,
  },
  { arbitrary: fc.record({ type: fc.constant('build' as const), ok: fc.boolean(), duration_ms: fc.nat(500), command: fc.constant('b') }), weight: 1 },
  {
    arbitrary: fc.record(
      { type: fc.constant('benchmark' as const), ok: fc.boolean(), ops_per_second: fc.option(fc.nat(100_000)), duration_ms: fc.nat(500), command: fc.constant('bench'), problem: fc.constant('failed with exit 1') },
      { requiredKeys: ['type', 'ok', 'ops_per_second', 'duration_ms', 'command'] },
    ),
    weight: 1,
  },
  { arbitrary: fc.record({ type: fc.constant('command' as const), name: fc.constantFrom('pause', 'continue', 'resume', 'checkpoint'), source: fc.constantFrom('key' as const, 'cli' as const) }), weight: 2 },
  { arbitrary: fc.record({ type: fc.constant('phase_started' as const), phase: fc.constantFrom('p0', 'p1'), index: fc.constantFrom(0, 1), duration_seconds: fc.constant(60), tasks: fc.constant(TASKS) }), weight: 1 },
  { arbitrary: fc.record({ type: fc.constant('phase_ended' as const), phase: fc.constantFrom('p0', 'p1'), index: fc.constantFrom(0, 1), criteria: fc.constant<CriterionResult[]>([]), passed: fc.boolean() }), weight: 1 },
  {
    arbitrary: fc.record({ type: fc.constant('checkpoint_created' as const), id: fc.constantFrom('cp1', 'cp2', 'cp3'), trigger: fc.constant('forced' as const), files: fc.nat(9), bytes: fc.nat(999), ms: fc.nat(99), phase: fc.constant('p0') }),
    weight: 1,
  },
  {
    arbitrary: fc.record(
      { type: fc.constant('checkpoint_restored' as const), id: fc.constantFrom('cp1', 'cp2', 'cp3', 'lost'), rolled_back_after_seq: fc.nat(30), ms: fc.nat(99), schedule_seconds: fc.nat(30) },
      { requiredKeys: ['type', 'id', 'rolled_back_after_seq', 'ms'] },
    ),
    weight: 1,
  },
  { arbitrary: fc.record({ type: fc.constant('error' as const), class: fc.constantFrom('tool_failure', 'agent_crash'), severity: fc.constant('transient' as const), message: fc.constant('x') }), weight: 1 },
);

/** A log: session_started, then bodies with seq steps (1, sometimes a gap or a repeat) and ts steps (sometimes equal or a bit back). */
const logArb: fc.Arbitrary<MegatestEvent[]> = fc
  .array(fc.tuple(bodyArb, fc.constantFrom(1, 1, 1, 1, 2, 0), fc.integer({ min: -300, max: 4000 })), { maxLength: 80 })
  .map((items) => {
    const start = {
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
    } as MegatestEvent;
    const log: MegatestEvent[] = [start];
    let seq = 1;
    let ms = T0;
    for (const [body, dSeq, dMs] of items) {
      seq += dSeq;
      ms = Math.max(T0, ms + dMs);
      log.push({ ...body, seq, ts: new Date(ms).toISOString() } as MegatestEvent);
    }
    return log;
  });

describe('fold of random synthetic logs', () => {
  it('batched, split anywhere and chunked anyhow == one event at a time', () => {
    fc.assert(
      fc.property(logArb, fc.nat(), planArb, (log, cut, plan) => {
        const reference = oneByOne(log);
        expect(foldAll(log)).toStrictEqual(reference);
        const k = cut % (log.length + 1);
        expect(foldWith(foldAll(log.slice(0, k)), log.slice(k), plan)).toStrictEqual(reference);
        expect(foldWith(initialRunState(), log, plan)).toStrictEqual(reference);
      }),
      { numRuns: 300 },
    );
  });

  it('re-feeding the log (or any part of it) changes nothing', () => {
    fc.assert(
      fc.property(logArb, fc.nat(), fc.nat(), (log, x, y) => {
        const whole = oneByOne(log);
        const a = x % (log.length + 1);
        const b = y % (log.length + 1);
        expect(foldEvents(whole, log.slice(Math.min(a, b), Math.max(a, b)))).toStrictEqual(whole);
        expect(oneByOne(log, whole)).toStrictEqual(whole);
      }),
      { numRuns: 200 },
    );
  });

  it('regression: an agent first seen through a run of counter events starts at its first event', () => {
    // foldEvent makes the agent's row at its first tool_call (startedMs = that
    // event's time); a batch must do the same, or utilization differs by view.
    const log: MegatestEvent[] = [
      { seq: 1, ts: '2026-01-01T00:00:00.000Z', type: 'tool_call', agent: 'a', tool: 't', ok: true, duration_ms: 1 },
      { seq: 2, ts: '2026-01-01T00:00:05.000Z', type: 'tool_call', agent: 'a', tool: 't', ok: true, duration_ms: 1 },
    ];
    expect(oneByOne(log).agents[0]!.startedMs).toBe(Date.parse(log[0]!.ts));
    expect(foldAll(log).agents[0]!.startedMs).toBe(Date.parse(log[0]!.ts));
  });
});
