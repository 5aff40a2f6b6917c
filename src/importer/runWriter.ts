// Writes an imported run's folder exactly as a live run's is written: made
// whole by createRunFolder (config.json, status, events.jsonl, session.log),
// events through the same EventLog (seq, whole lines), the log through the
// same SessionLog, metrics snapshots read off the one fold (sessionMetricsAt)
// into metrics_current.json and metrics/metrics.jsonl, each agent's raw
// output in agents/<name>/output.log. The times are the recording's, never
// the import's: every write takes the time it happened at.

import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { EventInput, LogLevel, MegatestEvent, SessionStatus } from '../contract/events.js';
import type { SessionMetrics } from '../contract/metrics.js';
import { EventLog, SessionLog } from '../io/eventLog.js';
import { LineAppender } from '../io/lineAppender.js';
import { createRunFolder, writeMetricsCurrent, writeStatus, type RunPaths, type RunsDirNaming } from '../io/runFolder.js';
import type { RunInfo } from '../io/runInfo.js';
import { foldEvent } from '../state/fold.js';
import { initialRunState, type RunState } from '../state/runState.js';
import { sessionMetricsAt, type SnapshotGauges } from '../state/snapshot.js';
import type { Emission } from './eventMapper.js';
import { copyPinned, type PinnedFile } from './pinnedFile.js';

/** SessionMetrics types these as numbers because a live run always measures them; an import measures none. */
const NOT_MEASURED = null as unknown as number;

/** Per agent: its last context report, for the snapshot (the fold does not keep it; the live pool's slots do). */
export type AgentGauges = SnapshotGauges['agents'];

export class ImportRunWriter {
  private readonly events: EventLog;
  private readonly log: SessionLog;
  private readonly metricsHistory: LineAppender;
  private state: RunState = initialRunState();
  /** Times never go back in the files, whatever order two agents' lines were merged in. */
  private lastMs = Number.NEGATIVE_INFINITY;
  private closed = false;

  private constructor(
    readonly paths: RunPaths,
    /** A file placed in line order (1 ms per line): its times say the order only, so a rate over them means nothing. */
    private readonly timesAreLineOrder: boolean,
  ) {
    this.events = new EventLog(paths.events);
    this.log = new SessionLog(paths.sessionLog);
    this.events.onEvent((event) => this.fold(event));
    mkdirSync(paths.metricsDir, { recursive: true });
    this.metricsHistory = new LineAppender(paths.metricsHistory, { name: 'metrics.jsonl' });
  }

  /** Creates the run folder whole (UsageError, and nothing made, when the id is taken or the dir not writable). */
  static create(runsDir: string, info: RunInfo, runsDirNaming?: RunsDirNaming): ImportRunWriter {
    const paths = createRunFolder(runsDir, info.session_id, { 'config.json': JSON.stringify(info, null, 2) + '\n' }, runsDirNaming);
    try {
      return new ImportRunWriter(paths, info.imported?.files.some((file) => file.timeline === 'line_order') ?? false);
    } catch (error) {
      rmSync(paths.root, { recursive: true, force: true });
      throw error;
    }
  }

  get runState(): RunState {
    return this.state;
  }

  /** The time a write at `ms` is recorded at: never before the last one. */
  private at(ms: number): Date {
    this.lastMs = Math.max(this.lastMs, ms);
    return new Date(this.lastMs);
  }

  emit(input: EventInput, ms: number): MegatestEvent {
    return this.events.emit(input, this.at(ms));
  }

  write(level: LogLevel, source: string, message: string, ms: number): void {
    this.log.write(level, source, message, this.at(ms));
  }

  /** A mapper's emissions: events, and log lines under the agent's name. */
  apply(emissions: readonly Emission[], agent: string): void {
    for (const emission of emissions) {
      if ('event' in emission) this.emit(emission.event, emission.ms);
      else this.write(emission.log.level, agent, emission.log.message, emission.ms);
    }
  }

  /**
   * The agent's raw recorded output, byte for byte, as its output.log: the bytes every other pass read,
   * not what a file still being written holds by now. Written with the run's own mode, not the
   * recording's (often read-only), as a live run's.
   */
  copyRawOutput(agent: string, file: PinnedFile): void {
    const dir = path.join(this.paths.agents, agent);
    mkdirSync(dir, { recursive: true });
    copyPinned(file, path.join(dir, 'output.log'));
  }

  /** A metrics snapshot at `ms`, as the live measurer records one (event, metrics_current.json, metrics.jsonl). */
  async sample(ms: number, status: SessionStatus, agents: AgentGauges): Promise<SessionMetrics> {
    const when = this.at(ms).getTime();
    const read = sessionMetricsAt(this.state, when, {
      status,
      linesOfCode: null,
      docCoverage: null,
      filesModified: null,
      memoryUsageMb: 0,
      diskUsageBytes: 0,
      agents,
    });
    // No project was built or measured and no agent process ran: as a legacy run's snapshot, those figures
    // are null ("not measured" to the fold and every view), never an invented 0. So is tokens/min on a
    // line-order clock, whose 1 ms per line made 7,610 tokens "456,600 per minute", and elapsed and the time
    // left on it, as status and the report have them: 200,000 lines read as "3m20s". (Tokens while no file has
    // reported usage are null in the fold's own reading, sessionMetricsAt, live and imported alike.)
    const metrics: SessionMetrics = {
      ...read,
      lines_of_code: NOT_MEASURED,
      files_modified: NOT_MEASURED,
      tests_passed: NOT_MEASURED,
      tests_failed: NOT_MEASURED,
      memory_usage_mb: NOT_MEASURED,
      disk_usage_bytes: NOT_MEASURED,
      ...(this.timesAreLineOrder ? { tokens_per_minute: NOT_MEASURED, elapsed_seconds: NOT_MEASURED, estimated_remaining: NOT_MEASURED } : {}),
    };
    this.emit({ type: 'metrics', metrics }, when);
    await writeMetricsCurrent(this.paths, metrics);
    this.metricsHistory.append(JSON.stringify(metrics) + '\n');
    return metrics;
  }

  setStatus(status: SessionStatus): void {
    writeStatus(this.paths, status);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.metricsHistory.close();
    this.log.close();
    this.events.close();
  }

  /** An import that failed half-way leaves nothing: the folder goes. */
  discard(): void {
    try {
      this.close();
    } catch {
      // the folder goes anyway
    }
    rmSync(this.paths.root, { recursive: true, force: true });
  }

  private fold(event: MegatestEvent): void {
    this.state = foldEvent(this.state, event);
  }
}
