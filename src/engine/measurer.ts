// Measurement of project/: builds and test runs (phase gates and between
// them), and the metrics snapshot (LOC, doc coverage, files modified, disk).
// All of it is background work: a build or a test run can take minutes, and
// nothing here runs on the serial queue, so a person's command never waits
// behind it. Results that a restore made stale (they measured a project/
// that is gone) are dropped.
//
// LOC, doc coverage and disk usage cost what changed since the last snapshot
// (src/measure/runMeasurement.ts: directory watches, a per-file cache, each
// changed file read once); `git status` for files_modified runs only when
// something under project/ changed. A paused or idle session whose files did
// not change still writes its snapshot every interval, from figures that are
// current, without reading a file.

import type { GateOutput } from './gateOutput.js';
import type { SessionMetrics } from '../contract/metrics.js';
import { writeMetricsCurrent } from '../io/runFolder.js';
import { appendWholeLine } from '../io/lineAppender.js';
import { logRotationOf, rotateIfFull } from '../io/rotatingLog.js';
import { errorText, isDiskWriteError } from '../io/writeHealth.js';
import { RunMeasurement, type RunFigures } from '../measure/runMeasurement.js';
import { sessionMetricsAt, type SnapshotGauges } from '../state/snapshot.js';
import type { AgentPool } from './agentPool.js';
import type { EngineContext } from './context.js';
import { filesModifiedSince } from './git.js';
import { runBenchmark, runBuild, runTests, type TestRunResult } from './projectGates.js';
import { memoryUsageMb } from './resources.js';

export interface GateMeasurement {
  buildOk: boolean;
  linesOfCode: number;
  docCoverage: number | null;
  /** The gate's test run gave results: false when it could not (a build that failed, a runner that printed none), so the test criteria are not judged on an older run's. */
  testsRead: boolean;
  /** What the gate's benchmark printed, ops/s; null with `benchmarkProblem` when it gave none, or none is configured. */
  opsPerSecond: number | null;
  benchmarkProblem: string | null;
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
  /** The coverage problem last logged beside readable test results (logged again only when it changes). */
  private coverageProblemSaid: string | null = null;
  /** Aborting it cuts the build or test run in flight short (the session's time is up). */
  private inFlight = new AbortController();
  private sampling = false;
  /** Created at the first measurement (it watches the run folder); closed after the final snapshot. */
  private measurement: RunMeasurement | null = null;
  private unreadableReported = '';
  private watchLimitReported = false;
  /** What files_modified was last counted against; it is recounted only when project/ changed since (or the base did). */
  private filesModifiedAgainst: { rootCommit: string; generation: number } | null = null;
  private projectChangedSinceCount = true;
  private gauges: Omit<SnapshotGauges, 'status' | 'agents' | 'memoryUsageMb'> = {
    linesOfCode: null,
    docCoverage: null,
    filesModified: null,
    diskUsageBytes: 0,
  };

  constructor(
    private readonly ctx: EngineContext,
    private readonly pool: AgentPool,
    /** Worktree isolation: what the gates make in project/ is kept out of megatest's commits of main. */
    private readonly gateOutput: GateOutput | null = null,
  ) {}

  private gate<T>(run: () => Promise<T>): Promise<T> {
    return this.gateOutput ? this.gateOutput.around(run) : run();
  }

  private get timeoutMs(): number {
    return this.ctx.config.limits.max_test_runtime_min * 60_000;
  }

  /** Build, a fresh test run, LOC and doc coverage: what criteria are judged on. Null when a restore made it stale or it was cut short. */
  async gates(): Promise<GateMeasurement | null> {
    const generation = this.ctx.restoreGeneration;
    const signal = this.inFlight.signal;
    const projectDir = this.ctx.paths.project;
    const build = await this.gate(() => runBuild(projectDir, this.ctx.template, this.timeoutMs, signal));
    if (generation !== this.ctx.restoreGeneration || signal.aborted) return null;
    this.ctx.emit({ type: 'build', ok: build.ok, duration_ms: build.duration_ms, command: build.command, output_tail: build.ok ? undefined : build.output_tail });
    if (!build.ok) this.ctx.log.warn('build', `build failed: ${build.output_tail.split('\n').slice(-3).join(' | ')}`);
    await this.runTests(true, signal);
    if (signal.aborted) return null;
    const benchmark = await this.runBenchmark(build.ok, signal);
    if (benchmark === null) return null;
    const figures = await this.measure();
    if (generation !== this.ctx.restoreGeneration) return null;
    if (!figures.projectPresent) throw new Error(`measure: project folder "${projectDir}" is not a readable directory`);
    this.gauges.linesOfCode = figures.loc.total.code;
    this.gauges.docCoverage = figures.docCoverage;
    this.lastGate = { tasks: this.inFlightTasks, generation };
    return {
      buildOk: build.ok,
      linesOfCode: figures.loc.total.code,
      docCoverage: figures.docCoverage,
      testsRead: (this.lastTestRun?.summary ?? null) !== null,
      ...benchmark,
    };
  }

  /**
   * The project's own benchmark ([project.performance] benchmark_command),
   * after the gate's tests; not run when none is set or the build failed
   * (then there is nothing to time). Null when cut short.
   */
  private async runBenchmark(buildOk: boolean, signal: AbortSignal): Promise<Pick<GateMeasurement, 'opsPerSecond' | 'benchmarkProblem'> | null> {
    // (optional: a config.json resumed from any version)
    const command = (this.ctx.config.project.performance?.benchmark_command ?? '').trim();
    if (command === '') return { opsPerSecond: null, benchmarkProblem: null };
    if (!buildOk) return { opsPerSecond: null, benchmarkProblem: "was not run: the gate's build failed" };
    const result = await this.gate(() => runBenchmark(this.ctx.paths.project, command, this.timeoutMs, signal));
    if (result.aborted) return null;
    this.ctx.emit({
      type: 'benchmark',
      ok: result.ok,
      ops_per_second: result.opsPerSecond,
      duration_ms: result.duration_ms,
      command: result.command,
      ...(result.problem === null ? {} : { problem: result.problem }),
    });
    return { opsPerSecond: result.opsPerSecond, benchmarkProblem: result.problem };
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
    const result = await this.gate(() => runTests(this.ctx.paths.project, this.ctx.template, this.timeoutMs, signal));
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
        ...(result.coverage === null && result.problem !== null ? { coverage_problem: result.problem } : {}),
        // Passed only on a rerun: counted passed, as the build counts them, and said apart so nobody takes them for steady.
        ...(result.summary.flaky ? { flaky: result.summary.flaky } : {}),
      });
      // A CLI agent restarted on a summary (harness compression) is told which tests fail.
      this.pool.noteTestRun({ passed: result.summary.passed, failed: result.summary.failed, failing: result.summary.failures.slice(0, 50).map((f) => f.name) });
      // Tests read, coverage not (its tool missing): said once, not at every test run.
      if (result.problem !== null && result.problem !== this.coverageProblemSaid) this.ctx.log.warn('coverage', result.problem);
      this.coverageProblemSaid = result.problem;
    } else {
      const problem = result.problem ?? 'the test command gave no results';
      this.ctx.log.warn('tests', problem);
      // Recorded, so every view and the report stop showing (and judging) an earlier run's figures as today's.
      this.ctx.emit({ type: 'test_run', passed: 0, failed: 0, skipped: 0, duration: Math.round(result.duration_ms) / 1000, coverage: null, source: result.source, problem });
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
    // The restore rewrote project/: the next snapshot walks it whole rather than trusting the watches alone.
    this.measurement?.rescanAll();
  }

  /** LOC, doc coverage and disk usage as of now, re-reading only what changed since the last call. */
  private async measure(): Promise<RunFigures> {
    const { paths } = this.ctx;
    this.measurement ??= new RunMeasurement(paths.root, paths.project);
    const figures = await this.measurement.refresh();
    // A gate's measurement sees changes too: remembered here, so the next snapshot still recounts files_modified.
    if (figures.projectChanged) this.projectChangedSinceCount = true;
    const unreadable = figures.unreadable.join(', ');
    if (unreadable !== '' && unreadable !== this.unreadableReported) {
      this.ctx.log.warn('metrics', `not counted in lines of code (unreadable): ${unreadable.slice(0, 500)}`);
    }
    this.unreadableReported = unreadable;
    const { unwatched } = this.measurement.watches;
    if (unwatched > 0 && !this.watchLimitReported) {
      this.watchLimitReported = true;
      this.ctx.log.info('metrics', `${unwatched} folders of the run folder are past the directory-watch limit: they are listed again at every snapshot`);
    }
    return figures;
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

  /** Lines of code as last counted: by a snapshot or a phase gate (null before the first count). */
  get linesOfCode(): number | null {
    return this.gauges.linesOfCode;
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
    try {
      return await this.sample();
    } finally {
      // No snapshot follows the final one: the directory watches end with it.
      this.measurement?.close();
    }
  }

  private samplingRun: Promise<SessionMetrics | null> | null = null;
  /** What git last said when it could not count the files modified: said once, not at every snapshot. */
  private filesModifiedProblem: string | null = null;

  private filesModifiedUnknown(error: unknown): null {
    const problem = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    if (problem !== this.filesModifiedProblem) this.ctx.log.warn('git', `files modified not measured: ${problem}`);
    this.filesModifiedProblem = problem;
    return null;
  }

  private async sampleNow(): Promise<SessionMetrics | null> {
    try {
      const { paths } = this.ctx;
      const generation = this.ctx.restoreGeneration;
      const figures = await this.measure();
      this.gauges.diskUsageBytes = figures.diskUsageBytes;
      const against = { rootCommit: this.rootCommit, generation };
      const counted = this.filesModifiedAgainst;
      // `git status` walks the whole tree: only when project/ changed (its .git included, so commits count) or the base did.
      const recount = this.projectChangedSinceCount || counted === null || counted.rootCommit !== against.rootCommit || counted.generation !== against.generation;
      // Cleared before git runs: a change while it runs is counted at the next snapshot.
      if (recount) this.projectChangedSinceCount = false;
      // git cannot say (project/.git removed or made anew by an agent, its first commit gone): not measured, never a 0.
      const filesModified = recount ? await filesModifiedSince(paths.project, this.rootCommit).catch((error: unknown) => this.filesModifiedUnknown(error)) : this.gauges.filesModified;
      if (generation === this.ctx.restoreGeneration && figures.projectPresent) {
        this.gauges.linesOfCode = figures.loc.total.code;
        this.gauges.docCoverage = figures.docCoverage;
        this.gauges.filesModified = filesModified;
        this.filesModifiedAgainst = against;
      } else if (recount) {
        this.projectChangedSinceCount = true;
      }
      const metrics = this.snapshot();
      this.ctx.emit({ type: 'metrics', metrics });
      try {
        await writeMetricsCurrent(paths, metrics);
        appendWholeLine(paths.metricsHistory, JSON.stringify(metrics) + '\n');
        // A snapshot a second of 16 agents is 30 MB an hour: the history is rotated like output.log (metrics.jsonl.1 …).
        rotateIfFull(paths.metricsHistory, logRotationOf(this.ctx.config.monitoring));
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
