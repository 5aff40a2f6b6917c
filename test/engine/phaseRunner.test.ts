// The session's duration is a hard limit, with one grace: the last phase's
// gate, measuring tasks that are all done, may finish a few seconds past it
// (LAST_GATE_GRACE_SECONDS) so a loaded machine's short run ends on its
// merits, not 124. Any other gate still running at the deadline is cut short.
// The clock here is a number the test sets: nothing waits on wall time.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EngineContext, StopRequest } from '../../src/engine/context.js';
import type { AgentPool } from '../../src/engine/agentPool.js';
import type { GateMeasurement, Measurer } from '../../src/engine/measurer.js';
import { PhaseRunner } from '../../src/engine/phaseRunner.js';
import { LAST_GATE_GRACE_SECONDS } from '../../src/engine/schedule.js';

// Not a git repository: the phase-end commit fails and is logged, as it would be.
const projectDir = mkdtempSync(path.join(tmpdir(), 'megatest-phase-runner-'));
afterAll(() => rmSync(projectDir, { recursive: true, force: true }));

const PHASES = ['bootstrap', 'development', 'refinement', 'finalization'].map((name) => ({ name, weight: 1, criteria: [], objectives: [`${name} task`] }));

function harness(phaseIndex: number, tasksDone: boolean) {
  const stops: StopRequest[] = [];
  const logs: string[] = [];
  let aborted = 0;
  let lettingIn = 0;
  let resolveGate: (m: GateMeasurement | null) => void = () => {};
  let onStop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (onStop = resolve));
  const ctx = {
    phases: PHASES,
    phaseIndex,
    secondsLeft: 3,
    state: {
      phases: PHASES.map(() => ({ durationSeconds: 10, startedAtSeconds: 0 })),
      phaseEnded: false,
      measured: { testsPassed: 10, testsFailed: 0, testPassRate: 1, testCoverage: 0.9 },
      tasksDone: [],
      counters: { fatalErrors: 0 },
      seqGaps: 0,
    },
    gateReserveSeconds: 2,
    restoreGeneration: 0,
    stopRequest: null as StopRequest | null,
    status: 'running',
    config: { session: { duration_seconds: 40 }, checkpoint: { enabled: false, on_phase_end: false } },
    paths: { project: projectDir },
    get currentPhase() {
      return PHASES[this.phaseIndex]!;
    },
    sessionSecondsLeft() {
      return this.secondsLeft;
    },
    scheduleMs: () => 9_000,
    completedTasks: () => new Set(tasksDone ? PHASES.map((p) => p.objectives[0]!) : []),
    phaseTasks: (i: number) => PHASES[i]!.objectives,
    requestStop(request: StopRequest) {
      if (this.stopRequest) return;
      this.stopRequest = request;
      stops.push(request);
      onStop();
    },
    queue: {
      run: (job: () => Promise<void> | void) => Promise.resolve().then(job),
      // Counted: a phase end lets a person's commands in while it commits (SerialQueue.letCommandsIn).
      letCommandsIn: <T>(work: () => Promise<T>) => {
        lettingIn += 1;
        return work();
      },
    },
    log: { info: (_s: string, m: string) => logs.push(m), warn: (_s: string, m: string) => logs.push(m) },
    emit: () => ({}),
    internalError: (e: unknown) => logs.push(String(e)),
  };
  const measurer = {
    gates: () => new Promise<GateMeasurement | null>((resolve) => (resolveGate = resolve)),
    abortInFlight: () => {
      aborted += 1;
      resolveGate(null);
    },
  };
  const runner = new PhaseRunner(ctx as unknown as EngineContext, {} as AgentPool, measurer as unknown as Measurer, {
    phaseCheckpoint: async () => {},
    checkpointsValid: () => 1,
  });
  return { ctx, runner, stops, stopped, logs, aborted: () => aborted, finishGate: (m: GateMeasurement) => resolveGate(m), lettingIn: () => lettingIn };
}

const MEASURED = { buildOk: true, linesOfCode: 100, docCoverage: 1 } as unknown as GateMeasurement;

describe('the deadline and the last gate', () => {
  it('the last phase, its tasks done: its gate finishes within the grace and the run completes (exit 0)', async () => {
    const h = harness(PHASES.length - 1, true);
    h.runner.tick();
    expect(h.runner.gateRunning).toBe(true);
    h.ctx.secondsLeft = -(LAST_GATE_GRACE_SECONDS - 1);
    h.runner.tick();
    expect(h.stops).toEqual([]);
    expect(h.logs.some((l) => /gets up to \d+ s more/.test(l))).toBe(true);
    h.finishGate(MEASURED);
    await h.stopped; // the phase end (its commit a real git call) asks for the stop
    expect(h.stops).toEqual([{ status: 'completed', reason: 'all phases completed', exitCode: 0 }]);
    expect(h.aborted()).toBe(0);
    // Its commit let a person's pause, continue and stop in (a pause waited for the commit and the checkpoint after it).
    expect(h.lettingIn()).toBe(1);
  });

  it('past the grace the last gate is cut short and the run ends 124', () => {
    const h = harness(PHASES.length - 1, true);
    h.runner.tick();
    h.ctx.secondsLeft = -LAST_GATE_GRACE_SECONDS;
    h.runner.tick();
    expect(h.aborted()).toBe(1);
    expect(h.stops).toEqual([{ status: 'timeout', reason: 'duration limit reached in phase 4 of 4', exitCode: 124 }]);
  });

  it('an earlier phase’s gate gets no grace: cut short at the deadline', () => {
    const h = harness(2, true);
    h.runner.tick();
    expect(h.runner.gateRunning).toBe(true);
    h.ctx.secondsLeft = -0.1;
    h.runner.tick();
    expect(h.aborted()).toBe(1);
    expect(h.stops[0]).toMatchObject({ status: 'timeout', exitCode: 124 });
  });

  it('the last phase with tasks undone gets no grace either', () => {
    const h = harness(PHASES.length - 1, false);
    h.ctx.secondsLeft = 1; // its work time is up (the reserve is 2 s): the gate starts on unfinished tasks
    h.runner.tick();
    expect(h.runner.gateRunning).toBe(true);
    h.ctx.secondsLeft = -0.1;
    h.runner.tick();
    expect(h.stops[0]).toMatchObject({ status: 'timeout', exitCode: 124 });
  });
});
