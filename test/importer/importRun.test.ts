// megatest import in process: each recorded file (../shared/fixtures, read in
// place, and this folder's own under test/fixtures/importer/) becomes a run
// folder whose events carry the parser's counts. Every expected figure is
// counted in streamCounts.ts from the file itself, never by a parser.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { MegatestEvent } from '../../src/contract/events.js';
import { runControlCommand } from '../../src/cli/controlCommands.js';
import { importRecordedRun, type ImportResult } from '../../src/importer/importRun.js';
import type { ImportKind } from '../../src/importer/kinds.js';
import { PACKAGE_ROOT, SHARED_FIXTURES_DIR } from '../../src/paths.js';
import { UsageError } from '../../src/config/errors.js';
import { reportExitCode } from '../../src/report/report.js';
import { eventsOf, readEvents, readReport } from '../helpers/cli.js';
import { claudeCounts, codexCounts, protocolCounts, selfwareCounts, type StreamCounts } from './streamCounts.js';

const OWN = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'importer');
const root = mkdtempSync(path.join(tmpdir(), 'megatest-import-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let sessions = 0;
async function importFiles(kind: ImportKind, files: string[]): Promise<{ result: ImportResult; events: MegatestEvent[] }> {
  sessions += 1;
  const result = await importRecordedRun({ kind, files, runsDir: root, sessionId: `imp-${sessions}` });
  return { result, events: readEvents(result.runDir) };
}

const OUTCOME_END = {
  succeeded: { status: 'completed', exit: 0 },
  failed: { status: 'failed', exit: 1 },
  max_turns: { status: 'failed', exit: 1 },
  interrupted: { status: 'interrupted', exit: 130 },
} as const;

/** The imported folder against what the file itself says. */
function expectCounts(events: MegatestEvent[], result: ImportResult, file: string, counts: StreamCounts, tasksNamed?: string[]): void {
  // A whole log: seq from 1 with no gap, times never going back.
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  for (let i = 1; i < events.length; i++) expect(Date.parse(events[i]!.ts)).toBeGreaterThanOrEqual(Date.parse(events[i - 1]!.ts));

  const calls = eventsOf(events, 'tool_call');
  const byName: Record<string, number> = {};
  for (const call of calls) byName[call.tool] = (byName[call.tool] ?? 0) + 1;
  expect(byName).toEqual(counts.tools);
  if (counts.failedTools !== null) expect(calls.filter((c) => !c.ok)).toHaveLength(counts.failedTools);

  expect(eventsOf(events, 'agent_state').flatMap((e) => (e.step === undefined ? [] : [e.step]))).toEqual(counts.steps);

  const tokens = eventsOf(events, 'tokens').reduce((n, t) => n + t.input + t.output, 0);
  expect(tokens).toBe(counts.tokens ?? 0);
  const report = readReport(result.runDir);
  // A stream with no usage at all (selfware without --show-tokens): not recorded, never 0 tokens.
  expect(report.measurements.total_tokens).toBe(counts.tokens);
  if (counts.tokens === null) {
    expect(report.agents.map((a) => a.tokens)).toEqual(report.agents.map(() => null));
    expect(report.models.map((m) => m.total_tokens)).toEqual(report.models.map(() => null));
    expect(report.efficiency.tokens_per_loc.value).toBeNull();
  }
  expect(report.measurements.tool_calls).toBe(calls.length);
  if (counts.costUsd !== null) expect(report.models.reduce((n, m) => n + (m.cost_usd ?? 0), 0)).toBeCloseTo(counts.costUsd, 6);
  if (counts.costUsd === null) expect(report.measurements.cost_usd).toBeNull();
  else expect(report.measurements.cost_usd).toBeCloseTo(counts.costUsd, 6);

  const errors = eventsOf(events, 'error');
  const taskEnds = errors.filter((e) => e.class === 'agent_error' && e.message.startsWith('task "'));
  expect(errors.filter((e) => e.class === 'agent_error' && !e.message.startsWith('task "'))).toHaveLength(counts.errors);
  expect(taskEnds).toHaveLength(counts.outcome === 'failed' || counts.outcome === 'max_turns' ? 1 : 0);
  expect(errors.filter((e) => e.class === 'llm_retry')).toHaveLength(counts.retries);

  const ended = eventsOf(events, 'session_ended');
  expect(ended).toHaveLength(1);
  expect(events.at(-1)!.type).toBe('session_ended');
  if (counts.outcome === null) {
    expect(ended[0]).toMatchObject({ status: 'interrupted', exit_code: 130 });
    expect(ended[0]!.reason).toContain('without an outcome');
  } else {
    expect(ended[0]).toMatchObject({ status: OUTCOME_END[counts.outcome].status, exit_code: OUTCOME_END[counts.outcome].exit });
  }
  expect(result.status).toBe(ended[0]!.status);
  expectJudgedAsARecording(result.runDir, ended[0]!.exit_code);
  expect(readFileSync(path.join(result.runDir, 'status'), 'utf8').trim()).toBe(ended[0]!.status);
  // The one task of the recorded run is completed when the stream said it succeeded.
  // (A JSONL-protocol transcript names its own tasks done.)
  expect(eventsOf(events, 'task_completed').map((t) => t.task)).toEqual(tasksNamed ?? (counts.outcome === 'succeeded' ? [path.basename(file)] : []));

  // The folder a live run writes.
  for (const name of ['config.json', 'events.jsonl', 'session.log', 'status', 'metrics_current.json', 'metrics/metrics.jsonl', 'final_report.json', 'final_report.md', 'junit.xml']) {
    expect(existsSync(path.join(result.runDir, name)), name).toBe(true);
  }
  expect(readFileSync(path.join(result.runDir, 'agents', 'agent-1', 'output.log'))).toEqual(readFileSync(file));
  const metrics = JSON.parse(readFileSync(path.join(result.runDir, 'metrics_current.json'), 'utf8')) as { status: string; tool_calls: number; total_tokens: number };
  expect(metrics).toMatchObject({ status: ended[0]!.status, tool_calls: calls.length, total_tokens: counts.tokens });
  expect(eventsOf(events, 'session_started')[0]).toMatchObject({ agent_kind: result.imported.agent_kind, simulated: false, agents: 1 });
}

/**
 * No project was built, tested or measured and no checkpoint taken: those
 * criteria are not judged (never failed as "not measured"), so the report's
 * verdict and exit code are the recording's own.
 */
function expectJudgedAsARecording(runDir: string, exitCode: number): void {
  const report = readReport(runDir);
  expect(report.criteria.map((c) => c.id).sort()).toEqual(['no_event_loss', 'no_fatal_errors', 'tasks_completed']);
  expect(report.criteria_not_judged?.map((c) => c.id).sort()).toEqual(['build_passes', 'checkpoints_valid', 'coverage_target', 'doc_coverage', 'loc_target', 'tests_pass']);
  expect(report.criteria.filter((c) => c.level === 'critical').every((c) => c.passed)).toBe(true);
  expect(report.verdict.critical_passed).toBe(true);
  expect(reportExitCode(report)).toBe(exitCode);
  // Nothing judged on lines of code, so no target scaled to the recording's length.
  expect(report.loc_target_scale).toBeNull();
  const markdown = readFileSync(path.join(runDir, 'final_report.md'), 'utf8');
  expect(markdown).toMatch(/^\| verdict \| all critical criteria passed \(\d+ passed, \d+ failed; 6 not judged\) \|$/m);
  expect(markdown).toMatch(/^\| The project builds \| critical \| not judged \| an import builds no project \|$/m);
  expect(markdown).not.toContain('scaled');
  expect(markdown).toMatch(/^\| last build \| not run \|$/m);
  const junit = readFileSync(path.join(runDir, 'junit.xml'), 'utf8');
  expect(junit.match(/<skipped message="not judged: /g)).toHaveLength(6);
  expect(junit).not.toMatch(/<failure[^>]*type="critical"/);
}

/** What `megatest status` prints for the run, as text or as JSON. */
async function statusOutput(runDir: string, json: boolean): Promise<string> {
  const logs: string[] = [];
  const errors: string[] = [];
  expect(await runControlCommand('status', { runsDir: path.dirname(runDir), session: runDir, json }, { log: (s) => logs.push(s), error: (s) => errors.push(s) })).toBe(0);
  return logs.join('\n');
}

/** `megatest status --json` of the run: its snapshot. */
async function statusMetrics(runDir: string): Promise<Record<string, unknown>> {
  return (JSON.parse(await statusOutput(runDir, true)) as { metrics: Record<string, unknown> }).metrics;
}

/** The cost `status` gives: the stream's own cost reports summed, or none (not $0) for a stream that has none. */
async function expectStatusCost(runDir: string, costUsd: number | null): Promise<void> {
  const json = JSON.parse(await statusOutput(runDir, true)) as { cost_usd: number | null };
  const text = await statusOutput(runDir, false);
  if (costUsd === null) {
    expect(json.cost_usd).toBeNull();
    expect(text).not.toContain('cost $');
  } else {
    expect(json.cost_usd).toBeCloseTo(costUsd, 9);
    expect(text).toContain(`   cost $${costUsd.toFixed(4)}`);
  }
}

/** With no timestamps in the stream: 1 ms per line, ending at the file's modification time; and the report says so. */
async function expectLineOrder(events: MegatestEvent[], result: ImportResult, file: string): Promise<void> {
  const mtime = Math.floor(statSync(file).mtimeMs);
  const lines = readFileSync(file, 'utf8').split('\n').length - (readFileSync(file, 'utf8').endsWith('\n') ? 1 : 0);
  expect(Date.parse(events[0]!.ts)).toBe(mtime - lines);
  expect(Date.parse(events.at(-1)!.ts)).toBe(mtime);
  expect(result.imported.files[0]).toMatchObject({ timeline: 'line_order', lines });
  const report = readReport(result.runDir);
  expect(report.imported?.files[0]?.timeline).toBe('line_order');
  expect(readFileSync(path.join(result.runDir, 'final_report.md'), 'utf8')).toContain('**times are line order, not time** (1 ms per line, ');
  expect(readFileSync(path.join(result.runDir, 'session.log'), 'utf8')).toContain('timeline: line order, not time');
  // A rate over 1 ms per line means nothing: no snapshot gives one (7,610 tokens read "456,600 per minute").
  const snapshots = eventsOf(events, 'metrics');
  expect(snapshots.length).toBeGreaterThan(0);
  for (const snapshot of snapshots) expect(snapshot.metrics.tokens_per_minute).toBeNull();
  // Nor a duration: elapsed and the time left are null in every snapshot, as status has them (n/a), not 1 ms a line.
  for (const snapshot of snapshots) expect(snapshot.metrics).toMatchObject({ elapsed_seconds: null, estimated_remaining: null });
  // Nor does `status`, read from the files; and lines of code, never counted, are n/a there, not 0.
  const usage = eventsOf(events, 'tokens');
  // No test was run, and each agent's tokens are unknown where the stream reported no usage: n/a, not 0.
  // Nor memory, disk or files modified: no agent process ran and no project was measured.
  expect(await statusMetrics(result.runDir)).toMatchObject({
    tokens_per_minute: null,
    lines_of_code: null,
    files_modified: null,
    memory_usage_mb: null,
    disk_usage_bytes: null,
    tests_passed: null,
    tests_failed: null,
    total_tokens: usage.length === 0 ? null : usage.reduce((n, e) => n + e.input + e.output, 0),
    agents: [expect.objectContaining({ tokens: usage.length === 0 ? null : usage.reduce((n, e) => n + e.input + e.output, 0) })],
  });
}

function sharedFiles(folder: string, suffix: string): { present: boolean; files: string[] } {
  const dir = path.join(SHARED_FIXTURES_DIR, folder);
  const present = existsSync(dir);
  return { present, files: present ? readdirSync(dir).filter((n) => n.endsWith(suffix)).sort().map((n) => path.join(dir, n)) : [] };
}

const SHARED = [
  { kind: 'selfware', folder: 'selfware', suffix: '.agent.log', counts: selfwareCounts },
  { kind: 'claude-code', folder: 'claude-code', suffix: '.ndjson', counts: claudeCounts },
  { kind: 'codex', folder: 'codex', suffix: '.jsonl', counts: codexCounts },
] as const;

for (const { kind, folder, suffix, counts } of SHARED) {
  const { present, files } = sharedFiles(folder, suffix);
  describe.skipIf(!present)(`import --agent ${kind} of ../shared/fixtures/${folder}/*${suffix}${present ? '' : ' (skipped: ../shared/fixtures is absent)'}`, () => {
    it('finds the recorded files', () => expect(files.length).toBeGreaterThan(0));

    it.each(files.map((f) => [path.basename(f), f]))('%s: the counts in events.jsonl and the report are the stream\'s own', async (_name, file) => {
      const { result, events } = await importFiles(kind, [file]);
      const expected = counts(readFileSync(file, 'utf8'));
      expectCounts(events, result, file, expected);
      await expectLineOrder(events, result, file);
      await expectStatusCost(result.runDir, expected.costUsd);
      // Trust is the share of the agent's tool calls that succeeded: none to judge by with no call, not 100%.
      const calls = eventsOf(events, 'tool_call');
      const trust = calls.length === 0 ? null : Math.round((calls.filter((c) => c.ok).length / calls.length) * 10_000) / 10_000;
      expect(readReport(result.runDir).agents[0]!.trust_score).toBe(trust);
      // selfware and codex never report their context: unknown in every snapshot, not 0.
      const contexts = eventsOf(events, 'metrics').flatMap((m) => m.metrics.agents.map((a) => a.context_tokens));
      expect(contexts.length).toBeGreaterThan(0);
      if (kind !== 'claude-code') expect(new Set(contexts)).toEqual(new Set([null]));
    });
  });
}

describe('import of this folder\'s own recordings (test/fixtures/importer)', () => {
  it('a JSONL-protocol transcript: its messages, parse failures counted, tasks it named', async () => {
    const file = path.join(OWN, 'protocol.transcript.jsonl');
    const counts = protocolCounts(readFileSync(file, 'utf8'));
    const { result, events } = await importFiles('command', [file]);
    expectCounts(events, result, file, counts, counts.tasksDone);
    await expectLineOrder(events, result, file);
    // The protocol has no outcome: the run says so, and its tasks are the ones it named done.
    expect(result.reason).toContain('the JSONL protocol has no outcome line');
    expect(eventsOf(events, 'vote')).toHaveLength(counts.votes);
    const failures = eventsOf(events, 'error').filter((e) => e.class === 'parse_failure');
    expect(failures.reduce((n, e) => n + Number(/^(\d+) lines?/.exec(e.message)![1]), 0)).toBe(counts.malformed);
    expect(failures.at(-1)!.message).toContain(`(${counts.malformed} in all`);
  });

  it('a Claude stream with its own timestamps: the run follows them, and says so', async () => {
    const file = path.join(OWN, 'claude.timestamped.ndjson');
    const text = readFileSync(file, 'utf8');
    const { result, events } = await importFiles('claude-code', [file]);
    expectCounts(events, result, file, claudeCounts(text));
    const stamps = text.trim().split('\n').map((l) => Date.parse((JSON.parse(l) as { timestamp: string }).timestamp));
    expect(Date.parse(events[0]!.ts)).toBe(stamps[0]);
    expect(Date.parse(events.at(-1)!.ts)).toBe(stamps.at(-1));
    // The failed Bash call is placed at its result's time.
    const failed = eventsOf(events, 'tool_call').find((c) => !c.ok)!;
    expect(failed.ts).toBe('2026-03-01T10:00:40.000Z');
    expect(result.imported.files[0]!.timeline).toBe('stream');
    expect(readReport(result.runDir).elapsed_seconds).toBe((stamps.at(-1)! - stamps[0]!) / 1000);
    // Its own times make a rate: every snapshot has one once the stream has reported usage; before that,
    // tokens and rate are not recorded yet (null), not 0.
    const firstUsage = eventsOf(events, 'tokens')[0]!.seq;
    const snapshots = eventsOf(events, 'metrics');
    expect(snapshots.filter((e) => e.seq > firstUsage).length).toBeGreaterThan(0);
    for (const snapshot of snapshots) {
      // Its own times are durations: elapsed is recorded in every snapshot.
      expect(snapshot.metrics.elapsed_seconds).toEqual(expect.any(Number));
      if (snapshot.seq > firstUsage) expect(snapshot.metrics).toMatchObject({ tokens_per_minute: expect.any(Number), total_tokens: expect.any(Number) });
      else expect(snapshot.metrics).toMatchObject({ tokens_per_minute: null, total_tokens: null });
    }
    expect(await statusMetrics(result.runDir)).toMatchObject({ tokens_per_minute: expect.any(Number), lines_of_code: null });
    expect(readFileSync(path.join(result.runDir, 'final_report.md'), 'utf8')).toContain("times from the stream's own timestamps");
  });

  it('a Claude stream cut mid-line: no outcome, and the run says so', async () => {
    const file = path.join(OWN, 'claude.cut.ndjson');
    const { result, events } = await importFiles('claude-code', [file]);
    // The torn last line is one parse failure; the counts before it are whole.
    expectCounts(events, result, file, claudeCounts(readFileSync(file, 'utf8')));
    expect(eventsOf(events, 'error').filter((e) => e.class === 'parse_failure')).toHaveLength(1);
    expect(eventsOf(events, 'agent_exited')[0]!.cause).toContain('without an outcome');
  });

  it('a selfware log with token lines: tokens, steps (a repeated one too) and the recovery', async () => {
    const file = path.join(OWN, 'selfware.tokens.agent.log');
    const { result, events } = await importFiles('selfware', [file]);
    const counts = selfwareCounts(readFileSync(file, 'utf8'));
    expect(counts.tokens).toBeGreaterThan(0);
    expectCounts(events, result, file, counts);
  });

  it('a selfware log without token lines (recorded without --show-tokens): tokens not recorded, never 0', async () => {
    const withUsage = readFileSync(path.join(OWN, 'selfware.tokens.agent.log'), 'utf8');
    const file = path.join(root, 'selfware.no-usage.agent.log');
    writeFileSync(file, withUsage.split('\n').filter((line) => !line.includes('📊 Tokens:')).join('\n'));
    const counts = selfwareCounts(readFileSync(file, 'utf8'));
    expect(counts.tokens).toBeNull();
    expect(Object.keys(counts.tools).length).toBeGreaterThan(0);
    const { result, events } = await importFiles('selfware', [file]);
    expectCounts(events, result, file, counts);
    for (const snapshot of eventsOf(events, 'metrics')) expect(snapshot.metrics).toMatchObject({ total_tokens: null, tokens_per_minute: null });
    expect(await statusMetrics(result.runDir)).toMatchObject({ total_tokens: null, tokens_per_minute: null });
    expect(readFileSync(path.join(result.runDir, 'final_report.md'), 'utf8')).toMatch(/^\| tokens \| not recorded \|$/m);
  });

  it('several files: one agent each, merged in time order, each counted as its own', async () => {
    const files = ['selfware.tokens.agent.log', 'selfware.tokens.agent.log'].map((n) => path.join(OWN, n));
    const { result, events } = await importFiles('selfware', files);
    const counts = selfwareCounts(readFileSync(files[0]!, 'utf8'));
    expect(eventsOf(events, 'agent_started').map((e) => e.agent)).toEqual(['agent-1', 'agent-2']);
    for (const agent of ['agent-1', 'agent-2']) {
      expect(eventsOf(events, 'tool_call').filter((c) => c.agent === agent)).toHaveLength(Object.values(counts.tools).reduce((a, b) => a + b, 0));
      expect(eventsOf(events, 'tokens').filter((t) => t.agent === agent).reduce((n, t) => n + t.input + t.output, 0)).toBe(counts.tokens);
    }
    // Two files of the same name are two tasks.
    expect(eventsOf(events, 'task_completed').map((t) => t.task)).toEqual(['agent-1 selfware.tokens.agent.log', 'agent-2 selfware.tokens.agent.log']);
    expect(readReport(result.runDir).measurements.total_tokens).toBe(2 * counts.tokens!);
    expect(result.status).toBe('completed');
  });
});

describe('a file that is not the kind\'s output: refused before any folder is made', () => {
  /** Refused with one line naming the file and the kind, and nothing under the runs dir. */
  async function expectRefused(kind: ImportKind, file: string): Promise<string> {
    const before = readdirSync(root).sort();
    sessions += 1;
    const error = await importRecordedRun({ kind, files: [file], runsDir: root, sessionId: `imp-${sessions}` }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toContain(`FILE ${file}: `);
    expect(message).toContain(kind);
    expect(readdirSync(root).sort()).toEqual(before);
    return message;
  }

  it('an error line is codex\'s and the protocol\'s alike: alone it imports as codex; beside the protocol\'s own lines it is not codex output', async () => {
    const errorLine = path.join(root, 'error-only.jsonl');
    writeFileSync(errorLine, JSON.stringify({ type: 'error', message: 'unexpected status 401 Unauthorized' }) + '\n');
    const { result } = await importFiles('codex', [errorLine]);
    expect(result.status).toBe('failed');
    const transcript = path.join(OWN, 'protocol.transcript.jsonl');
    // The transcript has an error line, and lines only the protocol writes.
    expect(readFileSync(transcript, 'utf8')).toContain('{"type":"error"');
    expect(await expectRefused('codex', transcript)).toMatch(/it looks like command output \(--agent command\)$/);
  });

  it('selfware: a log whose only marker is its last (the task completed) imports; plain text with none is refused', async () => {
    const completed = path.join(root, 'completed-only.agent.log');
    writeFileSync(completed, 'some model prose\n✅ Task completed successfully!\n');
    const { result } = await importFiles('selfware', [completed]);
    expect(result.status).toBe('completed');
    const plain = path.join(root, 'cargo-test.log');
    writeFileSync(plain, 'running 3 tests\ntest parse ... ok\ntest result: ok. 3 passed; 0 failed\n');
    expect(await expectRefused('selfware', plain)).toContain('is --agent right?');
  });

  it('command: the agent\'s own plain output with no protocol line is not a protocol recording', async () => {
    const plain = path.join(root, 'plain.output.log');
    writeFileSync(plain, 'starting agent\nworking on it\n{not a protocol line\n');
    expect(await expectRefused('command', plain)).toContain('no line of it is a JSONL-protocol message');
  });
});
