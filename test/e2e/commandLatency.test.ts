// A person's commands while a phase-end gate's test run is in flight (DESIGN
// §10): checkpoint, pause, continue, compress and stop are short jobs on the
// serial queue and must be answered, and take effect, while the project's
// tests take minutes, not wait behind them. The project's tests here are
// held until the test releases them (test/fixtures/e2e/slow-tests.toml: the
// gate's test command waits for the file MEGATEST_GATE_RELEASE names); the
// sim agent program writes the project, started as a `command` agent
// (test/fixtures/e2e/sim-agent.mjs) so that the template's held commands are
// the ones the orchestrator runs (the `sim` adapter would swap in its own).
//
// Nothing is timed against a bound: the test gives every command while the
// gate is held, and releases it only after the last answer, so "answered
// during the gate's test run" is by construction, and the order of the
// events says the rest (each command's events before the gate's test_run).
// How fast the answers come is bench/commandLatency.mjs's to judge (< 1 s);
// the control API round trips (with the client the CLI and the console use,
// ControlClient) are printed here for the record. Every wait is keyed on
// events: the gate is in flight from its `build` event (the first of the
// session) until its test_run.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { ControlClient } from '../../src/io/controlClient.js';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import type { MegatestEvent } from '../../src/contract/events.js';
import {
  BUILT,
  killAgentsOf,
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

/** The phase-end gate whose build is `buildSeq` is still in flight: no test run after it, and no phase end, is recorded yet. */
function gateInFlight(runDir: string, buildSeq: number): boolean {
  const events = readEvents(runDir);
  return !events.some((e) => e.type === 'phase_ended' || (e.type === 'test_run' && e.seq > buildSeq));
}

interface Timed {
  command: string;
  /** Control API round trip. */
  answerMs: number;
  /** From the request to its last event being in events.jsonl. */
  recordedMs: number;
  seqs: number[];
  /** The gate was still in flight when the answer came, and when its events were in events.jsonl. */
  duringGate: boolean;
}

describe.skipIf(!BUILT)('commands while a phase-end test run is held in flight', () => {
  const runsDir = tempRunsDir('megatest-latency-');
  const runDir = path.join(runsDir, 'latency');
  /** The gate's test command waits for this file (slow-tests.toml). */
  const release = path.join(runsDir, 'gate-release');
  let run: RunningCli | undefined;

  afterAll(() => {
    // A failed test lets the held test command go on at once.
    writeFileSync(release, '');
    if (run && run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    killAgentsOf(runDir);
    removeDir(runsDir);
  });

  it('answers checkpoint, pause, continue, compress and stop while the gate’s test run is held, and they take effect before it comes back', async () => {
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
      { timeoutMs: 480_000, env: { MEGATEST_GATE_RELEASE: release } },
    );
    const exited = run.done;

    // The bootstrap gate: its build is the session's first; its test run follows, held until released.
    const gateBuild = await Promise.race([
      waitForEvent(runDir, 'build', () => true, 240_000),
      exited.then((r) => {
        throw new Error(`the run ended (exit ${r.code}) before its first gate:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
      }),
    ]);
    expect(gateBuild.ok).toBe(true);
    expect(gateInFlight(runDir, gateBuild.seq)).toBe(true);

    // The console's client (source "key"), so these are told apart from the CLI's below.
    const client = await ControlClient.fromRunDir(runDir, { source: 'key', timeoutMs: 60_000 });
    // One untimed request opens the connection; the status says the gate's phase is still on.
    const status = await client.status();
    expect(status.phase).toBe('bootstrap');

    // The project's first checkpoint stores every file it has (its cost is the project's size, not a
    // wait behind measurement). Taken first, so the one below costs what changed since, as a
    // person's `c` in a running session does.
    const first = await client.checkpoint();
    expect(first.event?.type).toBe('checkpoint_created');

    const timed: Timed[] = [];
    async function time(command: string, call: () => Promise<{ event?: MegatestEvent; events?: MegatestEvent[] }>): Promise<MegatestEvent[]> {
      const started = performance.now();
      const answer = await call();
      const answerMs = performance.now() - started;
      const answeredDuringGate = gateInFlight(runDir, gateBuild.seq);
      const events = answer.events ?? (answer.event ? [answer.event] : []);
      expect(events.length, `${command}: the answer names the events it recorded`).toBeGreaterThan(0);
      const seqs = events.map((e) => e.seq);
      await waitFor(() => seqs.every((seq) => recorded(runDir, seq)), `${command}'s events in events.jsonl`, 60_000, 10);
      const recordedMs = Math.round(performance.now() - started);
      timed.push({ command, answerMs: Math.round(answerMs), recordedMs, seqs, duringGate: answeredDuringGate && gateInFlight(runDir, gateBuild.seq) });
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
    // Every command answered and recorded: the gate's test run may come back now.
    expect(gateInFlight(runDir, gateBuild.seq)).toBe(true);
    writeFileSync(release, '');
    const result = await exited;
    expect(result.code, result.stdout.slice(-2000) + result.stderr.slice(-2000)).toBe(130);
    expect(readStatusWord(runDir)).toBe('interrupted');

    // The gate's test run: the first after its build.
    const events = readEvents(runDir);
    const gateRun = eventsOf(events, 'test_run').find((e) => e.seq > gateBuild.seq);
    expect(gateRun, 'the gate recorded its test run').toBeDefined();
    // Its tests ran, once released (a wait that gave up would fail the command: no results).
    expect(gateRun!.passed, JSON.stringify(gateRun)).toBeGreaterThan(0);

    const bySeq = new Map(events.map((e) => [e.seq, e]));
    const report = {
      gate: { build_seq: gateBuild.seq, test_run_seq: gateRun!.seq, test_run_duration_s: gateRun!.duration },
      api: timed.map((t) => ({ command: t.command, answer_ms: t.answerMs, recorded_ms: t.recordedMs, seqs: t.seqs.join(','), during_gate: t.duringGate })),
      checkpoint_create_ms: (bySeq.get(checkpoint!.seq) as { ms?: number } | undefined)?.ms,
    };
    console.log(`command latency during the gate's test run:\n${JSON.stringify(report, null, 2)}`);

    for (const t of timed) {
      expect(t.duringGate, `${t.command} was answered, and its events recorded, while the gate's test run was held`).toBe(true);
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
