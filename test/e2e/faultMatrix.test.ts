// The failure matrix of DESIGN §8, end to end: for each failure class the
// sim (or a config) can inject, one short headless session on the built CLI,
// in CI mode (as runHeadless runs it), checked from events.jsonl against the
// recovery table of docs/recovery.md, with the figures the config below sets:
//
// - the recovery events follow the class's ladder (retries, waits of the
//   configured backoff, model switch, restore, pause for a person);
// - the report's errors_by_class and recovery counts equal the log's;
// - the session ends as documented: a pause for a person in CI ends it
//   `failed` (exit 1); with a person (in SECOND_ROUND, CI=false) it waits, and
//   this test continues it; the others go on until this test stops them
//   (SIGTERM, `interrupted`) once their story is over;
// - session.log holds no stack trace.
//
// Every fault keys on an event (a tool call, a phase), never on the clock.
// Classes no sim fault raises (data corruption, an agent's "tests failed")
// are raised by an [[error_handling.rules]] rule that gives a sim fault's
// words that class: what is checked is the class's action, not its
// recognition (classify.test.ts). A project test run that fails is the
// sim's own doing (it plants defects for a later phase to fix).

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventOf, MegatestEvent } from '../../src/contract/events.js';
import type { FinalReport } from '../../src/report/report.js';
import {
  BUILT,
  eventsOf,
  killRunsIn,
  readEvents,
  readReport,
  removeDir,
  runCli,
  runHeadless,
  tempRunsDir,
  waitForEventWhileRunning,
  type CliResult,
  type RunningCli,
} from '../helpers/cli.js';

const SKIP = BUILT ? '' : ' (skipped: dist/ is not built; run npm run build)';

/** Figures every case's config sets; expectations below are counted from these. */
const BACKOFF = { strategy: 'exponential', initial: 0.2, max: 0.3 } as const;
const MODELS = ['model-a', 'model-b'];

/** The wait of the nth backoff (exponential: initial × 2^(n−1), capped), as docs/recovery.md gives it. */
const expectedWait = (n: number): number => Math.min(BACKOFF.initial * 2 ** (n - 1), BACKOFF.max);

interface Fault {
  kind: string;
  agent: string;
  after_tool_calls?: number;
  in_phase?: string;
}

interface Case {
  name: string;
  port: number;
  faults: Fault[];
  /** More TOML (tables other than [monitoring], [checkpoint], [agents], [sim]). */
  extra?: string;
  checkpoint?: string;
  agent?: string;
  /** Run with a person (CI=false): a pause for a person waits, and this test continues it once (`megatest continue`). */
  person?: boolean;
  /** With a person: events to wait for before continuing (besides the pause). */
  beforeContinue?: ((e: MegatestEvent) => boolean)[];
  /** --agents (2 unless said). */
  agents?: number;
  /** The events after which the story is over and the test stops the session; absent: the session ends by itself. */
  storyOver?: ((e: MegatestEvent) => boolean)[];
}

const toml = (c: Case): string =>
  [
    `[monitoring]\nhealth_check_interval = 1\ncontrol_port = ${c.port}`,
    `[checkpoint]\nbackoff_strategy = "${BACKOFF.strategy}"\nbackoff_initial_seconds = ${BACKOFF.initial}\nbackoff_max_seconds = ${BACKOFF.max}\n${c.checkpoint ?? ''}`,
    `[agent]\n${c.agent ?? ''}`,
    `[agents]\nmodels = [${MODELS.map((m) => JSON.stringify(m)).join(', ')}]`,
    '[sim]\nwork_share = 0.05\ntool_calls_per_minute = 60',
    c.extra ?? '',
    ...c.faults.map((f) => `[[sim.faults]]\n${Object.entries(f).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join('\n')}`),
  ].join('\n\n') + '\n';

const isRecovery = (e: MegatestEvent): e is EventOf<'recovery'> => e.type === 'recovery';
/** The end (any outcome) of the agent's recovery by this action (its attempt `attempt`, when given). */
const ended = (action: string, agent: string, attempt?: number) => (e: MegatestEvent) =>
  isRecovery(e) && e.action === action && e.agent === agent && e.outcome !== 'started' && (attempt === undefined || e.attempt === attempt);

const NETWORK_TIMEOUTS = 5;
const CASES: Case[] = [
  {
    // Five timeouts at once (retry 3×, then two waits) on agent-1, two rate limits (a wait, then the next model) on agent-2.
    name: 'transient',
    port: 18930,
    faults: [
      ...Array.from({ length: NETWORK_TIMEOUTS }, () => ({ after_tool_calls: 1, kind: 'network_timeout', agent: 'agent-1' })),
      { after_tool_calls: 1, kind: 'rate_limit', agent: 'agent-2' },
      { after_tool_calls: 1, kind: 'rate_limit', agent: 'agent-2' },
    ],
    storyOver: [ended('retry_with_backoff', 'agent-1', NETWORK_TIMEOUTS), ended('switch_model', 'agent-2')],
  },
  {
    // A session of its own: a sim fault due within one of the sim's steps (a task's files written, one tool call
    // each) fires when the step ends, so a parse failure keyed on a later call could land among the timeouts.
    name: 'parse',
    port: 18939,
    faults: [{ after_tool_calls: 1, kind: 'parse_failure', agent: 'agent-1' }],
    storyOver: [ended('retry_with_modification', 'agent-1')],
  },
  {
    name: 'attempts',
    port: 18931,
    checkpoint: 'max_recovery_attempts = 2',
    faults: Array.from({ length: 3 }, () => ({ after_tool_calls: 1, kind: 'network_timeout', agent: 'agent-1' })),
  },
  {
    // One agent: errors in a row are counted session-wide, and another agent's tool call between them starts the count again.
    name: 'in-a-row',
    port: 18932,
    agents: 1,
    extra: '[error_handling]\nmax_consecutive_errors = 2',
    faults: ['network_timeout', 'parse_failure', 'rate_limit'].map((kind) => ({ after_tool_calls: 1, kind, agent: 'agent-1' })),
  },
  { name: 'deadlock', port: 18933, faults: [{ after_tool_calls: 1, kind: 'consensus_deadlock', agent: 'agent-1' }] },
  { name: 'disk', port: 18934, extra: '[limits]\ndisk_space_limit_gb = 0.01', faults: [{ after_tool_calls: 1, kind: 'disk_limit', agent: 'agent-1' }] },
  {
    // In development: the end of bootstrap left a checkpoint to restore.
    name: 'crash',
    port: 18935,
    checkpoint: 'tool_call_threshold = 0\ntoken_threshold = 0',
    faults: [{ in_phase: 'development', kind: 'agent_crash', agent: 'agent-2' }],
    storyOver: [ended('restore_checkpoint', 'agent-2')],
  },
  {
    name: 'hang',
    port: 18936,
    checkpoint: 'tool_call_threshold = 0\ntoken_threshold = 0',
    agent: 'step_timeout_secs = 4',
    faults: [{ in_phase: 'development', kind: 'hang', agent: 'agent-1' }],
    storyOver: [ended('restore_checkpoint', 'agent-1')],
  },
  {
    // In development: the end of bootstrap left a checkpoint to go back to.
    name: 'corruption',
    port: 18937,
    checkpoint: 'tool_call_threshold = 0\ntoken_threshold = 0',
    extra: '[[error_handling.rules]]\npattern = "no quorum"\nseverity = "fatal"\naction = "stop"\nclass = "data_corruption"',
    faults: [{ in_phase: 'development', after_tool_calls: 1, kind: 'consensus_deadlock', agent: 'agent-1' }],
  },
  {
    name: 'test-failure',
    port: 18938,
    extra: '[[error_handling.rules]]\npattern = "ETIMEDOUT"\nseverity = "degraded"\naction = "log_and_continue"\nclass = "test_failure"',
    faults: [{ after_tool_calls: 1, kind: 'network_timeout', agent: 'agent-1' }],
    // Logged and continued: agent-1's tool calls after the error show it (runCase waits for one).
  },
];

/** Run after CASES, one at a time, on ports of CASES that have ended by then. */
const SECOND_ROUND: Case[] = [
  {
    // Before any checkpoint: the agent alone is restarted.
    name: 'crash-early',
    port: 18935,
    checkpoint: 'tool_call_threshold = 0\ntoken_threshold = 0',
    faults: [{ after_tool_calls: 1, kind: 'agent_crash', agent: 'agent-2' }],
    storyOver: [ended('restore_checkpoint', 'agent-2')],
  },
  { name: 'attempts-person', port: 18931, person: true, checkpoint: 'max_recovery_attempts = 2', faults: Array.from({ length: 3 }, () => ({ after_tool_calls: 1, kind: 'network_timeout', agent: 'agent-1' })) },
  { name: 'deadlock-person', port: 18933, person: true, faults: [{ after_tool_calls: 1, kind: 'consensus_deadlock', agent: 'agent-1' }] },
  {
    // The sim's own disk_full error pauses first; the [limits] check then finds the run folder over the limit.
    name: 'disk-person',
    port: 18934,
    person: true,
    extra: '[limits]\ndisk_space_limit_gb = 0.01',
    faults: [{ after_tool_calls: 1, kind: 'disk_limit', agent: 'agent-1' }],
    beforeContinue: [(e) => e.type === 'limit' && e.kind === 'disk'],
  },
];
const ALL_CASES = [...CASES, ...SECOND_ROUND];

interface Outcome {
  runDir: string;
  result: CliResult;
  events: MegatestEvent[];
  report: FinalReport;
  log: string;
}

const runsDir = tempRunsDir('megatest-fault-matrix-');
const outcomes = new Map<string, Outcome>();

async function runCase(c: Case): Promise<void> {
  const configFile = path.join(runsDir, 'configs', `${c.name}.toml`);
  writeFileSync(configFile, toml(c));
  const runDir = path.join(runsDir, c.name);
  const args = ['run', 'task_queue', '--headless', '--agents', String(c.agents ?? 2), '--duration', '60s', '--seed', '11'];
  args.push('--config', configFile, '--runs-dir', runsDir, '--session-id', c.name, '--port', String(c.port));
  const run: RunningCli = runHeadless(args, { timeoutMs: 150_000, env: c.person ? { CI: 'false' } : {} });
  if (c.person) {
    await waitForEventWhileRunning(run, runDir, 'command', (e) => e.name === 'pause' && e.source === 'engine', 100_000);
    for (const before of c.beforeContinue ?? []) await waitForEventWhileRunning(run, runDir, 'limit', (e) => before(e), 100_000);
    const continued = await runCli(['continue', runDir]);
    expect(continued.code, continued.stderr).toBe(0);
    await waitForEventWhileRunning(run, runDir, 'command', (e) => e.name === 'continue', 100_000);
    // Progress after the continue: the agent works again.
    const resumedAt = eventsOf(readEvents(runDir), 'command').find((e) => e.name === 'continue')!.seq;
    await waitForEventWhileRunning(run, runDir, 'tool_call', (t) => t.agent === 'agent-1' && t.seq > resumedAt, 100_000);
    run.child.kill('SIGTERM');
  } else if (c.name === 'test-failure') {
    const error = await waitForEventWhileRunning(run, runDir, 'error', (e) => e.class === 'test_failure', 100_000);
    await waitForEventWhileRunning(run, runDir, 'tool_call', (t) => t.agent === 'agent-1' && t.seq > error.seq, 100_000);
    // The sim plants defects for a later phase to fix: a phase-end test run fails for real, and the run goes on.
    const failedRun = await waitForEventWhileRunning(run, runDir, 'test_run', (t) => t.failed > 0, 100_000);
    await waitForEventWhileRunning(run, runDir, 'tool_call', (t) => t.seq > failedRun.seq, 100_000);
    run.child.kill('SIGTERM');
  } else if (c.storyOver) {
    for (const over of c.storyOver) await waitForEventWhileRunning(run, runDir, 'recovery', (e) => over(e), 100_000);
    run.child.kill('SIGTERM');
  }
  const result = await run.done;
  outcomes.set(c.name, { runDir, result, events: readEvents(runDir), report: readReport(runDir), log: readFileSync(path.join(runDir, 'session.log'), 'utf8') });
}

/** A few sessions at a time: the machine has two cores. */
async function runAll(cases: Case[], width = 3): Promise<void> {
  const queue = [...cases];
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) await runCase(c);
    }),
  );
}

const get = (name: string): Outcome => {
  const o = outcomes.get(name);
  if (!o) throw new Error(`no outcome for ${name}`);
  return o;
};
const recoveriesOf = (o: Outcome, action?: string, agent?: string) =>
  eventsOf(o.events, 'recovery').filter((r) => (action === undefined || r.action === action) && (agent === undefined || r.agent === agent));
const endedAs = (o: Outcome) => eventsOf(o.events, 'session_ended')[0];

describe.skipIf(!BUILT)(`the failure matrix of DESIGN §8, each injected into a sim session${SKIP}`, () => {
  beforeAll(async () => {
    mkdirSync(path.join(runsDir, 'configs'), { recursive: true });
    await runAll(CASES);
    await runAll(SECOND_ROUND, 1);
  }, 400_000);
  afterAll(() => {
    killRunsIn(runsDir);
    if (!process.env.FAULT_MATRIX_KEEP) removeDir(runsDir);
  });

  describe.each(ALL_CASES.map((c) => c.name))('%s: what every case shares', (name) => {
    it("the report's errors and recoveries are the log's", () => {
      const o = get(name);
      const byClass: Record<string, number> = {};
      for (const e of eventsOf(o.events, 'error')) byClass[e.class] = (byClass[e.class] ?? 0) + 1;
      expect(o.report.reliability.errors_by_class).toEqual(byClass);
      const recoveries = eventsOf(o.events, 'recovery');
      const countOf = (...outcomes: string[]) => recoveries.filter((r) => outcomes.includes(r.outcome)).length;
      expect(o.report.reliability.recoveries).toBe(countOf('succeeded'));
      expect(o.report.reliability.recoveries_started).toBe(countOf('started'));
      expect(o.report.reliability.recoveries_failed).toBe(countOf('failed', 'gave_up'));
      expect(o.report.reliability.recoveries_open).toBe(0);
    });

    it('session.log holds no stack trace', () => {
      expect(get(name).log).not.toMatch(/^\s+at .+[:(]\d+:\d+\)?$/m);
    });
  });

  it('network timeout: retried 3 times at once, then waits of the configured exponential backoff; one succeeds at progress', () => {
    const o = get('transient');
    const started = recoveriesOf(o, undefined, 'agent-1').filter((r) => r.outcome === 'started');
    const expected = Array.from({ length: NETWORK_TIMEOUTS }, (_, i) => (i < 3 ? 'retry_immediate' : 'retry_with_backoff'));
    expect(started.map((r) => r.action)).toEqual(expected);
    expect(started.map((r) => r.attempt)).toEqual(expected.map((_, i) => i + 1));
    const waits = started.filter((r) => r.action === 'retry_with_backoff').map((r) => Number(/waiting ([\d.]+) s/.exec(r.detail ?? '')?.[1]));
    expect(waits).toEqual(expected.slice(3).map((_, n) => expectedWait(n + 1)));
    // Each came before progress, so each but the last failed; the last succeeded at the agent's next tool call.
    const outcomesOf = recoveriesOf(o, undefined, 'agent-1').filter((r) => r.outcome !== 'started');
    expect(outcomesOf.map((r) => r.outcome)).toEqual([...Array.from({ length: NETWORK_TIMEOUTS - 1 }, () => 'failed'), 'succeeded']);
  });

  it('rate limit: a wait of the initial backoff, then the next model of [agents].models', () => {
    const o = get('transient');
    const started = recoveriesOf(o, undefined, 'agent-2').filter((r) => r.outcome === 'started');
    expect(started.map((r) => r.action)).toEqual(['retry_with_backoff', 'switch_model']);
    expect(started[0]!.detail).toContain(`waiting ${expectedWait(1)} s`);
    expect(started[1]!.detail).toContain(`${MODELS[0]} -> ${MODELS[1]}`);
    expect(recoveriesOf(o, 'switch_model', 'agent-2').at(-1)!.outcome).toBe('succeeded');
  });

  it('parse failure: the tasks are sent again with a note (retry with a modified prompt), and it succeeds', () => {
    const o = get('parse');
    expect(recoveriesOf(o, 'retry_with_modification', 'agent-1').map((r) => r.outcome)).toEqual(['started', 'succeeded']);
    expect(endedAs(o)).toMatchObject({ status: 'interrupted' });
    // Protocol errors are the lines the agent printed that are no protocol: its one malformed JSON line here, counted
    // from its output.log; its error message that reads as a parse failure is an error, and no such line.
    const malformed = readFileSync(path.join(o.runDir, 'agents', 'agent-1', 'output.log'), 'utf8')
      .split('\n')
      .filter((line) => {
        if (!line.startsWith('{')) return false;
        try {
          JSON.parse(line);
          return false;
        } catch {
          return true;
        }
      });
    expect(malformed.length).toBeGreaterThan(0);
    expect(o.report.agents.find((a) => a.name === 'agent-1')!.protocol_errors).toBe(malformed.length);
    expect(o.report.reliability.protocol_errors).toBe(malformed.length);
  });

  it('max_recovery_attempts: the attempt past it gives up, and in CI the session ends failed (exit 1)', () => {
    const o = get('attempts');
    const limit = 2;
    const started = recoveriesOf(o).filter((r) => r.outcome === 'started');
    expect(started.map((r) => [r.action, r.attempt])).toEqual(Array.from({ length: limit }, (_, i) => ['retry_immediate', i + 1]));
    const gaveUp = recoveriesOf(o).filter((r) => r.outcome === 'gave_up');
    expect(gaveUp[0]).toMatchObject({ action: 'pause_and_alert', attempt: limit + 1 });
    expect(gaveUp[0]!.detail).toContain(`${limit} recovery attempts`);
    expect(endedAs(o)).toMatchObject({ status: 'failed' });
    expect(o.result.code).toBe(1);
  });

  it('max_consecutive_errors: the error past it gives up, and in CI the session ends failed (exit 1)', () => {
    const o = get('in-a-row');
    const limit = 2;
    const gaveUp = recoveriesOf(o).filter((r) => r.outcome === 'gave_up');
    expect(gaveUp[0]?.detail, JSON.stringify(o.events.filter((e) => e.type === 'recovery' || e.type === 'error'))).toContain(`${limit + 1} errors in a row`);
    expect(recoveriesOf(o).filter((r) => r.outcome === 'started')).toHaveLength(limit);
    expect(endedAs(o)).toMatchObject({ status: 'failed' });
    expect(o.result.code).toBe(1);
  });

  it('consensus deadlock: escalated (a critical alert, a pause for a person), which in CI ends the session failed', () => {
    const o = get('deadlock');
    expect(eventsOf(o.events, 'error').filter((e) => e.class === 'consensus_deadlock')).toHaveLength(1);
    expect(recoveriesOf(o, 'escalate').map((r) => r.outcome)).toEqual(['started', 'gave_up']);
    expect(eventsOf(o.events, 'alert').some((a) => a.level === 'critical')).toBe(true);
    expect(endedAs(o)).toMatchObject({ status: 'failed' });
    expect(o.result.code).toBe(1);
  });

  it('over disk_space_limit_gb: a disk_full error, a pause for a person with a critical alert; in CI the session ends failed', () => {
    const o = get('disk');
    // The sim says it filled the disk: that error pauses the session (pause_and_alert) before the next health check
    // measures the run folder, so in CI the session has ended before any `limit` event of the [limits] check.
    expect(eventsOf(o.events, 'error').filter((e) => e.class === 'disk_full')).toHaveLength(1);
    expect(recoveriesOf(o, 'pause_and_alert').map((r) => r.outcome)).toEqual(['started', 'gave_up']);
    expect(eventsOf(o.events, 'alert').some((a) => a.level === 'critical')).toBe(true);
    expect(endedAs(o)).toMatchObject({ status: 'failed' });
    expect(o.result.code).toBe(1);
  });

  it('with a person, the attempt past max_recovery_attempts pauses the session until a person continues it; the agent works again', () => {
    const o = get('attempts-person');
    const gaveUp = recoveriesOf(o).find((r) => r.outcome === 'gave_up');
    expect(gaveUp).toMatchObject({ action: 'pause_and_alert', attempt: 3 });
    const commands = eventsOf(o.events, 'command').filter((c) => c.seq > gaveUp!.seq);
    expect(commands.slice(0, 2).map((c) => [c.name, c.source])).toEqual([
      ['pause', 'engine'],
      ['continue', 'cli'],
    ]);
    expect(eventsOf(o.events, 'alert').some((a) => a.level === 'critical' && a.seq > gaveUp!.seq)).toBe(true);
    expect(endedAs(o)).toMatchObject({ status: 'interrupted' });
  });

  it('with a person, a consensus deadlock pauses the session (escalate), and the escalation succeeds when a person continues', () => {
    const o = get('deadlock-person');
    expect(recoveriesOf(o, 'escalate').map((r) => r.outcome)).toEqual(['started', 'succeeded']);
    expect(recoveriesOf(o, 'escalate')[1]!.detail).toContain('continued (cli)');
    expect(eventsOf(o.events, 'command').map((c) => [c.name, c.source])).toEqual(expect.arrayContaining([['pause', 'engine'], ['continue', 'cli']]));
    expect(endedAs(o)).toMatchObject({ status: 'interrupted' });
  });

  it('with a person, over disk_space_limit_gb: a disk limit and a pause with a critical alert; after a continue the run goes on over the limit', () => {
    const o = get('disk-person');
    const limit = eventsOf(o.events, 'limit').find((l) => l.kind === 'disk');
    expect(limit).toMatchObject({ action: 'pause' });
    expect(eventsOf(o.events, 'alert').some((a) => a.level === 'critical' && a.seq > limit!.seq)).toBe(true);
    expect(recoveriesOf(o, 'pause_and_alert').map((r) => r.outcome)).toEqual(['started', 'succeeded']);
    const continued = eventsOf(o.events, 'command').find((c) => c.name === 'continue')!;
    expect(eventsOf(o.events, 'command').filter((c) => c.name === 'pause' && c.seq > continued.seq)).toEqual([]);
    expect(o.events.some((e) => e.type === 'tool_call' && e.seq > continued.seq)).toBe(true);
    expect(endedAs(o)).toMatchObject({ status: 'interrupted' });
  });

  it('agent_crash before any checkpoint: the agent alone is restarted, and the recovery succeeds when it works again', () => {
    const o = get('crash-early');
    const error = eventsOf(o.events, 'error').find((e) => e.class === 'agent_crash');
    expect(error?.agent).toBe('agent-2');
    expect(eventsOf(o.events, 'checkpoint_created').filter((c) => c.seq < error!.seq)).toEqual([]);
    expect(recoveriesOf(o, 'restore_checkpoint', 'agent-2').map((r) => r.outcome)).toEqual(['started', 'succeeded']);
    expect(eventsOf(o.events, 'checkpoint_restored')).toEqual([]);
    const starts = eventsOf(o.events, 'agent_started');
    expect(starts.filter((a) => a.agent === 'agent-2' && a.seq > error!.seq)).toHaveLength(1);
    expect(starts.filter((a) => a.agent === 'agent-1' && a.seq > error!.seq)).toEqual([]);
  });

  for (const [name, errorClass, agent] of [
    ['crash', 'agent_crash', 'agent-2'],
    ['hang', 'agent_hang', 'agent-1'],
  ] as const) {
    it(`${errorClass}: the last checkpoint restored and the agents restarted; the recovery succeeds`, () => {
      const o = get(name);
      const error = eventsOf(o.events, 'error').find((e) => e.class === errorClass);
      expect(error?.agent).toBe(agent);
      expect(recoveriesOf(o, 'restore_checkpoint', agent).map((r) => r.outcome)).toEqual(['started', 'succeeded']);
      const created = eventsOf(o.events, 'checkpoint_created').filter((c) => c.seq < error!.seq);
      const restored = eventsOf(o.events, 'checkpoint_restored').filter((r) => r.seq > error!.seq);
      expect(restored[0]?.id).toBe(created.at(-1)?.id);
      expect(endedAs(o)).toMatchObject({ status: 'interrupted' });
    });
  }

  it('data corruption: stop and restore: the last checkpoint is put back, then the session ends failed (exit 1)', () => {
    const o = get('corruption');
    const error = eventsOf(o.events, 'error').find((e) => e.class === 'data_corruption');
    expect(error?.severity).toBe('fatal');
    expect(recoveriesOf(o, 'stop').map((r) => r.outcome)).toEqual(['started', 'succeeded']);
    const before = eventsOf(o.events, 'checkpoint_created').filter((c) => c.seq < error!.seq);
    expect(before.length).toBeGreaterThan(0);
    const restored = eventsOf(o.events, 'checkpoint_restored').filter((r) => r.seq > error!.seq);
    expect(restored.map((r) => r.id)).toEqual([before.at(-1)!.id]);
    expect(restored[0]!.reason).toContain('data_corruption');
    // The final checkpoint is of the restored project; what the corruption left is kept in the attempt's folder.
    const final = eventsOf(o.events, 'checkpoint_created').find((c) => c.trigger === 'final');
    expect(final!.seq).toBeGreaterThan(restored[0]!.seq);
    const attempts = readdirSync(path.join(o.runDir, 'agents', 'agent-1', 'attempts')).filter((d) => d.endsWith('-data_corruption-1'));
    expect(attempts).toHaveLength(1);
    expect(existsSync(path.join(o.runDir, 'agents', 'agent-1', 'attempts', attempts[0]!, 'project.diff'))).toBe(true);
    expect(endedAs(o)).toMatchObject({ status: 'failed' });
    expect(o.result.code).toBe(1);
  });

  it('test failure: logged and the run goes on, no recovery', () => {
    const o = get('test-failure');
    expect(eventsOf(o.events, 'error').filter((e) => e.class === 'test_failure')).toHaveLength(1);
    expect(recoveriesOf(o)).toEqual([]);
    // A failed test run of the project (a planted defect) is its test_run event and a WARN line: no error, no recovery.
    const failedRun = eventsOf(o.events, 'test_run').find((t) => t.failed > 0)!;
    expect(eventsOf(o.events, 'error')).toHaveLength(1);
    expect(o.log).toContain(`[tests] ${failedRun.passed} passed, ${failedRun.failed} failed`);
    expect(o.events.some((e) => e.type === 'tool_call' && e.seq > failedRun.seq)).toBe(true);
    expect(endedAs(o)).toMatchObject({ status: 'interrupted' });
  });
});
