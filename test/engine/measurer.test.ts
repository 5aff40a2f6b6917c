// The metrics snapshot costs what changed: a session whose files did not
// change (paused, idle) still writes its snapshot every interval, reading no
// file and running no `git status`; one edited file is read alone; the
// figures are the full recount's.

import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MegatestEvent } from '../../src/contract/events.js';
import type { AgentPool } from '../../src/engine/agentPool.js';
import type { EngineContext } from '../../src/engine/context.js';
import { Measurer } from '../../src/engine/measurer.js';
import { diskUsageBytes } from '../../src/engine/resources.js';
import { runPaths } from '../../src/io/runFolder.js';
import { measureDocCoverage } from '../../src/measure/docCoverage.js';
import { countLines } from '../../src/measure/loc.js';
import { initialRunState } from '../../src/state/runState.js';

const calls = vi.hoisted(() => ({ reads: [] as string[], git: 0 }));

vi.mock('../../src/engine/git.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/engine/git.js')>()),
  filesModifiedSince: async () => {
    calls.git++;
    return 2;
  },
}));

vi.mock('../../src/measure/fileFigures.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/measure/fileFigures.js')>();
  return {
    ...real,
    readFileFigures: (file: string) => {
      calls.reads.push(file);
      return real.readFileFigures(file);
    },
  };
});

const temporaryDirs: string[] = [];
afterAll(() => {
  for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
});

function makeMeasurer(): { measurer: Measurer; root: string; project: string; events: MegatestEvent[] } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'megatest-measurer-'));
  temporaryDirs.push(root);
  const paths = runPaths(root);
  mkdirSync(paths.metricsDir, { recursive: true });
  mkdirSync(path.join(paths.project, 'src'), { recursive: true });
  const past = new Date(Date.UTC(2022, 0, 1));
  for (let index = 0; index < 20; index++) {
    const file = path.join(paths.project, 'src', `m${index}.ts`);
    writeFileSync(file, `/** Doc ${index}. */\nexport function f${index}() {\n  return ${index}; // value\n}\n${index % 3 === 0 ? 'export class Bare {}\n' : ''}`);
    utimesSync(file, past, past);
  }
  const events: MegatestEvent[] = [];
  const ctx = {
    paths,
    config: { agent: { max_context_size: 100_000 }, limits: { max_test_runtime_min: 1 }, monitoring: { health_check_interval: 30, log_rotate_mb: 1, log_rotate_keep: 2 } },
    state: initialRunState(),
    status: 'paused',
    restoreGeneration: 0,
    emit: (event: MegatestEvent) => void events.push(event),
    log: { warn: () => undefined, info: () => undefined, error: () => undefined },
  } as unknown as EngineContext;
  const pool = { slots: [], pids: () => [], modelOf: () => null } as unknown as AgentPool;
  return { measurer: new Measurer(ctx, pool), root, project: paths.project, events };
}

describe('the metrics snapshot', () => {
  beforeEach(() => {
    calls.reads.length = 0;
    calls.git = 0;
  });

  it('measures everything once, then nothing while nothing changes, then only the file that changed', async () => {
    const { measurer, root, project, events } = makeMeasurer();
    const first = await measurer.sample();
    expect(first?.lines_of_code).toBe((await countLines(project)).total.code);
    expect(first?.doc_coverage).toBeCloseTo((await measureDocCoverage(project)) as number, 2);
    expect(first?.files_modified).toBe(2);
    expect(calls.reads).toHaveLength(20);
    expect(calls.git).toBe(1);

    // Paused, nothing changed: the snapshot is written all the same, from figures that are still true.
    calls.reads.length = 0;
    const second = await measurer.sample();
    expect(calls.reads).toEqual([]);
    expect(calls.git).toBe(1);
    expect(events.filter((event) => event.type === 'metrics')).toHaveLength(2);
    expect(second?.lines_of_code).toBe(first?.lines_of_code);
    expect(second?.doc_coverage).toBe(first?.doc_coverage);
    expect(JSON.parse(readFileSync(path.join(root, 'metrics_current.json'), 'utf8')).timestamp).toBe(second?.timestamp);
    // The disk figure counts the snapshot files the first one wrote.
    expect(second?.disk_usage_bytes).toBeGreaterThan(first?.disk_usage_bytes ?? 0);

    const edited = path.join(project, 'src', 'm4.ts');
    appendFileSync(edited, 'export function added() {}\n');
    const third = await measurer.sample();
    expect(calls.reads).toEqual([edited]);
    expect(calls.git).toBe(2);
    expect(third?.lines_of_code).toBe((await countLines(project)).total.code);
    expect(third?.doc_coverage).toBeCloseTo((await measureDocCoverage(project)) as number, 2);

    // The disk figure is the run folder as the snapshot found it: the files the last one wrote included.
    const onDisk = await diskUsageBytes(root);
    const last = await measurer.finalSample();
    expect(last?.disk_usage_bytes).toBe(onDisk);
  });
});

describe('metrics/metrics.jsonl', () => {
  it('is rotated once it holds log_rotate_mb, its older files kept whole and counted in the disk figure', async () => {
    const { measurer, root } = makeMeasurer();
    const history = runPaths(root).metricsHistory;
    const old = '{"timestamp":"2025-01-01T00:00:00.000Z"}\n'.repeat(26_000); // just under 1 MiB
    writeFileSync(history, old);
    await measurer.sample();
    // The snapshot that took it past 1 MiB ends the file renamed metrics.jsonl.1; the next one starts a new file.
    expect(readFileSync(`${history}.1`, 'utf8').startsWith(old)).toBe(true);
    expect(readFileSync(`${history}.1`, 'utf8').endsWith('}\n')).toBe(true);
    expect(existsSync(history)).toBe(false);
    const second = await measurer.sample();
    expect(JSON.parse(readFileSync(history, 'utf8')).timestamp).toBe(second?.timestamp);
    const last = await measurer.finalSample();
    expect(last?.disk_usage_bytes).toBeGreaterThan(old.length);
  });
});

describe('test runs whose coverage tool is missing', () => {
  it('say once why coverage is not measured, and still emit the test results', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'megatest-measurer-cov-'));
    temporaryDirs.push(root);
    const paths = runPaths(root);
    mkdirSync(paths.project, { recursive: true });
    writeFileSync(path.join(paths.project, 'one.check.mjs'), "import test from 'node:test';\ntest('one', () => {});\n");
    const events: MegatestEvent[] = [];
    const warnings: { source: string; message: string }[] = [];
    const ctx = {
      paths,
      config: { agent: { max_context_size: 100_000 }, limits: { max_test_runtime_min: 1 }, monitoring: { health_check_interval: 30 } },
      template: {
        build_command: '',
        test_command: `${JSON.stringify(process.execPath)} --test --test-reporter=tap one.check.mjs`,
        coverage_command: 'no-such-coverage-tool --cobertura',
        test_format: 'node-tap',
        test_report: '',
        coverage_report: 'coverage/cobertura.xml',
        coverage_format: 'cobertura',
      },
      state: initialRunState(),
      status: 'running',
      restoreGeneration: 0,
      emit: (event: MegatestEvent) => void events.push(event),
      log: { warn: (source: string, message: string) => void warnings.push({ source, message }), info: () => undefined, error: () => undefined },
    } as unknown as EngineContext;
    const pool = { slots: [], pids: () => [], modelOf: () => null, noteTestRun: () => undefined } as unknown as AgentPool;
    const measurer = new Measurer(ctx, pool);
    await measurer.runTests(true);
    await measurer.runTests(true);
    const runs = events.filter((event) => event.type === 'test_run');
    expect(runs).toHaveLength(2);
    expect(runs[0]).toMatchObject({ passed: 1, failed: 0, coverage: null });
    expect(warnings.map((warning) => warning.source)).toEqual(['coverage']);
    expect(warnings[0]?.message).toMatch(/^coverage not measured: .*no-such-coverage-tool: not found/);
  });
});

describe('a test run whose JUnit XML holds a rerun that passed (Gradle test-retry)', () => {
  it('emits the tests that passed only on a rerun as the test_run event flaky, and the fold and the report carry it', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'megatest-measurer-flaky-'));
    temporaryDirs.push(root);
    const paths = runPaths(root);
    mkdirSync(paths.project, { recursive: true });
    // Each execution in order, as the plugin writes them: `retried` failed, then passed; `broken` failed twice.
    const executions: { name: string; failed: boolean }[] = [
      { name: 'steady', failed: false },
      { name: 'retried', failed: true },
      { name: 'broken', failed: true },
      { name: 'retried', failed: false },
      { name: 'broken', failed: true },
    ];
    const cases = executions.map((e) => `<testcase classname="Suite" name="${e.name}">${e.failed ? '<failure message="boom"/>' : ''}</testcase>`).join('');
    writeFileSync(path.join(paths.project, 'report.in'), `<?xml version="1.0"?><testsuite name="Suite">${cases}</testsuite>`);
    // Counted here from the executions: a test passes when its last execution passed, flaky when one before it failed.
    const names = [...new Set(executions.map((e) => e.name))];
    const last = (name: string) => executions.filter((e) => e.name === name).at(-1)!;
    const passed = names.filter((name) => !last(name).failed);
    const flaky = passed.filter((name) => executions.some((e) => e.name === name && e.failed));
    const events: MegatestEvent[] = [];
    const ctx = {
      paths,
      config: { agent: { max_context_size: 100_000 }, limits: { max_test_runtime_min: 1 }, monitoring: { health_check_interval: 30 } },
      template: { build_command: '', test_command: 'cp report.in junit.xml', coverage_command: '', test_format: 'junit', test_report: 'junit.xml', coverage_report: '', coverage_format: 'cobertura' },
      state: initialRunState(),
      status: 'running',
      restoreGeneration: 0,
      emit: (event: MegatestEvent) => void events.push(event),
      log: { warn: () => undefined, info: () => undefined, error: () => undefined },
    } as unknown as EngineContext;
    const pool = { slots: [], pids: () => [], modelOf: () => null, noteTestRun: () => undefined } as unknown as AgentPool;
    await new Measurer(ctx, pool).runTests(true);
    const run = events.find((event) => event.type === 'test_run');
    expect(run).toMatchObject({ passed: passed.length, failed: names.length - passed.length, flaky: flaky.length });
    const { foldEvents } = await import('../../src/state/fold.js');
    const state = foldEvents(initialRunState(), [{ ...run!, seq: 1, ts: '2026-01-01T00:00:00.000Z' } as MegatestEvent]);
    expect(state.measured.testsFlaky).toBe(flaky.length);
    const { eventSentence } = await import('../../src/state/eventSentence.js');
    expect(eventSentence({ ...run!, seq: 1, ts: '2026-01-01T00:00:00.000Z' } as MegatestEvent)).toContain(`${passed.length} passed (${flaky.length} only on a rerun)`);
  });
});
