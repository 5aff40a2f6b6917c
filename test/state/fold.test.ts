// The one fold of events.jsonl (DESIGN §1) checked against the recorded
// logs. Every expected figure is counted from the file by the naive oracle in
// foldOracle.ts (or by a line of arithmetic on the events' own fields here),
// never copied from the fold's output: a wrong fold cannot bless itself.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { MegatestEvent } from '../../src/contract/events.js';
import { elapsedMsAtLastEvent, foldAll, foldEvent } from '../../src/state/fold.js';
import {
  currentPhase,
  elapsedMsAt,
  initialRunState,
  lastEventMs,
  remainingSecondsAt,
  scheduleSecondsAt,
  tasksCompleted,
  tasksRemaining,
  tasksTotal,
  tokensPerMinuteAt,
  usageRecorded,
  type RunState,
} from '../../src/state/runState.js';
import { gaugesFromState, sessionMetricsAt } from '../../src/state/snapshot.js';
import { expectedAt, loadEvents, msOfTs, upTo, type Expected } from './foldOracle.js';

const restoreLog = loadEvents('restore_session.jsonl');
const simLog = loadEvents('sim_session.jsonl');

/** The fold stopped after the event with this seq. */
const foldTo = (events: readonly MegatestEvent[], seq: number): RunState => foldAll(upTo(events, seq));

/** What the fold says, in the oracle's terms. */
function observed(state: RunState): Expected {
  return {
    phase: currentPhase(state)?.name ?? null,
    phaseEnded: state.phaseEnded,
    tasksDone: tasksCompleted(state),
    tasksTotal: tasksTotal(state),
    tasksRemaining: tasksRemaining(state),
    linesOfCode: state.measured.linesOfCode,
    passRate: state.measured.testPassRate,
    tokens: state.counters.totalTokens,
    inputTokens: state.counters.inputTokens,
    outputTokens: state.counters.outputTokens,
    toolCalls: state.counters.toolCalls,
    errors: state.counters.errors,
    checkpoints: state.counters.checkpoints,
    restores: state.counters.restores,
    status: state.status,
    elapsedMs: elapsedMsAtLastEvent(state),
  };
}

/** The rolled-back part of a state (what a restore must put back). */
function rolledView(state: RunState) {
  return {
    phases: state.phases,
    currentPhaseIndex: state.currentPhaseIndex,
    phaseEnded: state.phaseEnded,
    tasksDone: state.tasksDone,
    measured: state.measured,
    agentTasks: Object.fromEntries(state.agents.map((a) => [a.name, a.task])),
  };
}

function restoreOf(events: readonly MegatestEvent[]) {
  const restored = events.find((e) => e.type === 'checkpoint_restored');
  if (!restored || restored.type !== 'checkpoint_restored') throw new Error('fixture has no restore');
  const created = events.find((e) => e.type === 'checkpoint_created' && e.id === restored.id);
  if (!created) throw new Error(`fixture never created ${restored.id}`);
  return { restored, created };
}

describe('golden states of restore_session.jsonl', () => {
  // Seqs named in the brief: checkpoint_001, checkpoint_002, just before and
  // at the restore, the bootstrap re-run ending, the session end; 91 is a
  // metrics snapshot taken while paused.
  const seqs = [23, 71, 91, 129, 130, 186, 421];

  it.each(seqs)('at seq %i the fold reads what the log says', (seq) => {
    expect(observed(foldTo(restoreLog, seq))).toEqual(expectedAt(restoreLog, seq));
  });

  it('the oracle is not vacuous: the restore really goes back to bootstrap with nothing done', () => {
    // Facts of the recording (brief): development ran before seq 130, bootstrap after it.
    expect(expectedAt(restoreLog, 129)).toMatchObject({ phase: 'development', phaseEnded: false });
    expect(expectedAt(restoreLog, 129).tasksDone).toBeGreaterThan(5);
    expect(expectedAt(restoreLog, 130)).toMatchObject({ phase: 'bootstrap', phaseEnded: false, tasksDone: 0 });
    expect(expectedAt(restoreLog, 186)).toMatchObject({ phase: 'bootstrap', phaseEnded: true });
    expect(expectedAt(restoreLog, 421).status).toBe('completed');
  });

  it.each([
    ['restore_session.jsonl', restoreLog],
    ['sim_session.jsonl', simLog],
  ] as const)('%s: the fold agrees with the oracle after every single event', (_name, events) => {
    let state = initialRunState();
    for (const event of events) {
      state = foldEvent(state, event);
      expect(observed(state), `after seq ${event.seq}`).toEqual(expectedAt(events, event.seq));
    }
  });

  it('counts every event once and sees no seq gaps in a clean log', () => {
    const final = foldAll(restoreLog);
    expect(final.eventsApplied).toBe(restoreLog.length);
    expect(final.firstSeq).toBe(restoreLog[0]!.seq);
    expect(final.lastSeq).toBe(restoreLog.at(-1)!.seq);
    expect(final.seqGaps).toBe(0);
    expect(final.ended?.status).toBe('completed');
  });
});

describe.each([
  ['restore_session.jsonl', restoreLog],
  ['sim_session.jsonl', simLog],
] as const)('restore in %s', (_name, events) => {
  const { restored, created } = restoreOf(events);
  const atCheckpoint = foldTo(events, created.seq);
  const before = foldTo(events, restored.seq - 1);
  const after = foldTo(events, restored.seq);
  const restoreMs = msOfTs(restored.ts);

  it('puts phases, tasks, measured figures and agent tasks back to the checkpoint', () => {
    expect(rolledView(after)).toEqual(rolledView(atCheckpoint));
    // ...and the restore actually changed something (else the check is empty).
    expect(rolledView(before)).not.toEqual(rolledView(atCheckpoint));
  });

  it('never takes back what was spent: counters and elapsed only go on', () => {
    const c0 = before.counters;
    const c1 = after.counters;
    for (const key of ['totalTokens', 'toolCalls', 'errors', 'recoveriesStarted', 'limits', 'alerts', 'commands', 'checkpoints'] as const) {
      expect(c1[key], key).toBe(c0[key]);
      expect(c1[key], key).toBeGreaterThanOrEqual(atCheckpoint.counters[key]);
    }
    expect(c1.restores).toBe(c0.restores + 1);
    // Tokens were spent between the checkpoint and the restore: they stay spent.
    expect(c1.totalTokens).toBeGreaterThan(atCheckpoint.counters.totalTokens);
    for (const agent of before.agents) {
      const a = after.agents.find((x) => x.name === agent.name)!;
      expect([a.tokens, a.toolCalls]).toEqual([agent.tokens, agent.toolCalls]);
    }
    expect(elapsedMsAt(after, restoreMs)).toBe(elapsedMsAt(before, restoreMs));
    expect(elapsedMsAt(after, restoreMs)).toBeGreaterThanOrEqual(elapsedMsAtLastEvent(before));
  });

  it('sends the schedule back to the checkpoint by (schedule at restore − schedule at checkpoint)', () => {
    // The checkpoint's place: the restore event's own schedule_seconds if it
    // gives one, else where the fold's schedule stood at checkpoint_created.
    const checkpoint = after.checkpoints.find((c) => c.id === restored.id)!;
    const target = restored.schedule_seconds ?? checkpoint.atSeconds;
    const scheduleBefore = scheduleSecondsAt(before, restoreMs);
    expect(after.clock.rolledBackSeconds - before.clock.rolledBackSeconds).toBeCloseTo(scheduleBefore - target, 9);
    expect(scheduleSecondsAt(after, restoreMs)).toBeCloseTo(target, 9);
    // The duration limits active time: a restore gives the schedule back, not the session's time.
    expect(remainingSecondsAt(after, restoreMs)).toBe(remainingSecondsAt(before, restoreMs));
    // The checkpoint's own place is the active time counted from the file at its event.
    expect(checkpoint.atSeconds).toBeCloseTo(expectedAt(events, created.seq).elapsedMs / 1000, 9);
  });
});

describe('the clock', () => {
  const t0 = msOfTs(restoreLog[0]!.ts);

  it('elapsed at each event is non-decreasing along the whole log', () => {
    let state = initialRunState();
    let previous = -Infinity;
    for (const event of restoreLog) {
      state = foldEvent(state, event);
      const now = elapsedMsAt(state, msOfTs(event.ts));
      expect(now, `seq ${event.seq}`).toBeGreaterThanOrEqual(previous);
      previous = now;
    }
  });

  it('elapsed never goes backwards as now advances, whatever the state', () => {
    const states = restoreLog.map((_, i) => foldAll(restoreLog.slice(0, i + 1)));
    fc.assert(
      fc.property(fc.nat({ max: states.length - 1 }), fc.integer({ min: -5_000, max: 120_000 }), fc.nat({ max: 60_000 }), (i, a, d) => {
        const s = states[i]!;
        const at = t0 + a;
        expect(elapsedMsAt(s, at + d)).toBeGreaterThanOrEqual(elapsedMsAt(s, at));
        expect(elapsedMsAt(s, at)).toBeGreaterThanOrEqual(s.clock.activeMs);
      }),
    );
  });

  it('does not count the paused time between pause and continue', () => {
    const pause = restoreLog.find((e) => e.type === 'command' && e.name === 'pause')!;
    const cont = restoreLog.find((e) => e.type === 'command' && e.name === 'continue')!;
    const pausedMs = msOfTs(cont.ts) - msOfTs(pause.ts);
    expect(pausedMs).toBeGreaterThan(1000); // the recording really paused for a while
    // While paused, elapsed is frozen at the pause, whatever "now" is.
    const paused = foldTo(restoreLog, pause.seq);
    expect(elapsedMsAt(paused, msOfTs(pause.ts) + 3_600_000)).toBe(msOfTs(pause.ts) - t0);
    expect(elapsedMsAt(foldTo(restoreLog, cont.seq), msOfTs(cont.ts))).toBe(msOfTs(pause.ts) - t0);
    // At the end: the wall span less the pause (session_ended stops the clock).
    const last = restoreLog.at(-1)!;
    const final = foldAll(restoreLog);
    expect(elapsedMsAtLastEvent(final)).toBe(msOfTs(last.ts) - t0 - pausedMs);
    expect(elapsedMsAt(final, msOfTs(last.ts) + 3_600_000)).toBe(msOfTs(last.ts) - t0 - pausedMs);
  });

  it('a cli resume after a crash does not count the gap since the previous event', () => {
    const base = '2026-01-01T00:00:';
    const log: MegatestEvent[] = [
      { seq: 1, ts: `${base}00.000Z`, type: 'session_started', session_id: 's', project: 'p', project_name: 'P', agent_kind: 'sim', simulated: true, agents: 1, duration_seconds: 600, phases: [], megatest_version: 't' },
      { seq: 2, ts: `${base}10.000Z`, type: 'tool_call', agent: 'a', tool: 't', ok: true, duration_ms: 1 },
      // The orchestrator died here; a resume 40 s later.
      { seq: 3, ts: `${base}50.000Z`, type: 'command', name: 'resume', source: 'cli' },
      { seq: 4, ts: `${base}55.000Z`, type: 'tool_call', agent: 'a', tool: 't', ok: true, duration_ms: 1 },
    ];
    const state = foldAll(log);
    expect(elapsedMsAtLastEvent(state)).toBe(10_000 + 5_000);
    expect(expectedAt(log).elapsedMs).toBe(15_000);
    // Counted, for the report and for a live view's floor on elapsed.
    expect(state.clock.resumes).toBe(log.filter((e) => e.type === 'command' && e.name === 'resume').length);
  });
});

describe('tokensPerMinuteAt is a rate, not the running total', () => {
  const T0 = Date.parse('2026-01-01T00:00:00.000Z');
  const at = (s: number) => new Date(T0 + s * 1000).toISOString();
  const start: MegatestEvent = { seq: 1, ts: at(0), type: 'session_started', session_id: 's', project: 'p', project_name: 'P', agent_kind: 'sim', simulated: true, agents: 1, duration_seconds: 600, phases: [], megatest_version: 't' };
  const tok = (seq: number, s: number, input: number, output: number): MegatestEvent => ({ seq, ts: at(s), type: 'tokens', agent: 'a', input, output, model: 'm' });
  const log = [start, tok(2, 10, 60, 40), tok(3, 20, 150, 50), tok(4, 20.5, 10, 0), tok(5, 100, 30, 20)];

  it('in the first minute: tokens so far over the minutes elapsed', () => {
    const s = foldAll(log.slice(0, 4)); // 100 + 200 + 10 = 310 tokens by t = 30 s
    expect(tokensPerMinuteAt(s, T0 + 30_000)).toBe(Math.round((310 * 60) / 30)); // 620, not 310
    expect(tokensPerMinuteAt(s, T0 + 15_000)).toBe(Math.round((100 * 60) / 15)); // the later ones are not yet "now"
  });

  it('later: only the last 60 s of wall time count', () => {
    // Read at a time no earlier than the state's last event, as every view does.
    // At 79 s the window is (19, 79]: the 200 + 10 at 20 s count, the 100 at 10 s does not.
    expect(tokensPerMinuteAt(foldAll(log.slice(0, 4)), T0 + 79_000)).toBe(210);
    const s = foldAll(log);
    // At 130 s only the 50 at 100 s are left.
    expect(tokensPerMinuteAt(s, T0 + 130_000)).toBe(50);
    expect(tokensPerMinuteAt(s, T0 + 200_000)).toBe(0);
    expect(s.counters.totalTokens).toBe(360);
  });

  it('on the recording: at the end it is the last minute\'s tokens counted from the file', () => {
    const final = foldAll(restoreLog);
    const now = lastEventMs(final);
    const nowSec = Math.floor(now / 1000);
    let lastMinute = 0;
    for (const e of restoreLog) if (e.type === 'tokens' && Math.floor(msOfTs(e.ts) / 1000) > nowSec - 60) lastMinute += e.input + e.output;
    // The session is younger than a minute of wall time: the rate is scaled to it.
    const window = Math.min(60, Math.max(1, (now - msOfTs(restoreLog[0]!.ts)) / 1000));
    expect(tokensPerMinuteAt(final, now)).toBe(Math.round((lastMinute * 60) / window));
  });
});

describe('sessionMetricsAt on the whole recording', () => {
  const final = foldAll(restoreLog);
  const now = lastEventMs(final);
  const m = sessionMetricsAt(final, now, gaugesFromState(final));
  const oracle = expectedAt(restoreLog);

  it('tasks done + left = the plan, and both as counted from the file', () => {
    expect(m.tasks_completed! + m.tasks_remaining!).toBe(tasksTotal(final));
    expect(m.tasks_completed).toBe(oracle.tasksDone);
    expect(m.tasks_remaining).toBe(oracle.tasksRemaining);
    expect(tasksTotal(final)).toBe(oracle.tasksTotal);
  });

  it('total tokens, tool calls, checkpoints and elapsed as counted from the file', () => {
    let tokens = 0;
    for (const e of restoreLog) if (e.type === 'tokens') tokens += e.input + e.output;
    expect(m.total_tokens).toBe(tokens);
    expect(m.tool_calls).toBe(restoreLog.filter((e) => e.type === 'tool_call').length);
    expect(m.checkpoint_count).toBe(restoreLog.filter((e) => e.type === 'checkpoint_created').length);
    expect(m.elapsed_seconds).toBe(Math.round(oracle.elapsedMs / 1000));
    expect(m.estimated_remaining).toBe(0); // ended
    expect(m.phase).toBe(oracle.phase);
    expect(m.status).toBe('completed');
    expect(m.agents.reduce((sum, a) => sum + a.tokens!, 0)).toBe(tokens);
  });
});

describe('the live snapshots recorded in restore_session.jsonl', () => {
  // The orchestrator wrote each metrics event from the same fold, at the
  // snapshot's own timestamp, before the event itself: replaying the file must
  // give the same figures, or the console and the report would disagree with
  // what the engine saw live.
  it('agree with the fold of the events before each of them', () => {
    let state = initialRunState();
    let checked = 0;
    for (const event of restoreLog) {
      if (event.type === 'metrics') {
        const m = event.metrics;
        const now = Date.parse(m.timestamp);
        const replayed = sessionMetricsAt(state, now, gaugesFromState(state));
        // Not estimated_remaining: the log was recorded when a restore gave the session time back; now the
        // duration limits elapsed time (docs/run-state.md), so remaining is the duration less elapsed.
        // The log was recorded when a snapshot before any agent reported tokens said 0; the tokens are now not
        // recorded (null) until one does (readings.ts, usageRecorded), so such a snapshot is compared with that.
        const reported = usageRecorded(state);
        const pick = (x: typeof m) => [x.elapsed_seconds, x.tasks_completed, x.tasks_remaining, x.tool_calls, x.checkpoint_count];
        expect(pick(replayed), `metrics at seq ${event.seq}`).toEqual(pick(m));
        expect(replayed.total_tokens, `tokens at seq ${event.seq}`).toBe(reported ? m.total_tokens : null);
        // The log was recorded when a paused session's rate still ran down over the pause; it is now held at the
        // pause's start (snapshot.ts), so a snapshot taken while paused is compared with that.
        const paused = state.status === 'paused' && state.pause !== null;
        const rate = paused ? tokensPerMinuteAt(state, Date.parse(state.pause!.since)) : m.tokens_per_minute;
        expect(replayed.tokens_per_minute, `tokens/min at seq ${event.seq}`).toBe(reported ? rate : null);
        const duration = state.session?.durationSeconds ?? 0;
        expect(Math.abs(replayed.estimated_remaining! - Math.max(0, duration - replayed.elapsed_seconds!)), `remaining at seq ${event.seq}`).toBeLessThanOrEqual(1);
        checked += 1;
      }
      state = foldEvent(state, event);
    }
    expect(checked).toBe(restoreLog.filter((e) => e.type === 'metrics').length);
  });
});

describe('test figures and a build that fails after them', () => {
  it('marks the test figures as of older code until the next test run', () => {
    const at = (seq: number) => ({ seq, ts: `2026-12-05T08:00:${String(seq).padStart(2, '0')}.000Z` });
    let state = initialRunState();
    state = foldEvent(state, { ...at(1), type: 'test_run', passed: 9, failed: 1, skipped: 0, duration: 1, coverage: 80, source: 't' } as MegatestEvent);
    expect(state.measured.testsBeforeFailedBuild).toBe(false);
    state = foldEvent(state, { ...at(2), type: 'build', ok: true, duration_ms: 10, command: 'b' } as MegatestEvent);
    expect(state.measured.testsBeforeFailedBuild).toBe(false);
    state = foldEvent(state, { ...at(3), type: 'build', ok: false, duration_ms: 10, command: 'b' } as MegatestEvent);
    expect(state.measured).toMatchObject({ testsBeforeFailedBuild: true, testsPassed: 9, testsFailed: 1 });
    state = foldEvent(state, { ...at(4), type: 'test_run', passed: 10, failed: 0, skipped: 0, duration: 1, coverage: 81, source: 't' } as MegatestEvent);
    expect(state.measured.testsBeforeFailedBuild).toBe(false);
  });
});

describe('agents in name order', () => {
  // The sim log's own agent_started events, re-ordered as processes may start; more agents past 9.
  const started = simLog.filter((e) => e.type === 'agent_started');
  const rest = simLog.filter((e) => e.type !== 'agent_started' && e.type !== 'session_started');
  const session = simLog.find((e) => e.type === 'session_started')!;
  const extra = ['agent-10', 'agent-9', 'Agent-11'].map((agent) => ({ ...started[0]!, agent }) as MegatestEvent);

  it('whatever order they start in, the state, and so the status, the report and metrics_current.json, list them as a person reads names', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray([...started, ...extra], { minLength: started.length + extra.length }), (order) => {
        const events = [session, ...order, ...rest].map((e, i) => ({ ...e, seq: i + 1 }) as MegatestEvent);
        const state = foldAll(events);
        // An agent started again (agent-3 in the sim log) is one row.
        const names = [...new Set(order.map((e) => (e as { agent: string }).agent))];
        // Expected: the names sorted by their number (all of them are "agent-N", any case).
        const expected = [...names].sort((a, b) => Number(a.split('-')[1]) - Number(b.split('-')[1]));
        expect(state.agents.map((a) => a.name)).toEqual(expected);
        expect(sessionMetricsAt(state, lastEventMs(state), gaugesFromState(state)).agents.map((a) => a.name)).toEqual(expected);
      }),
      { numRuns: 30 },
    );
  });
});
