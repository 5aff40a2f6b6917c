// Measurement of project/: builds and test runs (phase gates and between
// them), and the metrics snapshot (LOC, doc coverage, files modified, disk).
// All of it is background work: a build or a test run can take minutes, and
// nothing here runs on the serial queue, so a person's command never waits
// behind it. Results that a restore made stale (they measured a project/
// that is gone) are dropped.

import type { SessionMetrics } from '../contract/metrics.js';
import { writeMetricsCurrent } from '../io/runFolder.js';
import { appendWholeLine } from '../io/lineAppender.js';
import { errorText, isDiskWriteError } from '../io/writeHealth.js';
import { countLines } from '../measure/loc.js';
import { measureDocCoverage } from '../measure/docCoverage.js';
import { sessionMetricsAt, type SnapshotGauges } from '../state/snapshot.js';
import type { AgentPool } from './agentPool.js';
import type { EngineContext } from './context.js';
import { filesModifiedSince } from './git.js';
import { runBuild, runTests, type TestRunResult } from './projectGates.js';
import { diskUsageBytes, memoryUsageMb } from './resources.js';

export interface GateMeasurement {
  buildOk: boolean;
  linesOfCode: number;
  docCoverage: number | null;
}

export class Measurer {
  /** The last test run that finished (for checkpoints; figures are in the fold). */
  lastTestRun: TestRunResult | null = null;
  rootCommit = '';
  private testsInFlight: Promise<void> | null = null;
  /** What the last gate measured: tasks done and restore generation when its tests began. */
  private lastGate: { tasks: number; generation: number } | null = null;
  /** Tasks done and restore generation when the run in flight began. */
  private inFlightTasks = -1;
  private inFlightGeneration = -1;
  private tasksAtLastTestRun = 0;
  /** Between the gates, tests run at most once per health interval, the first not before one has passed. */
  private lastTestRunMs = Date.now();
  /** Aborting it cuts the build or test run in flight short (the session's time is up). */
  private inFlight = new AbortController();
  private sampling = false;
  private gauges: Omit<SnapshotGauges, 'status' | 'agents' | 'memoryUsageMb'> = {
    linesOfCode: null,
    docCoverage: null,
    filesModified: null,
    diskUsageBytes: 0,
  };

  constructor(
    private readonly ctx: EngineContext,
    private readonly pool: AgentPool,
  ) {}

  private get timeoutMs(): number {
    return this.ctx.config.limits.max_test_runtime_min * 60_000;
  }

  /** Build, a fresh test run, LOC and doc coverage: what criteria are judged on. Null when a restore made it stale or it was cut short. */
  async gates(): Promise<GateMeasurement | null> {
    const generation = this.ctx.restoreGeneration;
    const signal = this.inFlight.signal;
    const projectDir = this.ctx.paths.project;
    const build = await runBuild(projectDir, this.ctx.template, this.timeoutMs, signal);
    if (generation !== this.ctx.restoreGeneration || signal.aborted) return null;
    this.ctx.emit({ type: 'build', ok: build.ok, duration_ms: build.duration_ms, command: build.command, output_tail: build.ok ? undefined : build.output_tail });
    if (!build.ok) this.ctx.log.warn('build', `build failed: ${build.output_tail.split('\n').slice(-3).join(' | ')}`);
    await this.runTests(true, signal);
    if (signal.aborted) return null;
    const [loc, doc] = await Promise.all([countLines(projectDir), measureDocCoverage(projectDir)]);
    if (generation !== this.ctx.restoreGeneration) return null;
    this.gauges.linesOfCode = loc.total.code;
    this.gauges.docCoverage = doc;
    this.lastGate = { tasks: this.inFlightTasks, generation };
    return { buildOk: build.ok, linesOfCode: loc.total.code, docCoverage: doc };
  }

  /** Ends the build or test run in flight now; its results are dropped. Later runs are not affected. */
  abortInFlight(): void {
    this.inFlight.abort();
    this.inFlight = new AbortController();
  }

  /** True when the last gate measured project/ as it is: no task done and no restore since its tests began. */
  gateIsCurrent(): boolean {
    const gate = this.lastGate;
    return gate !== null && gate.tasks === this.ctx.state.tasksDone.length && gate.generation === this.ctx.restoreGeneration;
  }

  /** Runs the tests; fresh = true waits for a run in flight and then runs them on project/ as it is now. */
  async runTests(fresh = false, signal = this.inFlight.signal): Promise<void> {
    if (this.testsInFlight) {
      // A run that began after the last task was done measures project/ as it is now: no need for another.
      const upToDate = this.inFlightTasks === this.ctx.state.tasksDone.length && this.inFlightGeneration === this.ctx.restoreGeneration;
      await this.testsInFlight.catch(() => undefined);
      if (!fresh || upToDate || signal.aborted) return;
    }
    this.inFlightTasks = this.ctx.state.tasksDone.length;
    this.inFlightGeneration = this.ctx.restoreGeneration;
    const run = this.runTestsOnce(signal);
    this.testsInFlight = run;
    try {
      await run;
    } finally {
      if (this.testsInFlight === run) this.testsInFlight = null;
    }
  }

  private async runTestsOnce(signal: AbortSignal): Promise<void> {
    const generation = this.ctx.restoreGeneration;
    const result = await runTests(this.ctx.paths.project, this.ctx.template, this.timeoutMs, signal);
    if (result.aborted) {
      this.ctx.log.info('tests', 'a test run was cut short: the session\'s time is up');
      return;
    }
    if (generation !== this.ctx.restoreGeneration) {
      this.ctx.log.info('tests', 'a test run that overlapped a restore was discarded');
      return;
    }
    this.lastTestRun = result;
    this.lastTestRunMs = Date.now();
    this.tasksAtLastTestRun = this.ctx.state.tasksDone.length;
    if (result.timed_out) this.ctx.emit({ type: 'limit', kind: 'test_runtime', action: 'killed', detail: result.problem ?? undefined });
    if (result.summary) {
      this.ctx.emit({
        type: 'test_run',
        passed: result.summary.passed,
        failed: result.summary.failed,
        skipped: result.summary.skipped,
        duration: Math.round(result.duration_ms) / 1000,
        coverage: result.coverage ? Math.round(result.coverage.linesPct * 100) / 100 : null,
        source: result.source,
      });
      // A CLI agent restarted on a summary (harness compression) is told which tests fail.
      this.pool.noteTestRun({ passed: result.summary.passed, failed: result.summary.failed, failing: result.summary.failures.slice(0, 50).map((f) => f.name) });
    } else if (result.problem) {
      this.ctx.log.warn('tests', result.problem);
    }
  }

  /** Between phase gates, re-run the tests when tasks were completed, at most once per health interval. */
  maybeRunTests(now: number): void {
    if (this.testsInFlight || this.ctx.status !== 'running') return;
    if (this.ctx.state.tasksDone.length === this.tasksAtLastTestRun) return;
    if (now - this.lastTestRunMs < this.ctx.config.monitoring.health_check_interval * 1000) return;
    void this.runTests().catch((e) => this.ctx.internalError(e));
  }

  /** After a restore: the checkpoint's test results stand until the tests run again on its project/. */
  onRestored(lastTestRun: TestRunResult | null): void {
    this.lastTestRun = lastTestRun;
    this.tasksAtLastTestRun = -1;
    this.gauges.linesOfCode = this.ctx.state.measured.linesOfCode;
    this.gauges.docCoverage = this.ctx.state.measured.docCoverage;
  }

  /** The snapshot as of now, from the fold and the last measured gauges. */
  snapshot(nowMs = Date.now()): SessionMetrics {
    const { config } = this.ctx;
    return sessionMetricsAt(this.ctx.state, nowMs, {
      ...this.gauges,
      status: this.ctx.status,
      memoryUsageMb: memoryUsageMb(this.pool.pids()),
      agents: Object.fromEntries(
        this.pool.slots.map((s) => [
          s.name,
          { role: s.role, model: this.pool.modelOf(s), contextTokens: s.contextTokens, maxContextTokens: config.agent.max_context_size },
        ]),
      ),
    });
  }

  get diskUsageBytes(): number {
    return this.gauges.diskUsageBytes;
  }

  /** Measures project/ and the run folder, then records a snapshot (event, metrics_current.json, metrics.jsonl). */
  async sample(): Promise<SessionMetrics | null> {
    if (this.sampling) return null;
    this.sampling = true;
    const run = this.sampleNow();
    this.samplingRun = run;
    return run;
  }

  /** The last snapshot of a session: after the one in flight, so none can follow session_ended. */
  async finalSample(): Promise<SessionMetrics | null> {
    await this.samplingRun?.catch(() => undefined);
    return this.sample();
  }

  private samplingRun: Promise<SessionMetrics | null> | null = null;

  private async sampleNow(): Promise<SessionMetrics | null> {
    try {
      const { paths } = this.ctx;
      const generation = this.ctx.restoreGeneration;
      const [loc, doc, filesModified, disk] = await Promise.all([
        countLines(paths.project),
        measureDocCoverage(paths.project),
        filesModifiedSince(paths.project, this.rootCommit).catch(() => 0),
        diskUsageBytes(paths.root),
      ]);
      this.gauges.diskUsageBytes = disk;
      if (generation === this.ctx.restoreGeneration) {
        this.gauges.linesOfCode = loc.total.code;
        this.gauges.docCoverage = doc;
        this.gauges.filesModified = filesModified;
      }
      const metrics = this.snapshot();
      this.ctx.emit({ type: 'metrics', metrics });
      try {
        await writeMetricsCurrent(paths, metrics);
        appendWholeLine(paths.metricsHistory, JSON.stringify(metrics) + '\n');
      } catch (error) {
        // The event has the figures; a full disk pauses the session through the event log's writer.
        if (!isDiskWriteError(error)) throw error;
        this.ctx.log.warn('metrics', `metrics files not written: ${errorText(error)}`);
      }
      return metrics;
    } finally {
      this.sampling = false;
    }
  }
}
