import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assertNever } from '../../src/contract/assertNever.js';
import type { MegatestEvent } from '../../src/contract/events.js';
import type { SessionMetrics } from '../../src/contract/metrics.js';
import {
  applyEvent,
  applyEvents,
  applyLogLines,
  applyMetricsFile,
  applyStatusWord,
  initialConsoleState,
  parseLogLine,
  setOrchestratorLiveness,
} from '../../src/state/applyEvent.js';
import { MAX_ALERTS, MAX_CHECKPOINTS, MAX_LOG_LINES, MAX_SERIES_POINTS } from '../../src/state/limits.js';
import { fixtureEvents, fixtureLogLines } from '../ui/helpers.js';

const events = fixtureEvents();
const final = applyEvents(initialConsoleState(), events);

function lastMetrics(list: readonly MegatestEvent[]): SessionMetrics {
  const found = [...list].reverse().find((e) => e.type === 'metrics');
  if (!found || found.type !== 'metrics') throw new Error('fixture has no metrics event');
  return found.metrics;
}

describe('applyEvent over the recorded sim session', () => {
  it('reads the session plan, phases and their outcomes', () => {
    expect(final.session).toMatchObject({ sessionId: 'mega-20251124-090000-a1b2', projectName: 'RedQueue', agentKind: 'sim', simulated: true, durationSeconds: 1200 });
    expect(final.phases.map((p) => [p.name, p.status])).toEqual([
      ['planning', 'passed'],
      ['implementation', 'passed'],
      ['testing', 'passed'],
      ['polish', 'passed'],
    ]);
    expect(final.currentPhaseIndex).toBe(3);
    expect(final.ended).toMatchObject({ status: 'completed', exitCode: 0 });
    expect(final.status).toBe('completed');
  });

  it('keeps one chart point per metrics snapshot', () => {
    const snapshots = events.filter((e) => e.type === 'metrics');
    expect(final.series.tokensPerMinute).toHaveLength(snapshots.length);
    expect(final.series.linesOfCode.at(-1)).toBe(lastMetrics(events).lines_of_code);
    // Pass rate and coverage are left out until measured, never invented as 0.
    const measured = snapshots.filter((e) => e.type === 'metrics' && e.metrics.test_pass_rate !== null);
    expect(final.series.testPassRate).toHaveLength(measured.length);
  });

  it('lists every checkpoint with its measured figures and time into the run', () => {
    expect(final.checkpoints.map((c) => [c.id, c.trigger])).toEqual([
      ['checkpoint_001', 'phase'],
      ['checkpoint_002', 'phase'],
      ['checkpoint_003', 'forced'],
      ['checkpoint_004', 'phase'],
      ['checkpoint_005', 'final'],
    ]);
    expect(final.checkpoints[0]!.atSeconds).toBe(199);
    expect(final.checkpoints[2]!.linesOfCode).toBeGreaterThan(0);
    expect(final.lastRestore?.id).toBe('checkpoint_003');
  });

  it('raises alerts for errors, recoveries, limits, restores, compressions and the end', () => {
    const kinds = new Set(final.alerts.map((a) => a.kind));
    expect([...kinds].sort()).toEqual(['alert', 'compress', 'error', 'limit', 'recovery', 'restore', 'session']);
    // A compression is an alert too (not only a toast), naming its agent and the sizes.
    const compress = events.filter((e) => e.type === 'compress').at(-1) as { agent: string; tokens_before: number; tokens_after: number };
    expect(final.alerts.find((a) => a.kind === 'compress' && a.agent === compress.agent)?.text).toContain(`context compressed ${compress.tokens_before} → ${compress.tokens_after} tokens`);
    // Alerts name the agent an event names: the agent's detail lists its errors by it.
    for (const a of final.alerts.filter((x) => x.kind === 'error')) expect(a.agent === null || a.text.startsWith(`${a.agent}: `)).toBe(true);
    const crash = final.alerts.find((a) => a.text.includes('agent_crash'));
    expect(crash?.tone).toBe('warning');
    expect(final.alerts.at(-1)?.text).toContain('session completed');
  });

  it('tracks agents: counters agree with the orchestrator snapshot', () => {
    expect(final.agents.map((a) => a.name)).toEqual(['agent-1', 'agent-2', 'agent-3', 'agent-4']);
    const snapshot = lastMetrics(events);
    for (const measured of snapshot.agents) {
      const agent = final.agents.find((a) => a.name === measured.name)!;
      expect(agent.tokens).toBe(measured.tokens);
      expect(agent.toolCalls).toBe(measured.tool_calls);
    }
    // Without snapshots, the same totals come from the tokens events alone.
    const withoutSnapshots = applyEvents(initialConsoleState(), events.filter((e) => e.type !== 'metrics'));
    const tokenEvents = events.filter((e) => e.type === 'tokens');
    const summed = tokenEvents.reduce((sum, e) => sum + (e.type === 'tokens' ? e.input + e.output : 0), 0);
    expect(withoutSnapshots.agents.reduce((sum, a) => sum + a.tokens, 0)).toBe(summed);
    expect(summed).toBe(snapshot.total_tokens);
  });

  it('marks a crashed agent and brings it back when it restarts', () => {
    const crashSeq = events.find((e) => e.type === 'agent_exited' && e.code === 137)!.seq;
    const atCrash = applyEvents(initialConsoleState(), events.filter((e) => e.seq <= crashSeq));
    expect(atCrash.agents.find((a) => a.name === 'agent-3')?.status).toBe('crashed');
    expect(final.agents.find((a) => a.name === 'agent-3')?.status).toBe('exited');
  });

  it('is idempotent: events seen again (a re-read file) change nothing', () => {
    const twice = applyEvents(final, events);
    expect(twice).toBe(final);
    const half = events.slice(0, 200);
    const overlapping = applyEvents(applyEvents(initialConsoleState(), half), events);
    expect(overlapping).toEqual(final);
  });

  it('starts over when a different session appears in the file', () => {
    const other = { ...events[0]!, seq: 1, session_id: 'mega-other' } as MegatestEvent;
    const next = applyEvent(final, other);
    expect(next.session?.sessionId).toBe('mega-other');
    expect(next.agents).toEqual([]);
    expect(next.checkpoints).toEqual([]);
  });
});

describe('bounded buffers', () => {
  it('never keeps more than the limits, whatever arrives', () => {
    const snapshot = lastMetrics(events);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 * MAX_SERIES_POINTS }), fc.integer({ min: 0, max: 3 * MAX_ALERTS }), fc.integer({ min: 0, max: 5000 }), (metricCount, alertCount, logCount) => {
        let state = initialConsoleState();
        let seq = 0;
        const batch: MegatestEvent[] = [];
        for (let i = 0; i < metricCount; i++) batch.push({ seq: ++seq, ts: '2025-11-24T09:00:00.000Z', type: 'metrics', metrics: { ...snapshot, lines_of_code: i } });
        for (let i = 0; i < alertCount; i++) batch.push({ seq: ++seq, ts: '2025-11-24T09:00:00.000Z', type: 'alert', level: 'info', message: `a${i}` });
        state = applyEvents(state, batch);
        state = applyLogLines(state, Array.from({ length: logCount }, (_, i) => `line ${i}`));
        expect(state.series.linesOfCode.length).toBe(Math.min(metricCount, MAX_SERIES_POINTS));
        if (metricCount > 0) expect(state.series.linesOfCode.at(-1)).toBe(metricCount - 1);
        expect(state.alerts.length).toBe(Math.min(alertCount, MAX_ALERTS));
        expect(state.log.length).toBe(Math.min(logCount, MAX_LOG_LINES));
        expect(state.nextLogId).toBe(logCount + 1);
      }),
      { numRuns: 25 },
    );
  });

  it("a long run's checkpoints: the picker's list and the rollback points keep the newest MAX_CHECKPOINTS, the count keeps them all", () => {
    // A soak's orchestrator (6 sim agents, a checkpoint every few seconds on
    // tool calls) took 150 checkpoints in 14 minutes: thousands in a long run.
    const created = 3 * MAX_CHECKPOINTS + 7;
    const idOf = (n: number) => `checkpoint_${String(n).padStart(4, '0')}`;
    const batch: MegatestEvent[] = Array.from({ length: created }, (_, i) => ({
      seq: i + 1,
      ts: '2025-11-24T09:00:00.000Z',
      type: 'checkpoint_created',
      id: idOf(i + 1),
      trigger: 'tool_calls',
      files: 1,
      bytes: 10,
      ms: 5,
      phase: 'development',
    }));
    const state = applyEvents(initialConsoleState(), batch);
    const newest = Array.from({ length: MAX_CHECKPOINTS }, (_, i) => idOf(created - MAX_CHECKPOINTS + 1 + i));
    expect(state.checkpoints.map((checkpoint) => checkpoint.id)).toEqual(newest);
    expect(state.rollbackPoints.map((point) => point.id)).toEqual(newest);
    expect(state.counters.checkpoints).toBe(created);
  });
});

describe('the alerts kept when there are more than MAX_ALERTS', () => {
  it("a long run's routine alerts (compressions, context limits met) drop out before its errors and recoveries", () => {
    let seq = 0;
    const ts = '2025-11-24T09:00:00.000Z';
    const batch: MegatestEvent[] = [
      { seq: ++seq, ts, type: 'error', agent: 'agent-1', class: 'network_timeout', severity: 'transient', message: 'the early error' },
      { seq: ++seq, ts, type: 'recovery', agent: 'agent-1', action: 'retry', attempt: 1, outcome: 'succeeded' },
    ];
    // Hours of compressions: a context limit met, then the compression, twice the list's bound.
    for (let i = 0; i < MAX_ALERTS; i++) {
      batch.push({ seq: ++seq, ts, type: 'limit', agent: 'agent-2', kind: 'context_size', action: 'compress', detail: `${i}` });
      batch.push({ seq: ++seq, ts, type: 'compress', agent: 'agent-2', tokens_before: 180_000, tokens_after: 20_000 });
    }
    const state = applyEvents(initialConsoleState(), batch);
    expect(state.alerts).toHaveLength(MAX_ALERTS);
    expect(state.alerts.slice(0, 2).map((alert) => alert.kind)).toEqual(['error', 'recovery']);
    // The newest routine ones are what is left of them.
    expect(state.alerts.at(-1)).toMatchObject({ kind: 'compress', seq });
    expect(state.alerts.filter((alert) => alert.kind === 'limit').every((alert) => alert.tone === 'info')).toBe(true);
    // Folded one event at a time (the live console), the same.
    expect(batch.reduce(applyEvent, initialConsoleState()).alerts).toEqual(state.alerts);
  });

  it('with nothing routine left, the oldest drops out', () => {
    let seq = 0;
    const batch: MegatestEvent[] = Array.from({ length: MAX_ALERTS + 5 }, (_, i) => ({ seq: ++seq, ts: '2025-11-24T09:00:00.000Z', type: 'alert', level: 'warning', message: `w${i}` }));
    const state = applyEvents(initialConsoleState(), batch);
    expect(state.alerts.map((alert) => alert.text)).toEqual(batch.slice(5).map((event) => (event.type === 'alert' ? event.message : '')));
  });
});

describe('log lines, status file, metrics file, liveness', () => {
  it('parses session.log lines and keeps unparseable ones as plain text', () => {
    expect(parseLogLine('2025-11-24T09:00:00.000Z WARN  [limits] agent-2 context 91%', 7)).toEqual({
      id: 7,
      ts: '2025-11-24T09:00:00.000Z',
      level: 'WARN',
      source: 'limits',
      message: 'agent-2 context 91%',
    });
    expect(parseLogLine('plain agent output', 8)).toMatchObject({ level: null, message: 'plain agent output' });
    const state = applyLogLines(initialConsoleState(), fixtureLogLines());
    expect(state.log.every((l) => l.level !== null)).toBe(true);
  });

  it('takes the status word, ignores unknown words, and a stale file cannot revive an ended run', () => {
    const running = applyStatusWord(initialConsoleState(), 'paused\n');
    expect(running.status).toBe('paused');
    expect(applyStatusWord(running, 'banana')).toBe(running);
    expect(applyStatusWord(final, 'running').status).toBe('completed');
  });

  it('uses a newer metrics file for gauges without adding chart points or counters', () => {
    const snapshot = lastMetrics(events);
    const newer = { ...snapshot, timestamp: '2025-11-24T09:30:00.000Z', agents: snapshot.agents.map((a) => ({ ...a, tokens: 1, context_tokens: 123 })) };
    const next = applyMetricsFile(final, newer);
    expect(next.metrics).toBe(newer);
    expect(next.series).toBe(final.series);
    expect(next.agents[0]!.contextTokens).toBe(123);
    expect(next.agents[0]!.tokens).toBe(final.agents[0]!.tokens);
    expect(applyMetricsFile(next, snapshot)).toBe(next);
  });

  it('records orchestrator liveness once per change', () => {
    const dead = setOrchestratorLiveness(final, 'dead');
    expect(dead.orchestrator).toBe('dead');
    expect(setOrchestratorLiveness(dead, 'dead')).toBe(dead);
  });
});

describe('applyEvents folds a batch with one copy', () => {
  const foldOneByOne = (state: ReturnType<typeof initialConsoleState>, list: readonly MegatestEvent[]) => list.reduce(applyEvent, state);

  it('equals applying the recorded session one event at a time, however it is cut into batches', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 20 }), (cuts) => {
        let state = initialConsoleState();
        let at = 0;
        for (const size of cuts) {
          state = applyEvents(state, events.slice(at, at + size));
          at += size;
        }
        state = applyEvents(state, events.slice(at));
        expect(state).toEqual(final);
      }),
      { numRuns: 25 },
    );
    expect(final).toEqual(foldOneByOne(initialConsoleState(), events));
  });

  it('equals applyEvent one by one for counters mixed with other events, repeats and unknown agents', () => {
    const ts = '2025-11-24T09:00:00.000Z';
    const counter = fc.record({
      seq: fc.integer({ min: 1, max: 60 }),
      agent: fc.constantFrom('agent-1', 'agent-2', 'agent-9'),
      kind: fc.constantFrom('tool_call', 'tokens', 'agent_started', 'alert'),
      ok: fc.boolean(),
      model: fc.constantFrom('', 'm-1', 'm-2'),
    });
    fc.assert(
      fc.property(fc.array(counter, { maxLength: 80 }), (specs) => {
        const list: MegatestEvent[] = specs.map(({ seq, agent, kind, ok, model }): MegatestEvent => {
          switch (kind) {
            case 'tool_call':
              return { seq, ts, type: 'tool_call', agent, tool: 'read_file', ok, duration_ms: 3 };
            case 'tokens':
              return { seq, ts, type: 'tokens', agent, input: seq, output: 2, model };
            case 'agent_started':
              return { seq, ts, type: 'agent_started', agent, role: 'developer', model: model || undefined } as MegatestEvent;
            case 'alert':
              return { seq, ts, type: 'alert', level: 'info', message: `m${seq}` };
            default:
              return assertNever(kind, 'event kind');
          }
        });
        const start = applyEvents(initialConsoleState(), events.slice(0, 8));
        const batched = applyEvents({ ...start, lastSeq: 0 }, list);
        expect(batched).toEqual(foldOneByOne({ ...start, lastSeq: 0 }, list));
      }),
      { numRuns: 200 },
    );
  });
});

describe('parseLogLine of an older session.log line holding a carriage return', () => {
  it('is parsed (its time, level and source shown as for any line), not shown whole as text', () => {
    const line = parseLogLine('2026-12-06T23:01:12.638Z ERROR [agent-1] compile\tfailed\rOVER', 1);
    expect(line).toMatchObject({ ts: '2026-12-06T23:01:12.638Z', level: 'ERROR', source: 'agent-1', message: 'compile\tfailed\rOVER' });
  });
});
