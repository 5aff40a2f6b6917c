// A legacy run's readings as one megatest event log: session_started,
// phase_started/ended, a metrics event per snapshot, checkpoint_created per
// checkpoint file, error events for each rise of errors_encountered,
// recoveries from the runner's log, and session_ended unless the run is still
// going. Events are put in time order and numbered from 1, so the one fold
// reads them like any run's.

import type { EventInput, MegatestEvent } from '../contract/events.js';
import type { ReplayDamage } from '../replay/types.js';
import type { LegacyAgentOutput } from './agentOutput.js';
import type { LegacyCheckpoint } from './checkpointFiles.js';
import type { LegacyClock } from './clock.js';
import type { LegacyConfig } from './configFile.js';
import type { LegacyRunner } from './detect.js';
import { decideEnding } from './ending.js';
import type { LegacyFinalReport } from './finalReport.js';
import type { LegacyLiveness } from './liveness.js';
import { eventsFromRunnerLog, sessionStartFromLog, type TimedInput, type TimedLogLine } from './logEvents.js';
import { legacyMarkerVersion } from './marker.js';
import { legacyMetrics, type SnapshotForEvent } from './metricsEvent.js';
import type { LegacySnapshot } from './metricsFiles.js';
import { phasePlan, phasesFromEvidence, phasesFromLog, plannedSecondsFromLog, type PhaseEvidence } from './phases.js';
import type { LegacyStatusFiles } from './statusFiles.js';
import { isoOf } from './time.js';
import { errorEvents } from './errorEvents.js';

/** How far before the run's recorded start a record may lie (a log line a moment before config.json's time) and still count. */
const EARLY_SLACK_MS = 5 * 60_000;

export interface LegacyReading {
  runner: LegacyRunner;
  sessionId: string;
  config: LegacyConfig;
  statusFiles: LegacyStatusFiles;
  /** Python snapshots, oldest first. */
  snapshots: LegacySnapshot[];
  bashSnapshot: LegacySnapshot | null;
  checkpoints: LegacyCheckpoint[];
  finalReport: LegacyFinalReport | null;
  runnerLog: TimedLogLine[];
  liveness: LegacyLiveness;
  projectName: string | null;
  selfware: boolean;
  /** What selfware said in session.log (agentOutput.ts); null when it said nothing of its own there. */
  agentOutput: LegacyAgentOutput | null;
}

/** Order of events written at the same instant. */
const RANK: Record<EventInput['type'], number> = {
  session_started: 0,
  phase_ended: 1,
  phase_started: 2,
  checkpoint_created: 3,
  metrics: 4,
  error: 5,
  recovery: 6,
  command: 7,
  agent_started: 8,
  agent_state: 8,
  agent_exited: 8,
  tool_call: 8,
  tokens: 8,
  task_completed: 8,
  build: 8,
  test_run: 8,
  benchmark: 8,
  checkpoint_restored: 8,
  limit: 8,
  compress: 8,
  vote: 8,
  alert: 8,
  session_ended: 9,
};

/** A figure no file records: null where the event types a number (as metricsEvent.ts's). */
const NOT_RECORDED = null as unknown as number;

/** A snapshot of nothing: a final report's few figures go over it. */
const NOTHING_RECORDED: SnapshotForEvent = {
  phase: null,
  status: null,
  totalTokens: null,
  tokensPerMinute: null,
  tasksCompleted: null,
  tasksRemaining: null,
  testPassRate: null,
  linesOfCode: null,
  testCoverage: null,
  checkpointCount: null,
  errorsEncountered: null,
};

/** The runner's own names for its projects (test_runner.py's specs). */
const PROJECT_NAMES: Record<string, string> = { task_queue: 'RedQueue', database: 'MiniDB', microservices: 'ServiceMesh' };

interface Timed<T> {
  ms: number;
  item: T;
}

function timedSnapshots(reading: LegacyReading, clock: LegacyClock, damage: ReplayDamage[]): Timed<LegacySnapshot>[] {
  const python = reading.snapshots;
  // metrics_current.json only when there are no python snapshots: it says less, and would blank their figures
  const all = python.length > 0 ? python : reading.bashSnapshot ? [reading.bashSnapshot] : [];
  const timed: Timed<LegacySnapshot>[] = [];
  for (const snapshot of all) {
    const ms = clock.timeOf(snapshot.timestamp, snapshot.file, snapshot.unix);
    if (ms === null) damage.push({ file: snapshot.file, problem: 'no time in the file or its name; left out' });
    else timed.push({ ms, item: snapshot });
  }
  return timed.sort((a, b) => a.ms - b.ms);
}

function timedCheckpoints(reading: LegacyReading, clock: LegacyClock): Timed<LegacyCheckpoint>[] {
  return reading.checkpoints
    .map((checkpoint) => ({ ms: clock.timeOf(checkpoint.timestamp, checkpoint.file, checkpoint.unix)!, item: checkpoint }))
    .sort((a, b) => a.ms - b.ms);
}

function checkCounts(reading: LegacyReading, snapshots: number, damage: ReplayDamage[]): void {
  const report = reading.finalReport;
  const files = reading.checkpoints.length;
  if (report?.shape === 'bash') {
    if (report.checkpointsCreated !== null && report.checkpointsCreated !== files) {
      damage.push({ file: 'checkpoints/', problem: `final_report.json counts ${report.checkpointsCreated} ${report.checkpointsCreated === 1 ? 'checkpoint' : 'checkpoints'}; ${files === 1 ? '1 file is' : `${files} files are`} here` });
    }
    if (report.metricsSnapshots !== null && report.metricsSnapshots !== reading.snapshots.length) {
      damage.push({ file: 'metrics/', problem: `final_report.json counts ${report.metricsSnapshots} ${report.metricsSnapshots === 1 ? 'snapshot' : 'snapshots'}; ${reading.snapshots.length === 1 ? '1 readable file is' : `${reading.snapshots.length} readable files are`} here` });
    }
  }
  if (report?.shape === 'python' && report.snapshots !== null && report.snapshots !== snapshots) {
    damage.push({ file: 'metrics/', problem: `final_report.json counts ${report.snapshots} ${report.snapshots === 1 ? 'snapshot' : 'snapshots'}; ${snapshots === 1 ? '1 readable file is' : `${snapshots} readable files are`} here` });
  }
}

export function assembleEvents(reading: LegacyReading, clock: LegacyClock, damage: ReplayDamage[]): MegatestEvent[] {
  const pending: TimedInput[] = [];
  const snapshots = timedSnapshots(reading, clock, damage);
  const checkpoints = timedCheckpoints(reading, clock);
  checkCounts(reading, reading.snapshots.length, damage);
  const report = reading.finalReport;
  const bashReport = report?.shape === 'bash' ? report : null;
  const pythonReport = report?.shape === 'python' ? report : null;

  // ---- the run's span
  const explicitStart =
    clock.timeOf(reading.config.startedAt, 'config.json') ?? sessionStartFromLog(reading.runnerLog) ?? clock.timeOf(bashReport?.startedAt ?? null, 'final_report.json');
  const phases =
    reading.runnerLog.some(({ line }) => line.message.startsWith('Starting phase:'))
      ? phasesFromLog(reading.runnerLog)
      : phasesFromEvidence([
          ...snapshots.filter((s) => s.item.phase !== null).map((s): PhaseEvidence => ({ ms: s.ms, phase: s.item.phase!, elapsedSeconds: s.item.source === 'python' ? s.item.elapsedSeconds : null })),
          ...checkpoints.filter((c) => c.item.phase !== null).map((c): PhaseEvidence => ({ ms: c.ms, phase: c.item.phase!, elapsedSeconds: c.item.elapsedSeconds })),
        ]);
  const tagged: { ms: number | null; file: string }[] = [
    ...snapshots.map((s) => ({ ms: s.ms, file: 'metrics/' })),
    ...checkpoints.map((c) => ({ ms: c.ms, file: 'checkpoints/' })),
    ...reading.runnerLog.map((l) => ({ ms: l.ms, file: 'test_session.log' })),
    ...phases.map((p) => ({ ms: p.startMs, file: 'test_session.log' })),
    { ms: clock.timeOf(bashReport?.completedAt ?? null, 'final_report.json'), file: 'final_report.json' },
    { ms: clock.timeOf(reading.statusFiles.interrupted?.timestamp ?? null, 'interrupted.json'), file: 'interrupted.json' },
  ];
  // A time well before the run's recorded start (a Bash final report's completed_at an hour before config.json's
  // started_at: the clock was set back) moved the start back to it, silently: it is listed, and the start stays.
  const early = explicitStart === null ? [] : tagged.filter((t) => t.ms !== null && t.ms < explicitStart - EARLY_SLACK_MS);
  for (const file of new Set(early.map((t) => t.file))) {
    const first = Math.min(...early.filter((t) => t.file === file).map((t) => t.ms!));
    damage.push({ file, problem: `a time (${new Date(first).toISOString()}) before the run's start (${new Date(explicitStart!).toISOString()}): the clock was set back, or the file is another run's; the start is kept`, recovered: true });
  }
  const recorded = tagged.filter((t) => t.ms !== null && !early.includes(t)).map((t) => t.ms!);
  const startMs = Math.min(explicitStart ?? Infinity, ...recorded);
  if (!Number.isFinite(startMs)) return [];
  const endMs = Math.max(startMs, ...recorded);

  // ---- what happened
  const logged = eventsFromRunnerLog(reading.runnerLog);
  // test_runner.py's log is the one record of its recoveries: a snapshot's count is the log's so far; with no log found, not recorded
  const recoveriesAt = (ms: number): number | null =>
    reading.runnerLog.length === 0 ? null : logged.filter((e) => e.ms <= ms && e.input.type === 'recovery' && e.input.outcome === 'succeeded').length;
  // test_runner.py names its project only in its log ("Project: RedQueue"), by the name of its own spec
  const loggedName = reading.runnerLog.map(({ line }) => /^Project: (.+)$/.exec(line.message)?.[1]?.trim()).find((name) => name !== undefined) ?? null;
  const loggedType = Object.entries(PROJECT_NAMES).find(([, name]) => name === loggedName)?.[0] ?? null;
  const project = reading.config.projectType ?? bashReport?.projectType ?? loggedType;
  const ending = decideEnding(reading.statusFiles, report, reading.liveness, damage);
  const plannedSeconds =
    reading.config.durationHours !== null && reading.config.durationHours > 0 ? reading.config.durationHours * 3600 : plannedSecondsFromLog(reading.runnerLog);
  const plan = phasePlan(phases, plannedSeconds, ending?.status === 'completed');
  pending.push({
    ms: startMs,
    input: {
      type: 'session_started',
      session_id: reading.sessionId,
      project: project ?? 'unknown',
      project_name: reading.projectName ?? loggedName ?? PROJECT_NAMES[project ?? ''] ?? project ?? 'unknown',
      agent_kind: reading.selfware ? 'selfware' : 'legacy',
      simulated: false,
      agents: reading.config.agentCount ?? bashReport?.agentCount ?? 0,
      // As config.json (Bash) or test_runner.py's log ("Duration: 1 hours") records it; else not recorded (null), never an
      // assumed 6 h: views then show no share of a plan and no time left.
      duration_seconds: plannedSeconds ?? NOT_RECORDED,
      // The plan as the files record it (phasePlan): a converted run started with none read at 1 h of a 6-hour run as
      // "phase 1/1 bootstrap … plan 99%", the one phase begun so far taken for the whole plan.
      phases: plan,
      megatest_version: legacyMarkerVersion(reading.runner),
    },
  });
  phases.forEach((phase, index) => {
    pending.push({ ms: phase.startMs, input: { type: 'phase_started', phase: phase.name, index, duration_seconds: phase.durationSeconds, tasks: [] } });
    const last = index === phases.length - 1;
    // the last phase ends with the run: passed if the run completed, failed if it failed; cut short otherwise
    const endedAt = phase.endMs ?? (last && (ending?.status === 'completed' || ending?.status === 'failed') ? endMs : null);
    if (endedAt !== null) {
      const passed = !last || phase.endMs !== null || ending?.status === 'completed';
      pending.push({ ms: endedAt, input: { type: 'phase_ended', phase: phase.name, index, criteria: [], passed } });
    }
  });
  for (const { ms, item } of snapshots) pending.push({ ms, input: { type: 'metrics', metrics: legacyMetrics(reading.sessionId, ms, startMs, item, recoveriesAt(ms)) } });
  if (snapshots.length === 0 && pythonReport !== null) {
    // no snapshot survived: the final report holds the last one's figures
    const fromReport: SnapshotForEvent = {
      ...NOTHING_RECORDED,
      status: pythonReport.status,
      totalTokens: pythonReport.totalTokens,
      linesOfCode: pythonReport.finalLoc,
      testCoverage: pythonReport.finalCoverage,
      errorsEncountered: pythonReport.errors,
    };
    pending.push({ ms: endMs, input: { type: 'metrics', metrics: legacyMetrics(reading.sessionId, endMs, startMs, fromReport, recoveriesAt(endMs)) } });
  } else if (pythonReport !== null && snapshots.length > 0) {
    const last = snapshots.at(-1)!.item;
    const differs = (name: string, a: number | null, b: number | null) => {
      if (a !== null && b !== null && Math.abs(a - b) > 1e-9) damage.push({ file: 'final_report.json', problem: `${name} ${a} differs from the last snapshot's ${b} (${last.file})` });
    };
    differs('total_tokens', pythonReport.totalTokens, last.totalTokens);
    differs('final_loc', pythonReport.finalLoc, last.linesOfCode);
  }
  if (bashReport !== null && bashReport.checkpointsCreated !== null && reading.snapshots.length === 0) {
    // run_mega_test.sh counts its checkpoints once more as it ends: the run's count, at its end (it writes no checkpoint_<unix>.json to make events of)
    pending.push({ ms: endMs, input: { type: 'metrics', metrics: legacyMetrics(reading.sessionId, endMs, startMs, { ...NOTHING_RECORDED, checkpointCount: bashReport.checkpointsCreated }, recoveriesAt(endMs)) } });
  }
  // test_runner.py takes its final checkpoint after its last snapshot, as it writes its report
  const newest = checkpoints.at(-1);
  const finalId = pythonReport !== null && newest && newest.ms >= (snapshots.at(-1)?.ms ?? -Infinity) ? newest.item.id : undefined;
  for (const { ms, item } of checkpoints) {
    pending.push({
      ms,
      input: {
        type: 'checkpoint_created',
        id: item.id,
        trigger: item.id === finalId ? 'final' : 'time',
        // a legacy checkpoint holds no file tree (a git commit id at most); how long it took was not recorded
        files: 0,
        bytes: item.bytes,
        ms: 0,
        phase: item.phase ?? '',
        ...(item.linesOfCode !== null ? { lines_of_code: item.linesOfCode } : {}),
        ...(item.testPassRate !== null ? { test_pass_rate: item.testPassRate } : {}),
      },
    });
  }
  pending.push(...errorEvents(snapshots, pythonReport?.errors ?? null, endMs, damage));
  pending.push(...logged);
  pending.push(...(reading.agentOutput?.events({ startMs, endMs, phase: phases.at(-1)?.name ?? '', ended: ending !== null }) ?? []));
  if (ending !== null) {
    if (ending.status !== 'interrupted' && report === null) {
      damage.push({ file: 'final_report.json', problem: 'missing: the runner stopped before writing it' });
    }
    pending.push({ ms: endMs, input: { type: 'session_ended', status: ending.status, exit_code: ending.exitCode, reason: ending.reason } });
  }

  return pending
    .map((p, order) => ({ ...p, order }))
    .sort((a, b) => a.ms - b.ms || RANK[a.input.type] - RANK[b.input.type] || a.order - b.order)
    .map((p, index) => ({ seq: index + 1, ts: isoOf(p.ms), ...p.input }) as MegatestEvent);
}
