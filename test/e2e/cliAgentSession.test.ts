// A whole claude-code session through the built CLI, on a fake claude
// (test/fixtures/agents/cliTask/fallbackClaude.mjs) whose first model is rate
// limited: each agent backs off once, then moves to the next model of
// [agents].models, and does every task there. Checked from the run folder:
// capabilities in events, status and the report; the report's per-model
// tasks, tokens and cost equal sums counted here from events.jsonl.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAUDE_CODE_CAPABILITIES } from '../../src/agents/claudeCode/spec.js';
import { BUILT, eventsOf, killRunsIn, readEvents, readReport, readStatusWord, runCli, runHeadless, waitFor, waitForEvent, type CliResult } from '../helpers/cli.js';
import type { MegatestEvent } from '../../src/contract/events.js';

const CONFIG = path.join('test', 'fixtures', 'agents', 'cliTask', 'fallback.toml');

describe.skipIf(!BUILT)(`a claude-code session with model fallback${BUILT ? '' : ' (skipped: dist/ is not built; run npm run build)'}`, () => {
  let runsDir: string;
  let runDir: string;
  let result: CliResult;
  let events: MegatestEvent[];

  beforeAll(async () => {
    runsDir = mkdtempSync(path.join(tmpdir(), 'megatest-cli-agent-'));
    runDir = path.join(runsDir, 'fallback');
    const args = ['run', 'task_queue', '--headless', '--agents', '2', '--duration', '5m', '--config', CONFIG, '--runs-dir', runsDir, '--session-id', 'fallback'];
    result = await runHeadless(args, { env: { FAKE_FAILING_MODEL: 'model-a' }, timeoutMs: 400_000 }).done;
    events = readEvents(runDir);
  }, 420_000);
  afterAll(() => rmSync(runsDir, { recursive: true, force: true }));

  it('ends with every task done', () => {
    expect(eventsOf(events, 'session_ended')[0], result.stdout + result.stderr).toMatchObject({ status: 'completed' });
    const planned = new Set(eventsOf(events, 'phase_started').flatMap((p) => p.tasks));
    expect(new Set(eventsOf(events, 'task_completed').map((t) => t.task))).toEqual(planned);
  });

  it('announces each agent’s capabilities', () => {
    const started = eventsOf(events, 'agent_started');
    expect(started.length).toBeGreaterThanOrEqual(4); // two on model-a, two again on model-b
    for (const event of started) expect(event.capabilities).toEqual(CLAUDE_CODE_CAPABILITIES);
    expect(started.slice(0, 2).map((e) => e.model)).toEqual(['model-a', 'model-a']);
  });

  it('moves each agent to the next model after the rate limit persists, and its work to that model', () => {
    for (const agent of ['agent-1', 'agent-2']) {
      const switched = eventsOf(events, 'recovery').filter((r) => r.agent === agent && r.action === 'switch_model' && r.outcome === 'started');
      expect(switched.map((r) => r.detail)).toEqual(['rate_limit: switching model model-a -> model-b']);
      const restarted = eventsOf(events, 'agent_started').filter((e) => e.agent === agent && e.seq > switched[0]!.seq);
      expect(restarted[0]!.model).toBe('model-b');
    }
    // Every task run on model-a failed: no task was completed there.
    const tokens = eventsOf(events, 'tokens');
    expect(tokens.filter((t) => t.model === 'model-a').every((t) => t.input + t.output === 0)).toBe(true);
    expect(eventsOf(events, 'error').filter((e) => e.class === 'rate_limit').length).toBeGreaterThanOrEqual(4);
  });

  it('the report lists which model did which tasks, with its tokens and cost as counted from the events', () => {
    const report = readReport(runDir);
    const tokens = eventsOf(events, 'tokens');
    const byModel = (model: string) => tokens.filter((t) => t.model === model);
    const sum = (list: number[]) => list.reduce((a, b) => a + b, 0);
    const modelB = report.models.find((m) => m.model === 'model-b')!;
    expect(new Set(modelB.tasks)).toEqual(new Set(eventsOf(events, 'task_completed').map((t) => t.task)));
    expect(modelB.input_tokens).toBe(sum(byModel('model-b').map((t) => t.input)));
    expect(modelB.output_tokens).toBe(sum(byModel('model-b').map((t) => t.output)));
    expect(modelB.total_tokens).toBeGreaterThan(0);
    const costs = byModel('model-b').flatMap((t) => (t.cost_usd === undefined ? [] : [t.cost_usd]));
    expect(costs.length).toBeGreaterThanOrEqual(modelB.tasks.length);
    expect(modelB.cost_usd).toBeCloseTo(sum(costs), 6);
    const modelA = report.models.find((m) => m.model === 'model-a')!;
    expect(modelA.tasks).toEqual([]);
    expect(modelA.total_tokens).toBe(0);
    // The agents' rows say what they could do.
    expect(report.agents.map((a) => a.capabilities)).toEqual([CLAUDE_CODE_CAPABILITIES, CLAUDE_CODE_CAPABILITIES]);
    const markdown = readFileSync(path.join(runDir, 'final_report.md'), 'utf8');
    expect(markdown).toContain('## Models');
    expect(markdown).toMatch(/\| `model-b` \| \d+ \| \d{1,3}(,\d{3})* \(\d{1,3}(,\d{3})* in, \d{1,3}(,\d{3})* out\) \| \$\d+\.\d{4} \|/);
    expect(markdown).toContain('can: native resume, real token usage, cost, pause; cannot: own checkpoints, own compression');
  });

  it('status shows the capabilities, as text and as JSON', async () => {
    const text = await runCli(['status', runDir]);
    expect(text.stdout).toMatch(/^abilities {2}can: native resume, real token usage, cost, pause; cannot: own checkpoints, own compression$/m);
    const json = JSON.parse((await runCli(['status', runDir, '--json'])).stdout) as { capabilities: Record<string, unknown>; cost_usd: number | null };
    expect(json.capabilities).toEqual({ 'agent-1': CLAUDE_CODE_CAPABILITIES, 'agent-2': CLAUDE_CODE_CAPABILITIES });
    // What the agents said it cost: the sum of the cost reports in the event log, as the report's Models section gives it.
    const reported = eventsOf(readEvents(runDir), 'tokens').reduce((sum, e) => sum + (e.cost_usd ?? 0), 0);
    expect(reported).toBeGreaterThan(0);
    expect(json.cost_usd).toBeCloseTo(reported, 9);
    expect(text.stdout).toMatch(new RegExp(`^tokens .*   tool calls \\S+   cost \\$${reported.toFixed(4).replace('.', '\\.')}$`, 'm'));
  }, 60_000);

  it('ends each headless metrics line with the cost reported up to that snapshot, counted from the events', () => {
    // The progress lines a CI log shows, one per metrics snapshot, in the log's order.
    const lines = result.stdout.split('\n').filter((line) => /^\d\d:\d\d:\d\d \[(starting|running|paused|recovering|completed|failed|interrupted|timeout)\] /.test(line));
    const snapshots = eventsOf(events, 'metrics');
    expect(lines).toHaveLength(snapshots.length);
    // No restore rolled reports back: the cost at a snapshot is every report before it.
    expect(eventsOf(events, 'checkpoint_restored')).toEqual([]);
    const tokens = eventsOf(events, 'tokens');
    let withCost = 0;
    snapshots.forEach((snapshot, index) => {
      const reports = tokens.filter((t) => t.seq < snapshot.seq && t.cost_usd !== undefined);
      const cost = reports.reduce((sum, t) => sum + t.cost_usd!, 0);
      const tail = reports.length === 0 ? 'err \\d+' : `err \\d+ cost \\$${cost.toFixed(4).replace('.', '\\.')}`;
      expect(lines[index]).toMatch(new RegExp(`${tail}$`));
      if (reports.length > 0) withCost += 1;
    });
    expect(withCost).toBeGreaterThan(0);
  });
});

describe.skipIf(!BUILT)(`a claude-code session whose claude is not logged in${BUILT ? '' : ' (skipped: dist/ is not built; run npm run build)'}`, () => {
  const LOGIN_CONFIG = path.join('test', 'fixtures', 'agents', 'cliTask', 'login.toml');
  let runsDir: string;
  beforeAll(() => {
    runsDir = mkdtempSync(path.join(tmpdir(), 'megatest-cli-login-'));
  });
  afterAll(() => {
    // A failed wait leaves the paused session running: it would wait for a person for ever.
    killRunsIn(runsDir);
    rmSync(runsDir, { recursive: true, force: true });
  });
  const args = (id: string) => ['run', 'task_queue', '--headless', '--agents', '2', '--duration', '5m', '--config', LOGIN_CONFIG, '--runs-dir', runsDir, '--session-id', id];

  it('in CI: the first refused login ends the session, failed, saying why (no task after task failing, no model switch)', async () => {
    const result = await runHeadless(args('ci'), { env: { FAKE_LOGIN_FILE: path.join(runsDir, 'never') }, timeoutMs: 120_000 }).done;
    const events = readEvents(path.join(runsDir, 'ci'));
    expect(result.code, result.stdout + result.stderr).toBe(1);
    const errors = eventsOf(events, 'error');
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors.every((e) => e.class === 'authentication' && e.severity === 'critical')).toBe(true);
    expect(eventsOf(events, 'recovery').map((r) => r.action)).not.toContain('switch_model');
    expect(eventsOf(events, 'recovery').some((r) => r.action === 'pause_and_alert' && r.outcome === 'gave_up')).toBe(true);
    const ended = eventsOf(events, 'session_ended')[0]!;
    expect(ended).toMatchObject({ status: 'failed', exit_code: 1 });
    expect(ended.reason).toContain('Invalid API key · Please run /login');
  }, 150_000);

  it('with a person: the session pauses; logged in and continued, the failed tasks run again and every task is done', async () => {
    const loginFile = path.join(runsDir, 'logged-in');
    const runDir = path.join(runsDir, 'person');
    const running = runHeadless(args('person'), { env: { CI: '', FAKE_LOGIN_FILE: loginFile }, timeoutMs: 240_000 });
    await waitForEvent(runDir, 'recovery', (r) => r.action === 'pause_and_alert' && r.outcome === 'started', 120_000);
    await waitFor(() => readStatusWord(runDir) === 'paused', 'the session to pause', 60_000);
    // A person at a shell asks why it waits: status says, live and as JSON.
    const status = await runCli(['status', runDir]);
    // (the other agent's failure may come in while paused: "the session stays paused")
    expect(status.stdout).toMatch(/^alert {6}\S+ {2}authentication on agent-\d: task ".*" failed \(exit code 1\): Invalid API key · Please run \/login — (paused|the session stays paused); continue with `megatest continue`/m);
    // The pause is a recovery under way until the person continues: status names it.
    expect(status.stdout).toMatch(/^recovering \S+ {2}agent-\d pause_and_alert #1: authentication: pausing the session for a person$/m);
    const live = JSON.parse((await runCli(['status', runDir, '--json'])).stdout) as { last_alert: { ts: string; message: string } | null; recoveries_under_way: { agent: string; action: string }[]; cost_usd: number | null };
    // From the orchestrator: claude reported a cost of 0 for the refused run, which is a cost, not none.
    expect(live.cost_usd).toBe(0);
    expect(live.recoveries_under_way).toContainEqual(expect.objectContaining({ action: 'pause_and_alert', attempt: 1 }));
    const criticalAlerts = () => eventsOf(readEvents(runDir), 'alert').filter((a) => a.level === 'critical').map((a) => ({ ts: a.ts, message: a.message }));
    expect(criticalAlerts()).toContainEqual(live.last_alert);
    writeFileSync(loginFile, '');
    const continued = await runCli(['continue', runDir]);
    expect(continued.code, continued.stdout + continued.stderr).toBe(0);
    const result = await running.done;
    const events = readEvents(runDir);
    expect(eventsOf(events, 'session_ended')[0], result.stdout + result.stderr).toMatchObject({ status: 'completed' });
    const planned = new Set(eventsOf(events, 'phase_started').flatMap((p) => p.tasks));
    expect(new Set(eventsOf(events, 'task_completed').map((t) => t.task))).toEqual(planned);
    // the task that failed for want of a login is among them, done after the continue
    const failedTasks = eventsOf(events, 'error').map((e) => /task "(.*)" failed/.exec(e.message)?.[1]);
    expect(failedTasks.length).toBeGreaterThanOrEqual(1);
    for (const task of failedTasks) expect(planned.has(task!)).toBe(true);
    expect(eventsOf(events, 'recovery').filter((r) => r.action === 'pause_and_alert').map((r) => r.outcome)).toContain('succeeded');
    // Its test command ("true") prints no results: the report says so rather than only "not measured".
    const report = readReport(runDir);
    const testsPass = report.criteria.find((c: { id: string }) => c.id === 'tests_pass');
    expect(testsPass?.passed).toBe(false);
    expect(testsPass?.evidence).toMatch(/^test_pass_rate was not measured: the last test run gave no results: test results unreadable \(cargo\): .*; exit 0$/);
    // Completed, exit code 1: the end's reason names the critical criteria the report failed, so a CI log says why.
    const failedCritical = report.criteria.filter((c) => c.level === 'critical' && !c.passed).map((c) => c.id);
    expect(eventsOf(events, 'session_ended')[0]).toMatchObject({
      exit_code: 1,
      reason: `all phases completed; critical criteria not met: ${failedCritical.join(', ')} (final_report.md says why)`,
    });
    expect(result.stdout).toContain(`session ended: completed, exit code 1 (all phases completed; critical criteria not met: ${failedCritical.join(', ')}`);
    // Read back from the files once the orchestrator is gone: the same alert.
    const offline = JSON.parse((await runCli(['status', runDir, '--json'])).stdout) as { last_alert: { ts: string; message: string } | null };
    expect(offline.last_alert).toEqual(criticalAlerts().at(-1));
  }, 300_000);

  it('runs that found no login, stopped by a pause and failing after the continue, run again: the session is not paused again', async () => {
    // Seen on a loaded machine: claude checked its login, was stopped by the pause, and said so after the person had logged in and continued.
    const loginFile = path.join(runsDir, 'held-logged-in');
    const hold = path.join(runsDir, 'held-release');
    const runDir = path.join(runsDir, 'held');
    const running = runHeadless(args('held'), { env: { CI: '', FAKE_LOGIN_FILE: loginFile, FAKE_HOLD_FILE: hold }, timeoutMs: 240_000 });
    const waiting = () => (existsSync(`${hold}.waiting`) ? readFileSync(`${hold}.waiting`, 'utf8').split('\n').filter(Boolean).length : 0);
    await waitFor(() => waiting() === 2, 'both agents to find no login', 120_000);
    const paused = await runCli(['pause', runDir]);
    expect(paused.code, paused.stdout + paused.stderr).toBe(0);
    writeFileSync(loginFile, '');
    const continued = await runCli(['continue', runDir]);
    expect(continued.code, continued.stdout + continued.stderr).toBe(0);
    writeFileSync(hold, '');
    // What megatest does with each failure, before the session's end: a second pause would wait for a person for ever.
    const started = () => eventsOf(readEvents(runDir), 'recovery').filter((r) => r.outcome === 'started');
    await waitFor(() => started().length >= 2, 'a recovery for each failure', 120_000);
    expect(started().map((r) => r.action)).toEqual(['retry_immediate', 'retry_immediate']);
    const result = await running.done;
    const events = readEvents(runDir);
    expect(eventsOf(events, 'session_ended')[0], result.stdout + result.stderr).toMatchObject({ status: 'completed' });
    expect(eventsOf(events, 'error').filter((e) => e.class === 'authentication')).toHaveLength(2);
    const recoveries = eventsOf(events, 'recovery');
    expect(recoveries.filter((r) => r.action === 'pause_and_alert')).toEqual([]);
    const retried = recoveries.filter((r) => r.action === 'retry_immediate');
    expect(retried.filter((r) => r.outcome === 'started').map((r) => r.detail)).toEqual([
      expect.stringMatching(/^authentication: its run was under way at the pause and failed after the continue/),
      expect.stringMatching(/^authentication: its run was under way at the pause and failed after the continue/),
    ]);
    expect(retried.filter((r) => r.outcome === 'succeeded')).toHaveLength(2);
    expect(eventsOf(events, 'command').filter((c) => c.name === 'pause').map((c) => c.source)).toEqual(['cli']);
    const planned = new Set(eventsOf(events, 'phase_started').flatMap((p) => p.tasks));
    expect(new Set(eventsOf(events, 'task_completed').map((t) => t.task))).toEqual(planned);
  }, 300_000);
});

describe.skipIf(!BUILT)(`a claude-code session whose task titles read like errors${BUILT ? '' : ' (skipped: dist/ is not built; run npm run build)'}`, () => {
  const TITLES_CONFIG = path.join('test', 'fixtures', 'agents', 'cliTask', 'titles.toml');
  let runsDir: string;
  beforeAll(() => {
    runsDir = mkdtempSync(path.join(tmpdir(), 'megatest-cli-titles-'));
  });
  afterAll(() => {
    killRunsIn(runsDir);
    rmSync(runsDir, { recursive: true, force: true });
  });

  it('classifies what the agent said, not the task’s title: every failure is the rate limit, and the session ends with every task done', async () => {
    const runDir = path.join(runsDir, 'titles');
    const args = ['run', '--headless', '--agents', '2', '--duration', '5m', '--config', TITLES_CONFIG, '--runs-dir', runsDir, '--session-id', 'titles'];
    const result = await runHeadless(args, { env: { FAKE_FAILING_MODEL: 'model-a' }, timeoutMs: 240_000 }).done;
    const events = readEvents(runDir);
    expect(eventsOf(events, 'session_ended')[0], result.stdout + result.stderr).toMatchObject({ status: 'completed' });
    const planned = new Set(eventsOf(events, 'phase_started').flatMap((p) => p.tasks));
    expect(new Set(eventsOf(events, 'task_completed').map((t) => t.task))).toEqual(planned);
    // Each failure names its task ("Reject an invalid API key …", "Turn a corrupt cache entry …"), and is the rate limit it said.
    const errors = eventsOf(events, 'error');
    expect(errors.length).toBeGreaterThanOrEqual(2);
    for (const error of errors) expect({ class: error.class, message: error.message }).toEqual({ class: 'rate_limit', message: expect.stringMatching(/^task ".+" failed \(exit code 1\): API Error: 429 rate limit exceeded$/) });
    expect(errors.some((e) => [...planned].some((task) => e.message.includes(`"${task}"`)))).toBe(true);
  }, 300_000);
});

describe.skipIf(!BUILT)(`a claude-code session that hits its plan's usage limit${BUILT ? '' : ' (skipped: dist/ is not built; run npm run build)'}`, () => {
  const LIMIT_CONFIG = path.join('test', 'fixtures', 'agents', 'cliTask', 'usageLimit.toml');
  let runsDir: string;
  beforeAll(() => {
    runsDir = mkdtempSync(path.join(tmpdir(), 'megatest-cli-limit-'));
  });
  afterAll(() => {
    killRunsIn(runsDir);
    rmSync(runsDir, { recursive: true, force: true });
  });

  it('waits until the time claude gives, on the same model, then every task is done (in CI too: no person needed)', async () => {
    const runDir = path.join(runsDir, 'limit');
    const args = ['run', 'task_queue', '--headless', '--agents', '2', '--duration', '5m', '--config', LIMIT_CONFIG, '--runs-dir', runsDir, '--session-id', 'limit'];
    const result = await runHeadless(args, { env: { CI: 'true', FAKE_USAGE_LIMIT_FILE: path.join(runsDir, 'lifts-at') }, timeoutMs: 240_000 }).done;
    const events = readEvents(runDir);
    expect(eventsOf(events, 'session_ended')[0], result.stdout + result.stderr).toMatchObject({ status: 'completed' });
    const planned = new Set(eventsOf(events, 'phase_started').flatMap((p) => p.tasks));
    expect(new Set(eventsOf(events, 'task_completed').map((t) => t.task))).toEqual(planned);
    const liftsAtMs = Number(readFileSync(path.join(runsDir, 'lifts-at'), 'utf8')) * 1000;
    const errors = eventsOf(events, 'error');
    expect(errors.length).toBeGreaterThanOrEqual(1);
    for (const error of errors) expect({ class: error.class, message: error.message }).toEqual({ class: 'rate_limit', message: expect.stringMatching(/failed \(exit code 1\): Claude AI usage limit reached\|\d+$/) });
    // Held from its error on (not from when the queued recovery got to it), an agent starts no other task into the same
    // limit: it meets it once, and its wait is the only one.
    for (const agent of new Set(errors.map((e) => e.agent))) expect(errors.filter((e) => e.agent === agent).map((e) => e.class)).toEqual(['rate_limit']);
    const recoveries = eventsOf(events, 'recovery');
    expect(recoveries.map((r) => r.action)).not.toContain('switch_model');
    expect(recoveries.map((r) => r.outcome)).not.toContain('gave_up');
    const lifts = new Date(liftsAtMs).toISOString().slice(0, 16).replace('T', ' ');
    for (const wait of recoveries.filter((r) => r.outcome === 'started')) {
      expect(wait).toMatchObject({ action: 'retry_with_backoff', detail: expect.stringMatching(new RegExp(`^rate_limit: waiting \\d+s for the usage limit to lift \\(${lifts} UTC\\) before retry 1$`)) });
    }
    // Every agent that met the limit did its next task after it lifted, on the model it had.
    for (const agent of new Set(errors.map((e) => e.agent))) {
      const done = eventsOf(events, 'task_completed').filter((t) => t.agent === agent && t.seq > errors.find((e) => e.agent === agent)!.seq);
      expect(done.length).toBeGreaterThanOrEqual(1);
      expect(Date.parse(done[0]!.ts)).toBeGreaterThanOrEqual(liftsAtMs);
    }
    expect(new Set(eventsOf(events, 'agent_started').map((e) => e.model))).toEqual(new Set(['model-a']));
    // Both agents start at once, so both nearly always meet the limit before it lifts; then nobody can work, and the
    // session is held (paused, its clock stopped) until the first wait ends, and goes on by itself, in CI too.
    const commands = eventsOf(events, 'command').map((c) => ({ name: c.name, source: c.source, ms: Date.parse(c.ts) }));
    const firstErrors = [...new Set(errors.map((e) => e.agent))].map((agent) => Date.parse(errors.find((e) => e.agent === agent)!.ts));
    if (firstErrors.length === 2 && firstErrors.every((ms) => ms < liftsAtMs)) {
      // Held again, while the other agent still waits, when the first finished its share of the phase meanwhile
      // (its tasks take 150 ms; a loaded machine spreads the agents' limit messages seconds apart): pairs of them.
      const said = commands.map((c) => `${c.name} ${c.source}`);
      expect(said.length).toBeGreaterThanOrEqual(2);
      expect(said).toEqual(said.map((_said, i) => (i % 2 === 0 ? 'pause engine' : 'continue engine')));
      expect(commands[1]!.ms).toBeGreaterThanOrEqual(liftsAtMs);
      expect(eventsOf(events, 'alert').map((a) => a.message)).toContainEqual(expect.stringMatching(/^every agent with tasks left waits for the usage limit to lift \(the first at /));
    }
  }, 300_000);
});

describe.skipIf(!BUILT)(`a claude-code session of one agent in its worktree${BUILT ? '' : ' (skipped: dist/ is not built; run npm run build)'}`, () => {
  const ONE_CONFIG = path.join('test', 'fixtures', 'agents', 'cliTask', 'oneAgent.toml');
  let runsDir: string;
  beforeAll(() => {
    runsDir = mkdtempSync(path.join(tmpdir(), 'megatest-one-agent-'));
  });
  afterAll(() => {
    killRunsIn(runsDir);
    rmSync(runsDir, { recursive: true, force: true });
  });

  it('runs (--agents 1), and counts every task it finishes, one ended while the last was being merged too', async () => {
    const runDir = path.join(runsDir, 'one');
    const args = ['run', 'task_queue', '--headless', '--agents', '1', '--duration', '2m', '--config', ONE_CONFIG, '--runs-dir', runsDir, '--session-id', 'one'];
    const result = await runHeadless(args, { env: { CI: 'true' }, timeoutMs: 240_000 }).done;
    const events = readEvents(runDir);
    expect(eventsOf(events, 'session_ended')[0], result.stdout + result.stderr).toMatchObject({ status: 'completed' });
    expect(eventsOf(events, 'session_started')[0]).toMatchObject({ agents: 1 });
    expect(new Set(eventsOf(events, 'agent_started').map((e) => e.agent))).toEqual(new Set(['agent-1']));
    const planned = new Set(eventsOf(events, 'phase_started').flatMap((p) => p.tasks));
    expect(new Set(eventsOf(events, 'task_completed').map((t) => t.task))).toEqual(planned);
    // Its work went through its worktree and merges into main.
    expect(readFileSync(path.join(runDir, 'session.log'), 'utf8')).toMatch(/\[merge\] megatest\/agent-1 merged into main at [0-9a-f]{10}: /);
  }, 300_000);
});

describe.skipIf(!BUILT)(`a codex session whose every turn fails${BUILT ? '' : ' (skipped: dist/ is not built; run npm run build)'}`, () => {
  const FAILS_CONFIG = path.join('test', 'fixtures', 'agents', 'cliTask', 'codexFails.toml');
  let runsDir: string;
  beforeAll(() => {
    runsDir = mkdtempSync(path.join(tmpdir(), 'megatest-codex-fails-'));
  });
  afterAll(() => {
    killRunsIn(runsDir);
    rmSync(runsDir, { recursive: true, force: true });
  });

  it('one failed turn is one error and one recovery attempt: the first backs off, the second moves to the next model', async () => {
    const runDir = path.join(runsDir, 'fails');
    const args = ['run', 'task_queue', '--headless', '--agents', '2', '--duration', '1m', '--config', FAILS_CONFIG, '--runs-dir', runsDir, '--session-id', 'fails'];
    const result = await runHeadless(args, { env: { CI: 'true', FAKE_AGENT_FAULT: 'fail:1', FAKE_AGENT_LINE_MS: '0' }, timeoutMs: 240_000 }).done;
    const events = readEvents(runDir);
    expect(eventsOf(events, 'session_ended')[0], result.stdout + result.stderr).toBeDefined();
    const errors = eventsOf(events, 'error');
    for (const agent of ['agent-1', 'agent-2']) {
      // Each task run the agent's output.log shows ending with exit code 1 is at most one error, naming its task (none for a
      // run that ended once the session was stopping: the recovery that gave up stops it in CI).
      const failedRuns = (readFileSync(path.join(runDir, 'agents', agent, 'output.log'), 'utf8').match(/^\[megatest\] task ".*" ended: exit code 1\b/gm) ?? []).length;
      const agentErrors = errors.filter((e) => e.agent === agent);
      expect(agentErrors.length).toBeGreaterThanOrEqual(2);
      expect(agentErrors.length).toBeLessThanOrEqual(failedRuns);
      for (const error of agentErrors) expect(error.message).toMatch(/^task ".+" failed \(exit code 1\): fake-codex: injected failure/);
      for (const error of agentErrors) expect(error.class).toBe('rate_limit');
      const started = eventsOf(events, 'recovery').filter((r) => r.agent === agent && r.outcome === 'started');
      expect(started.slice(0, 2).map((r) => [r.action, r.attempt])).toEqual([['retry_with_backoff', 1], ['switch_model', 2]]);
      expect(started[1]!.detail).toBe('rate_limit: switching model model-a -> model-b');
      // the switch came from the agent's second failure, not from its first
      expect(started[1]!.seq).toBeGreaterThan(agentErrors[1]!.seq);
    }
  }, 300_000);
});
