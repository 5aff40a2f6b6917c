// A real headless session (90 s at most, over well before on a quiet machine) with 3 sim agents, checked file by file: the
// report's figures must equal a recount and the tools' own outputs.

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { countLines } from '../../src/measure/loc.js';
import { runTests } from '../../src/engine/projectGates.js';
import { parseEventLine, type MegatestEvent } from '../../src/contract/events.js';
import type { FinalReport } from '../../src/report/report.js';
import type { RunInfo } from '../../src/io/runInfo.js';

const run = promisify(execFile);
const BIN = path.join(PACKAGE_ROOT, 'bin', 'megatest.js');
const BRISK = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'e2e', 'brisk.toml');

describe('megatest run --headless (up to 90 s, 3 sim agents)', () => {
  let runsDir: string;
  let runDir: string;
  let exitCode: number;
  let stdout: string;
  let events: MegatestEvent[];

  beforeAll(async () => {
    runsDir = mkdtempSync(path.join(tmpdir(), 'megatest-e2e-'));
    try {
      const result = await run(process.execPath, [BIN, 'run', 'task_queue', '--duration', '90s', '--agents', '3', '--headless', '--config', BRISK, '--runs-dir', runsDir, '--session-id', 'e2e-headless', '--seed', '7'], {
        timeout: 180_000,
        env: { ...process.env, CI: '1' },
      });
      exitCode = 0;
      stdout = result.stdout;
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      exitCode = e.code;
      stdout = `${e.stdout}\n${e.stderr}`;
    }
    runDir = path.join(runsDir, 'e2e-headless');
    events = readFileSync(path.join(runDir, 'events.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => parseEventLine(line)!);
  }, 200_000);

  afterAll(() => rmSync(runsDir, { recursive: true, force: true }));

  it('exits 0 with all critical criteria met and prints progress lines', () => {
    expect(stdout).toContain('phase 1 bootstrap started');
    expect(stdout).toContain('session ended: completed');
    expect(exitCode).toBe(0);
  });

  it('writes every file of the run folder', () => {
    for (const file of ['config.json', 'project_prompt.txt', 'session.log', 'events.jsonl', 'status', 'metrics_current.json', 'metrics/metrics.jsonl', 'final_report.json', 'final_report.md', 'junit.xml']) {
      expect(existsSync(path.join(runDir, file)), file).toBe(true);
    }
    expect(readFileSync(path.join(runDir, 'status'), 'utf8').trim()).toBe('completed');
    const info = JSON.parse(readFileSync(path.join(runDir, 'config.json'), 'utf8')) as RunInfo;
    expect(info.simulated).toBe(true);
    expect(info.agent_version).toMatch(/simulation/);
    expect(readFileSync(path.join(runDir, 'session.log'), 'utf8')).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z INFO  \[orchestrator\] /m);
    expect(readFileSync(path.join(runDir, 'session.log'), 'utf8')).toContain('SIMULATION');
    const checkpoints = readdirSync(path.join(runDir, 'checkpoints')).filter((f) => /^checkpoint_\d+\.json$/.test(f));
    expect(checkpoints.length).toBeGreaterThanOrEqual(5); // four phase ends and the final one
    expect(readdirSync(path.join(runDir, 'agents')).sort()).toEqual(['agent-1', 'agent-2', 'agent-3']);
    expect(existsSync(path.join(runDir, 'project', '.git'))).toBe(true);
    // control files are removed at a clean exit
    expect(existsSync(path.join(runDir, 'control.json'))).toBe(false);
    const history = readFileSync(path.join(runDir, 'metrics', 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(history.length).toBeGreaterThanOrEqual(10);
  });

  it('keeps events.jsonl contiguous and shows every phase', () => {
    events.forEach((event, i) => expect(event.seq).toBe(i + 1));
    const phases = events.filter((e) => e.type === 'phase_started').map((e) => (e as { phase: string }).phase);
    expect(phases).toEqual(['bootstrap', 'development', 'refinement', 'finalization']);
    expect(events.filter((e) => e.type === 'phase_ended')).toHaveLength(4);
    expect(events.at(-1)?.type).toBe('session_ended');
    for (const type of ['tool_call', 'tokens', 'agent_state', 'task_completed', 'build', 'test_run', 'metrics', 'checkpoint_created']) {
      expect(events.some((e) => e.type === type), type).toBe(true);
    }
  });

  it('reports LOC equal to a recount of project/', async () => {
    const report = JSON.parse(readFileSync(path.join(runDir, 'final_report.json'), 'utf8')) as FinalReport;
    const recount = await countLines(path.join(runDir, 'project'));
    expect(report.measurements.lines_of_code).toBe(recount.total.code);
    expect(recount.total.code).toBeGreaterThan(100);
  });

  it('reports pass rate and coverage equal to the tools’ own output', async () => {
    const report = JSON.parse(readFileSync(path.join(runDir, 'final_report.json'), 'utf8')) as FinalReport;
    const info = JSON.parse(readFileSync(path.join(runDir, 'config.json'), 'utf8')) as RunInfo;
    const again = await runTests(path.join(runDir, 'project'), info.template, 120_000);
    expect(again.summary).not.toBeNull();
    expect(report.measurements.tests_passed).toBe(again.summary!.passed);
    expect(report.measurements.tests_failed).toBe(again.summary!.failed);
    expect(report.measurements.test_coverage).toBeCloseTo(again.coverage!.linesPct, 1);
  });

  it('takes the report’s numbers from the run’s events', () => {
    const report = JSON.parse(readFileSync(path.join(runDir, 'final_report.json'), 'utf8')) as FinalReport;
    const tokens = events.filter((e) => e.type === 'tokens').reduce((n, e) => n + (e as { input: number; output: number }).input + (e as { output: number }).output, 0);
    const toolCalls = events.filter((e) => e.type === 'tool_call').length;
    const lastTest = events.filter((e) => e.type === 'test_run').at(-1) as { passed: number; coverage: number | null };
    const lastMetrics = events.filter((e) => e.type === 'metrics').at(-1) as { metrics: { lines_of_code: number } };
    expect(report.measurements.total_tokens).toBe(tokens);
    expect(report.measurements.tool_calls).toBe(toolCalls);
    expect(report.measurements.tests_passed).toBe(lastTest.passed);
    expect(report.measurements.test_coverage).toBe(lastTest.coverage);
    expect(report.measurements.lines_of_code).toBe(lastMetrics.metrics.lines_of_code);
    expect(report.simulated).toBe(true);
    expect(readFileSync(path.join(runDir, 'final_report.md'), 'utf8')).toContain('SIMULATED');
    const junit = readFileSync(path.join(runDir, 'junit.xml'), 'utf8');
    // One testcase per criterion (the final ones, each phase's in its own suite) and one for the run itself.
    expect((junit.match(/<testcase /g) ?? []).length).toBe(1 + report.criteria.length + report.phases.reduce((n, p) => n + p.criteria.length, 0));
    expect(statSync(path.join(runDir, 'final_report.json')).size).toBeGreaterThan(0);
  });

  it('rebuilds the same report from the run folder alone', async () => {
    const before = JSON.parse(readFileSync(path.join(runDir, 'final_report.json'), 'utf8')) as FinalReport;
    const { stdout: md } = await run(process.execPath, [BIN, 'report', runDir, '--format', 'md']);
    expect(md).toContain(`# megatest report — ${before.session_id}`);
    const after = JSON.parse(readFileSync(path.join(runDir, 'final_report.json'), 'utf8')) as FinalReport;
    expect(after).toEqual(before);
  });
});
