// An agent that lies and babbles (issue 11, item 4), run as a `command`
// agent (test/fixtures/agents/bad-agent.mjs): 1e308 tokens, task_done for
// tasks nobody assigned, binary garbage, invalid JSON, wrong types, 500 KB
// strings. The session survives and ends; the totals are finite and equal
// the good lines' sums; every bad line is counted as a protocol error of its
// agent (events, report, final_report.md); every event stays small.
// Expected figures are counted here from each agent's output.log by the
// simple patterns below, never by the parser under test.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MegatestEvent } from '../../src/contract/events.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { BUILT, eventsOf, readEvents, readReport, removeDir, runHeadless, tempRunsDir, type CliResult } from '../helpers/cli.js';

const AGENT = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'agents', 'bad-agent.mjs');
const CONFIG = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'agents', 'bad-agent.toml');
const AGENTS = ['agent-1', 'agent-2'];

const TOKENS = /^\{"type":"tokens","input":(\d+),"output":(\d+),"model":"[^"]*"\}$/;
const TOOL_CALL = /^\{"type":"tool_call","tool":"[^"]+","ok":(true|false),"duration_ms":\d+\}$/;
const TASK_DONE = /^\{"type":"task_done","task":"([^"]+)"\}$/;
const ERROR = /^\{"type":"error","message":"[^"]*"\}$/;
const PLAIN_TEXT = /^[\x20-\x7e]*$/;

interface Counted {
  tokens: number;
  protocolErrors: number;
}

/** What the agent's output.log holds, by the patterns above: good tokens, and lines that are neither good protocol nor plain text. */
function countLog(agent: string, planned: Set<string>, runDir: string): Counted {
  const text = readFileSync(path.join(runDir, 'agents', agent, 'output.log')).toString('utf8');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  let tokens = 0;
  let protocolErrors = 0;
  for (const line of lines) {
    const spent = TOKENS.exec(line);
    if (spent) {
      tokens += Number(spent[1]) + Number(spent[2]);
      continue;
    }
    const done = TASK_DONE.exec(line);
    if (done) {
      if (!planned.has(done[1]!)) protocolErrors += 1;
      continue;
    }
    if (TOOL_CALL.test(line) || ERROR.test(line)) continue;
    if (!line.startsWith('{') && PLAIN_TEXT.test(line)) continue;
    protocolErrors += 1;
  }
  return { tokens, protocolErrors };
}

describe.skipIf(!BUILT)(`a command agent printing every bad line of issue 11${BUILT ? '' : ' (skipped: dist/ is not built; run npm run build)'}`, () => {
  const runsDir = tempRunsDir('megatest-bad-agent-');
  const runDir = path.join(runsDir, 'bad');
  let result: CliResult;
  let events: MegatestEvent[];
  let counted: Record<string, Counted>;

  beforeAll(async () => {
    result = await runHeadless(
      [
        'run', 'task_queue', '--headless', '--agents', String(AGENTS.length), '--duration', '2m', '--config', CONFIG,
        '--agent', 'command', '--agent-cmd', `${JSON.stringify(process.execPath)} ${JSON.stringify(AGENT)}`,
        '--runs-dir', runsDir, '--session-id', 'bad',
      ],
      { timeoutMs: 200_000 },
    ).done;
    events = readEvents(runDir);
    const planned = new Set(eventsOf(events, 'session_started')[0]!.phases.flatMap((p) => p.tasks ?? []));
    counted = Object.fromEntries(AGENTS.map((agent) => [agent, countLog(agent, planned, runDir)]));
  }, 220_000);
  afterAll(() => removeDir(runsDir));

  it('survives: the session ends completed, not failed by a budget of Infinity', () => {
    const ended = eventsOf(events, 'session_ended');
    expect(ended, `${result.stdout}\n${result.stderr}`).toHaveLength(1);
    expect(ended[0]!.status).toBe('completed');
    expect(eventsOf(events, 'limit').filter((l) => l.kind === 'total_token_budget')).toEqual([]);
  });

  it('keeps the totals finite and equal to the good lines’ sums', () => {
    const expected = AGENTS.reduce((sum, agent) => sum + counted[agent]!.tokens, 0);
    expect(expected).toBeGreaterThan(0);
    const report = readReport(runDir);
    expect(report.measurements.total_tokens).toBe(expected);
    const last = eventsOf(events, 'metrics').at(-1)!.metrics;
    expect(Number.isFinite(last.total_tokens)).toBe(true);
    expect(last.total_tokens).toBe(expected);
    for (const agent of AGENTS) expect(report.agents.find((a) => a.name === agent)!.tokens).toBe(counted[agent]!.tokens);
  });

  it('counts a task only when its agent was given it: never more done than planned', () => {
    const report = readReport(runDir);
    expect(report.measurements.tasks_completed).toBe(report.measurements.tasks_total);
    const planned = new Set(eventsOf(events, 'session_started')[0]!.phases.flatMap((p) => p.tasks ?? []));
    for (const done of eventsOf(events, 'task_completed')) expect(planned.has(done.task), done.task.slice(0, 80)).toBe(true);
  });

  it('counts every bad line per agent as a protocol error, in the events, the report and final_report.md', () => {
    const report = readReport(runDir);
    const markdown = readFileSync(path.join(runDir, 'final_report.md'), 'utf8');
    let total = 0;
    for (const agent of AGENTS) {
      const expected = counted[agent]!.protocolErrors;
      // 14 bad lines in the burst, and one unassigned task_done per phase.
      expect(expected).toBeGreaterThanOrEqual(14);
      const reported = eventsOf(events, 'error').filter((e) => e.class === 'parse_failure' && e.agent === agent);
      expect(reported.reduce((sum, e) => sum + (e.count ?? 1), 0)).toBe(expected);
      // At most one event a second: a burst is one event, not one per line.
      expect(reported.length).toBeLessThan(expected);
      expect(report.agents.find((a) => a.name === agent)!.protocol_errors).toBe(expected);
      expect(markdown).toMatch(new RegExp(`\\| ${agent} \\| [^|]+ \\| [^|]+ \\| [\\d,]+ \\| [\\d,]+ \\| [\\d.]+% \\| ${expected} \\|`));
      total += expected;
    }
    expect(report.reliability.protocol_errors).toBe(total);
  });

  it('keeps every event small: agent strings are cut to 4 KB and marked', () => {
    const lines = readFileSync(path.join(runDir, 'events.jsonl'), 'utf8').split('\n');
    const longest = Math.max(...lines.map((line) => Buffer.byteLength(line)));
    expect(longest).toBeLessThan(16 * 1024);
    const hugeTool = eventsOf(events, 'tool_call').find((t) => t.tool.startsWith('huge-'));
    expect(hugeTool?.tool).toMatch(/… \[cut: \d+ bytes in all\]$/);
    const hugeModel = eventsOf(events, 'tokens').find((t) => t.model.startsWith('model-x'));
    expect(hugeModel?.model).toMatch(/… \[cut: \d+ bytes in all\]$/);
    const complaint = eventsOf(events, 'error').find((e) => e.message.startsWith('a very long complaint'));
    expect(complaint?.message).toMatch(/… \[cut: \d+ bytes in all\]$/);
    // The whole log of a two-agent session with four 500 KB lines per agent stays small.
    expect(lines.reduce((sum, line) => sum + line.length, 0)).toBeLessThan(2 * 1024 * 1024);
  });
});
