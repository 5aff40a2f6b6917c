// A person's commands while a phase-end gate's test run is in flight (DESIGN
// §10): checkpoint, pause, continue and compress are short jobs on the serial
// queue and must be answered, and take effect, within 1 s even while the
// project's tests take minutes. The project's tests here sleep 20 s
// (test/fixtures/e2e/slow-tests.toml); the sim agent program writes the
// project, started as a `command` agent (test/fixtures/e2e/sim-agent.mjs) so
// that the template's slow commands are the ones the orchestrator runs (the
// `sim` adapter would swap in its own fast ones).
//
// What is timed is the control API round trip, from the test process, with
// the same client the CLI and the console use (ControlClient): the bound is
// on the orchestrator's answer, and a `megatest …` process's own start-up
// (~1.5 s of Node loading the CLI) would drown it. The same four commands
// are then given through the CLI itself, whose wall time is reported, not
// bounded. Every wait is keyed on events: the gate is in flight from its
// `build` event (the first of the session) until `phase_ended`, and the
// gate's test run takes at least 20 s after that build.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { ControlClient } from '../../src/io/controlClient.js';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import type { MegatestEvent } from '../../src/contract/events.js';
import {
  BUILT,
  agentPidsOf,
  eventsOf,
  readEvents,
  readStatusWord,
  removeDir,

  runHeadless,
  tempRunsDir,
  waitFor,
  waitForEvent,
  type RunningCli,
} from '../helpers/cli.js';

const SLOW_TESTS = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'e2e', 'slow-tests.toml');
const SIM_AGENT = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'e2e', 'sim-agent.mjs');
/** The issue's bound on a command's answer, and on its effect being recorded. */
const BOUND_MS = 1000;

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function eventsText(runDir: string): string {
  try {
    return readFileSync(path.join(runDir, 'events.jsonl'), 'utf8');
  } catch {
    return '';
  }
}

/** Whether the event with this seq is a whole line of events.jsonl (a cheap check, no parsing). */
function recorded(runDir: string, seq: number): boolean {
  const text = eventsText(runDir);
  return text.startsWith(`{"seq":${seq},`) || text.includes(`\n{"seq":${seq},`);
}

/** The phase-end gate is still in flight: no phase has ended yet. */
function gateInFlight(runDir: string): boolean {
  return !eventsText(runDir).includes('"type":"phase_ended"');
}

interface Timed {
  command: string;
  /** Control API round trip. */
  answerMs: number;
  /** From the request to its last event being in events.jsonl. */
  recordedMs: number;
  seqs: number[];
  /** The gate was still in flight when the answer came. */
  duringGate: boolean;
}

describe.skipIf(!BUILT)('commands while a phase-end test run of 20 s is in flight', () => {
  const runsDir = tempRunsDir('megatest-latency-');
  const runDir = path.join(runsDir, 'latency');
  let run: RunningCli | undefined;

  afterAll(() => {
    if (run && run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    for (const pid of agentPidsOf(runDir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    removeDir(runsDir);
  });

  it('answers checkpoint, pause, continue, compress and stop within 1 s, and they take effect before the gate’s test run comes back', async () => {
    run = runHeadless(
      [
        'run',
        'task_queue',
        '--headless',
        '--agents',
        '3',
        '--duration',
        '10m',
        '--config',
        SLOW_TESTS,
        '--agent',
        'command',
        '--agent-cmd',
        `exec ${shellQuote(process.execPath)} ${shellQuote(SIM_AGENT)}`,
        '--runs-dir',
        runsDir,
        '--session-id',
        'latency',
        '--seed',
        '11',
      ],
      { timeoutMs: 480_000 },
    );
    const exited = run.done;

    // The bootstrap gate: its build is the session's first; its test run (20 s of sleep) follows.
    const gateBuild = await Promise.race([
      waitForEvent(runDir, 'build', () => true, 240_000),
      exited.then((r) => {
        throw new Error(`the run ended (exit ${r.code}) before its first gate:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
      }),
    ]);
    expect(gateBuild.ok).toBe(true);
    expect(gateInFlight(runDir)).toBe(true);

    // The console's client (source "key"), so these are told apart from the CLI's below.
    const client = await ControlClient.fromRunDir(runDir, { source: 'key', timeoutMs: 60_000 });
    // One untimed request opens the connection; the status says the gate's phase is still on.
    const status = await client.status();
    expect(status.phase).toBe('bootstrap');

    // The project's first checkpoint stores every file it has (its cost is the project's size, not a
    // wait behind measurement: 0.1 s here unloaded, up to 1.4 s beside two CPU hogs, most of it one
    // fsync per new blob). Taken untimed, so the timed one below costs what changed since, as a
    // person's `c` in a running session does.
    const first = await client.checkpoint();
    expect(first.event?.type).toBe('checkpoint_created');

    const timed: Timed[] = [];
    async function time(command: string, call: () => Promise<{ event?: MegatestEvent; events?: MegatestEvent[] }>): Promise<MegatestEvent[]> {
      const started = performance.now();
      const answer = await call();
      const answerMs = performance.now() - started;
      const duringGate = gateInFlight(runDir);
      const events = answer.events ?? (answer.event ? [answer.event] : []);
      expect(events.length, `${command}: the answer names the events it recorded`).toBeGreaterThan(0);
      const seqs = events.map((e) => e.seq);
      await waitFor(() => seqs.every((seq) => recorded(runDir, seq)), `${command}'s events in events.jsonl`, 10_000, 10);
      timed.push({ command, answerMs: Math.round(answerMs), recordedMs: Math.round(performance.now() - started), seqs, duringGate });
      return events;
    }

    const [checkpoint] = await time('checkpoint', () => client.checkpoint());
    expect(checkpoint!.type).toBe('checkpoint_created');
    const [paused] = await time('pause', () => client.pause());
    expect(paused).toMatchObject({ type: 'command', name: 'pause', source: 'key' });
    expect(readStatusWord(runDir)).toBe('paused');
    const [continued] = await time('continue', () => client.resume());
    expect(continued).toMatchObject({ type: 'command', name: 'continue', source: 'key' });
    expect(readStatusWord(runDir)).toBe('running');
    const compressed = await time('compress', () => client.compress());
    expect(compressed.every((e) => e.type === 'compress')).toBe(true);

    // Stop, still during the gate: the run ends without waiting for its test run to be measured twice
    // (the final measurement takes the gate's run, which began after the last task was done).
    const [stopped] = await time('stop', () => client.stop());
    expect(stopped).toMatchObject({ type: 'command', name: 'stop', source: 'key' });
    const result = await exited;
    expect(result.code, result.stdout.slice(-2000) + result.stderr.slice(-2000)).toBe(130);
    expect(readStatusWord(runDir)).toBe('interrupted');

    // The gate's test run: the first after its build.
    const events = readEvents(runDir);
    const gateRun = eventsOf(events, 'test_run').find((e) => e.seq > gateBuild.seq);
    expect(gateRun, 'the gate recorded its test run').toBeDefined();
    expect(gateRun!.duration).toBeGreaterThanOrEqual(20);

    const bySeq = new Map(events.map((e) => [e.seq, e]));
    const report = {
      gate: { build_seq: gateBuild.seq, test_run_seq: gateRun!.seq, test_run_duration_s: gateRun!.duration },
      api: timed.map((t) => ({ command: t.command, answer_ms: t.answerMs, recorded_ms: t.recordedMs, seqs: t.seqs.join(','), during_gate: t.duringGate })),
      checkpoint_create_ms: (bySeq.get(checkpoint!.seq) as { ms?: number } | undefined)?.ms,
    };
    console.log(`command latency during the gate's test run:\n${JSON.stringify(report, null, 2)}`);

    for (const t of timed) {
      expect(t.duringGate, `${t.command} was answered while the gate's test run was in flight`).toBe(true);
      expect(t.answerMs, `${t.command}: control API round trip (ms)`).toBeLessThan(BOUND_MS);
      expect(t.recordedMs, `${t.command}: request to its events in events.jsonl (ms)`).toBeLessThanOrEqual(BOUND_MS);
      for (const seq of t.seqs) {
        expect(seq, `${t.command}: event ${seq} (${bySeq.get(seq)?.type}) before the gate's test run`).toBeGreaterThan(gateBuild.seq);
        expect(seq).toBeLessThan(gateRun!.seq);
      }
    }

    // Each command is recorded, with its source, before the gate's test run came back.
    const commands = eventsOf(events, 'command').filter((e) => e.seq > gateBuild.seq && e.seq < gateRun!.seq);
    const named = (source: string) => commands.filter((e) => e.source === source).map((e) => e.name);
    expect(named('key')).toEqual(['checkpoint', 'checkpoint', 'pause', 'continue', 'compress', 'stop']);
    const forced = eventsOf(events, 'checkpoint_created').filter((e) => e.trigger === 'forced' && e.seq < gateRun!.seq);
    expect(forced.map((e) => e.seq)).toContain(checkpoint!.seq);
    // A checkpoint taken during the gate records the last test run that had finished, not the one in flight.
    const body = (await new CheckpointStore(path.join(runDir, 'checkpoints')).read((checkpoint as { id: string }).id)).body;
    const finishedBefore = eventsOf(events, 'test_run')
      .filter((e) => e.seq <= body.last_event_seq)
      .at(-1);
    if (finishedBefore === undefined) {
      expect(body.test_results).toBeNull();
    } else {
      expect((body.test_results as { summary: { passed: number; failed: number } }).summary).toMatchObject({
        passed: finishedBefore.passed,
        failed: finishedBefore.failed,
      });
    }

    console.log(`the run ended ${result.ms} ms after it started`);
  }, 600_000);
});
