// The hourly token limit as a user meets it, its figures checked against
// events.jsonl counted here: a sim session whose agents reach their tokens
// per hour within seconds, killed with SIGKILL once both are throttled, then
// resumed. Each throttle's "N tokens in the last hour" is the sum of that
// agent's tokens events before it; a throttled agent spends nothing more,
// before the kill or after the resume (the hour is refilled from the log,
// not reset); the resume's throttles give the whole log's figures; the
// report's "limits hit" is the log's count. Every wait is for an event, with
// a deadline for a stuck session, never a duration. The tool-call limit
// gets the same count in a session of its own.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventOf, MegatestEvent } from '../../src/contract/events.js';
import { BUILT, eventsOf, readEvents, readReport, removeDir, runHeadless, tempRunsDir, waitFor, waitForEventWhileRunning, type CliResult } from '../helpers/cli.js';

const TOKENS_PER_HOUR = 20_000;
const DEADLINE_MS = 120_000;
const AGENTS = ['agent-1', 'agent-2'];

const CONFIG = `[monitoring]
health_check_interval = 1
control_port = 18943

[limits]
tokens_per_agent_per_hour = ${TOKENS_PER_HOUR}

[sim]
tokens_per_minute = 120000
`;

/** The tokens an agent spent in the events before `seq`, counted from the log. */
function spentBefore(events: MegatestEvent[], agent: string, seq: number): number {
  return eventsOf(events, 'tokens')
    .filter((t) => t.agent === agent && t.seq < seq)
    .reduce((sum, t) => sum + t.input + t.output, 0);
}

/** The figure a throttle event gives: "N tokens in the last hour >= LIMIT; …". */
function figureOf(limit: EventOf<'limit'>): number {
  const match = /^(\d+) tokens in the last hour >= (\d+); waiting \d+ s/.exec(limit.detail ?? '');
  expect(match, limit.detail).not.toBeNull();
  expect(Number(match![2])).toBe(TOKENS_PER_HOUR);
  return Number(match![1]);
}

const throttlesIn = (events: MegatestEvent[], after = 0) => eventsOf(events, 'limit').filter((l) => l.kind === 'tokens_per_hour' && l.seq > after);

describe.skipIf(!BUILT)('the hourly token limit across a kill -9 and a resume (needs npm run build)', () => {
  const runsDir = tempRunsDir('megatest-limits-audit-');
  const configDir = mkdtempSync(path.join(runsDir, 'config-'));
  const config = path.join(configDir, 'limits.toml');
  const runDir = path.join(runsDir, 'audit');
  let killed: CliResult;
  let resumed: CliResult;
  /** The seq of the resume's own command event: what came after is the resumed session's. */
  let resumeSeq = 0;

  beforeAll(async () => {
    writeFileSync(config, CONFIG);
    const first = runHeadless(['run', 'task_queue', '--headless', '--agents', '2', '--duration', '30m', '--config', config, '--runs-dir', runsDir, '--session-id', 'audit'], {
      timeoutMs: 300_000,
    });
    try {
      await waitForEventWhileRunning(first, runDir, 'limit', (l) => l.kind === 'tokens_per_hour', DEADLINE_MS);
      await waitFor(() => new Set(throttlesIn(readEvents(runDir)).map((l) => l.agent)).size === AGENTS.length && true, 'both agents throttled', DEADLINE_MS);
      first.child.kill('SIGKILL');
      killed = await first.done;
    } finally {
      first.child.kill('SIGKILL');
    }
    const second = runHeadless(['resume', 'audit', '--headless', '--runs-dir', runsDir], { timeoutMs: 300_000 });
    try {
      resumeSeq = (await waitForEventWhileRunning(second, runDir, 'command', (c) => c.name === 'resume', DEADLINE_MS)).seq;
      await waitFor(() => new Set(throttlesIn(readEvents(runDir), resumeSeq).map((l) => l.agent)).size === AGENTS.length && true, 'both agents throttled after the resume', DEADLINE_MS);
      // Both agents throttled for most of an hour: a few seconds of the resumed session show whether either spends.
      await waitForEventWhileRunning(second, runDir, 'metrics', (m) => m.seq > resumeSeq, DEADLINE_MS);
      second.child.kill('SIGTERM');
      resumed = await second.done;
    } finally {
      second.child.kill('SIGKILL');
    }
  }, 400_000);

  afterAll(() => removeDir(runsDir));

  it('a throttle says the tokens the agent spent, as the log counts them', () => {
    expect(killed.signal).toBe('SIGKILL');
    const events = readEvents(runDir);
    const before = throttlesIn(events).filter((l) => l.seq < resumeSeq);
    expect(before.map((l) => l.agent).sort()).toEqual(AGENTS);
    for (const throttle of before) {
      const spent = spentBefore(events, throttle.agent!, throttle.seq);
      expect(spent).toBeGreaterThanOrEqual(TOKENS_PER_HOUR);
      expect(figureOf(throttle)).toBe(spent);
    }
  });

  it('a throttled agent spends nothing more once it says it waits, before the kill or after the resume', () => {
    const events = readEvents(runDir);
    for (const agent of AGENTS) {
      const throttle = throttlesIn(events).find((l) => l.agent === agent)!;
      const waiting = eventsOf(events, 'agent_state').find((s) => s.agent === agent && s.seq > throttle.seq && s.status === 'waiting');
      expect(waiting, `${agent} said it waits`).toBeDefined();
      expect(eventsOf(events, 'tokens').filter((t) => t.agent === agent && t.seq > waiting!.seq)).toEqual([]);
    }
  });

  it('the resume goes on with the log’s last hour: each agent is throttled again with all it spent', () => {
    const events = readEvents(runDir);
    const after = throttlesIn(events, resumeSeq);
    expect(after.map((l) => l.agent).sort()).toEqual(AGENTS);
    for (const throttle of after) expect(figureOf(throttle)).toBe(spentBefore(events, throttle.agent!, throttle.seq));
  });

  it('the report’s limits hit is the log’s count of limit events, by kind too', () => {
    expect(resumed.code, resumed.stderr).not.toBeNull();
    const events = readEvents(runDir);
    const report = readReport(runDir);
    expect(report.reliability.limits_hit).toBe(eventsOf(events, 'limit').length);
    const byKind: Record<string, number> = {};
    for (const limit of eventsOf(events, 'limit')) byKind[limit.kind] = (byKind[limit.kind] ?? 0) + 1;
    expect(byKind.tokens_per_hour).toBeGreaterThan(0);
    expect(report.reliability.limits_by_kind).toEqual(byKind);
    const line = Object.entries(byKind).map(([kind, n]) => `${kind} ${n}`).join(', ');
    expect(readFileSync(path.join(runDir, 'final_report.md'), 'utf8')).toContain(`- limits hit: ${report.reliability.limits_hit} (${line})`);
  });
});

describe.skipIf(!BUILT)('the hourly tool-call limit (needs npm run build)', () => {
  const CALLS_PER_HOUR = 8;
  const runsDir = tempRunsDir('megatest-limits-audit-calls-');
  const runDir = path.join(runsDir, 'calls');

  beforeAll(async () => {
    const config = path.join(mkdtempSync(path.join(runsDir, 'config-')), 'calls.toml');
    writeFileSync(config, `[monitoring]\ncontrol_port = 18944\n\n[limits]\ntool_calls_per_agent_per_hour = ${CALLS_PER_HOUR}\n\n[sim]\ntool_calls_per_minute = 60\n`);
    const run = runHeadless(['run', 'task_queue', '--headless', '--agents', '2', '--duration', '30m', '--config', config, '--runs-dir', runsDir, '--session-id', 'calls'], { timeoutMs: 300_000 });
    try {
      await waitForEventWhileRunning(run, runDir, 'limit', (l) => l.kind === 'tool_calls_per_hour', DEADLINE_MS);
      const throttled = () => new Set(eventsOf(readEvents(runDir), 'limit').filter((l) => l.kind === 'tool_calls_per_hour').map((l) => l.agent));
      await waitFor(() => throttled().size === AGENTS.length && true, 'both agents throttled', DEADLINE_MS);
      run.child.kill('SIGTERM');
      await run.done;
    } finally {
      run.child.kill('SIGKILL');
    }
  }, 300_000);

  afterAll(() => removeDir(runsDir));

  it('a throttle says the tool calls the agent made, as the log counts them, at the limit; the agent makes none after it waits', () => {
    const events = readEvents(runDir);
    const throttles = eventsOf(events, 'limit').filter((l) => l.kind === 'tool_calls_per_hour');
    expect(throttles.map((l) => l.agent).sort()).toEqual(AGENTS);
    for (const throttle of throttles) {
      const calls = eventsOf(events, 'tool_call').filter((c) => c.agent === throttle.agent && c.seq < throttle.seq).length;
      expect(calls).toBeGreaterThanOrEqual(CALLS_PER_HOUR);
      expect(throttle.detail).toMatch(new RegExp(`^${calls} tool calls in the last hour >= ${CALLS_PER_HOUR}; waiting \\d+ s$`));
      const waiting = eventsOf(events, 'agent_state').find((s) => s.agent === throttle.agent && s.seq > throttle.seq && s.status === 'waiting');
      expect(waiting).toBeDefined();
      expect(eventsOf(events, 'tool_call').filter((c) => c.agent === throttle.agent && c.seq > waiting!.seq)).toEqual([]);
    }
  });
});
