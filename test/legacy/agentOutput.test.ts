// A Bash runner's session.log holds selfware's own output among the build's:
// read through the selfware parser, it gives the converted run an agent with
// its tool calls, errors, tokens and task end, counted here from the text
// (streamCounts.ts, never through a parser), all placed at the run's end
// because the file has no times. A session.log with nothing of selfware's in
// it adds nothing: those figures stay "not recorded".

import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runControlCommand } from '../../src/cli/controlCommands.js';
import type { MegatestEvent } from '../../src/contract/events.js';
import { convertLegacyRun } from '../../src/legacy/convert.js';
import { SHARED_FIXTURES_DIR, PACKAGE_ROOT } from '../../src/paths.js';
import { buildReport, renderMarkdown } from '../../src/report/report.js';
import { selfwareCounts, type StreamCounts } from '../importer/streamCounts.js';
import { LEGACY_FIXTURES, makeBashRunGoing } from './legacyFixtures.js';

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'megatest-legacy-agent-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const BASH_RUN = path.join(LEGACY_FIXTURES, 'bash-complete');
/** The build lines the Bash runner's session.log opens with (cargo building selfware). */
const BUILD_LINES = readFileSync(path.join(BASH_RUN, 'session.log'), 'utf8').split('\n').slice(0, 2).join('\n') + '\n';

let made = 0;
/** A copy of the bash-complete run whose session.log is `log`. */
function bashRunWith(log: string): string {
  made += 1;
  const dir = path.join(scratch, `run-${made}`);
  cpSync(BASH_RUN, dir, { recursive: true });
  writeFileSync(path.join(dir, 'session.log'), log);
  return dir;
}

const eventsOf = <T extends MegatestEvent['type']>(events: MegatestEvent[], type: T) => events.filter((e): e is Extract<MegatestEvent, { type: T }> => e.type === type);
const toolTotal = (counts: StreamCounts) => Object.values(counts.tools).reduce((a, b) => a + b, 0);

async function statusJson(runDir: string): Promise<{ metrics: Record<string, any> }> {
  const logs: string[] = [];
  expect(await runControlCommand('status', { runsDir: path.dirname(runDir), session: runDir, json: true }, { log: (s) => logs.push(s), error: () => undefined })).toBe(0);
  return JSON.parse(logs.join('\n'));
}

/** The converted run's agent figures against what the selfware text in its session.log says. */
async function expectAgentFigures(dir: string, agentText: string): Promise<void> {
  const counts = selfwareCounts(agentText);
  const { events } = await convertLegacyRun(dir);
  const started = eventsOf(events, 'session_started')[0]!;
  const ended = eventsOf(events, 'session_ended')[0]!;

  expect(eventsOf(events, 'agent_started')).toEqual([expect.objectContaining({ agent: 'selfware', ts: started.ts })]);
  const calls = eventsOf(events, 'tool_call');
  expect(calls).toHaveLength(toolTotal(counts));
  const byTool: Record<string, number> = {};
  for (const call of calls) byTool[call.tool] = (byTool[call.tool] ?? 0) + 1;
  expect(byTool).toEqual(counts.tools);
  // The file has no times: what selfware did is placed at the run's end.
  for (const event of [...calls, ...eventsOf(events, 'tokens'), ...eventsOf(events, 'task_completed'), ...eventsOf(events, 'agent_exited')]) expect(event.ts).toBe(ended.ts);
  const errors = eventsOf(events, 'error').filter((e) => e.class === 'agent_error' && !e.message.startsWith('task "'));
  expect(errors).toHaveLength(counts.errors);
  expect(eventsOf(events, 'task_completed').map((t) => t.task)).toEqual(counts.outcome === 'succeeded' ? ['session.log'] : []);
  expect(eventsOf(events, 'agent_exited')).toHaveLength(1);

  const report = await buildReport(dir);
  expect(report.measurements).toMatchObject({
    tool_calls: toolTotal(counts),
    tasks_completed: counts.outcome === 'succeeded' ? 1 : 0,
    total_tokens: counts.tokens,
  });
  expect(report.agents).toEqual([expect.objectContaining({ name: 'selfware', tool_calls: toolTotal(counts), tokens: counts.tokens === null ? null : expect.any(Number) })]);
  const status = await statusJson(dir);
  expect(status.metrics).toMatchObject({ tool_calls: toolTotal(counts), total_tokens: counts.tokens });
  expect(status.metrics.agents).toEqual([expect.objectContaining({ name: 'selfware', tokens: counts.tokens })]);
}

const sharedDir = path.join(SHARED_FIXTURES_DIR, 'selfware');
const shared = existsSync(sharedDir);
const agentLogs = shared ? readdirSync(sharedDir).filter((n) => n.endsWith('.agent.log')).sort() : [];

describe.skipIf(!shared)(`a Bash run whose session.log holds selfware's recorded output${shared ? '' : ' (skipped: ../shared/fixtures is absent)'}`, () => {
  it('finds the recorded logs', () => expect(agentLogs.length).toBeGreaterThan(0));

  it.each(agentLogs)('%s, between the build and the tests: its tool calls, errors and task end are the run\'s', async (name) => {
    const agentText = readFileSync(path.join(sharedDir, name), 'utf8');
    const post = path.join(sharedDir, name.replace(/\.agent\.log$/, '.post.log'));
    const dir = bashRunWith(BUILD_LINES + agentText + (existsSync(post) ? readFileSync(post, 'utf8') : ''));
    await expectAgentFigures(dir, agentText);
  });
});

describe('a Bash run\'s session.log and its agent', () => {
  it('with --show-tokens: the tokens are counted too, split into input and output', async () => {
    const agentText = readFileSync(path.join(PACKAGE_ROOT, 'test', 'fixtures', 'importer', 'selfware.tokens.agent.log'), 'utf8');
    const dir = bashRunWith(BUILD_LINES + agentText);
    await expectAgentFigures(dir, agentText);
    const prompt = [...agentText.matchAll(/📊 Tokens: (\d+) prompt \+ (\d+) completion/gu)];
    const report = await buildReport(dir);
    expect(report.measurements.input_tokens).toBe(prompt.reduce((n, m) => n + Number(m[1]), 0));
    expect(report.measurements.output_tokens).toBe(prompt.reduce((n, m) => n + Number(m[2]), 0));
  });

  it('a run still going (its monitor alive): the agent has not exited, and what it did so far is counted at its last record', async () => {
    const agentText = readFileSync(path.join(PACKAGE_ROOT, 'test', 'fixtures', 'importer', 'selfware.tokens.agent.log'), 'utf8');
    const dir = bashRunWith(BUILD_LINES + agentText);
    makeBashRunGoing(dir, process.pid);
    const { events } = await convertLegacyRun(dir);
    expect(eventsOf(events, 'session_ended')).toEqual([]);
    expect(eventsOf(events, 'agent_exited')).toEqual([]);
    const counts = selfwareCounts(agentText);
    expect(eventsOf(events, 'tool_call')).toHaveLength(toolTotal(counts));
    const last = events.at(-1)!;
    for (const call of eventsOf(events, 'tool_call')) expect(call.ts).toBe(last.ts);
  });

  it('with nothing of selfware\'s own in it: no agent, and its figures stay not recorded', async () => {
    // bash-complete's own session.log: build lines and text that is not in selfware's format.
    const { events } = await convertLegacyRun(BASH_RUN);
    expect(eventsOf(events, 'agent_started')).toEqual([]);
    const report = await buildReport(BASH_RUN);
    expect(report.measurements).toMatchObject({ tool_calls: null, tasks_completed: null, total_tokens: null });
    expect(report.agents).toEqual([]);
    expect(renderMarkdown(report)).toMatch(/\| tool calls \| not recorded \|/);
  });

  it('a run with no phases says so in its report, rather than an empty table', async () => {
    const md = renderMarkdown(await buildReport(BASH_RUN));
    expect(md).toMatch(/## Phases\n\nNone recorded: the run's files name no phases\./);
  });
});
