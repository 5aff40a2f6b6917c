// `megatest import`: recorded agent output (one file per agent) turned into a
// run folder that status, report, compare and replay read like any run's.
//
// The plan, and why:
// - Everything that can be wrong with the input is found before the folder
//   exists (the kind, each file and whether it is that kind's output at all,
//   the session id); a failure after that takes the folder away again, so
//   bad input never leaves a half-made one.
// - One phase, "imported", spanning the whole recording: the session never
//   went through megatest's four phases, and nothing in a stream marks where
//   one would end, so four would be invented boundaries with invented task
//   lists. One phase lets the console's phase bar, the replay's timeline and
//   the report show the recording as it was.
// - One task per file for the kinds whose stream says how its run ended
//   (selfware, claude-code, codex): the file's run is that task, completed
//   when the stream says it succeeded, so tasks done and tool calls per task
//   mean something. A JSONL-protocol transcript names its own tasks
//   (task_done), and the total it was given is unknown.
// - Several files are merged by time, each on its own clock (timeline.ts).

import { accessSync, constants, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { AGENTS_MAX } from '../config/allowedValues.js';
import { UsageError } from '../config/errors.js';
import { loadConfig, resolveTemplate } from '../config/load.js';
import type { MegatestConfig, ProjectTemplate } from '../config/types.js';
import type { SessionStatus } from '../contract/events.js';
import { LogIndexUpkeep } from '../io/logIndexUpkeep.js';
import { defaultSessionId, validateSessionId, type RunPaths, type RunsDirNaming } from '../io/runFolder.js';
import type { ImportedFrom, RunInfo } from '../io/runInfo.js';
import { writeReport, type FinalReport } from '../report/report.js';
import { MEGATEST_VERSION } from '../version.js';
import { timedMessages, type TimedMessages } from './agentStream.js';
import { AgentEventMapper, type StreamVerdict } from './eventMapper.js';
import { capabilitiesOf, KIND_FILES, reportsOutcome, type ImportKind } from './kinds.js';
import { checkRecordedKind } from './recognise.js';
import { earlierImportsOf } from './earlierImports.js';
import { ImportRunWriter, type AgentGauges } from './runWriter.js';
import { changeSince, pinFile, type PinnedFile } from './pinnedFile.js';
import { FileClock, surveyFile, type FileSurvey } from './timeline.js';
import { countOf } from '../state/groupDigits.js';

export const IMPORTED_PHASE = 'imported';
const IMPORTED_ROLE = 'imported';

export interface ImportOptions {
  kind: ImportKind;
  files: string[];
  runsDir: string;
  /** How a refusal names runsDir (where it came from); default `--runs-dir DIR`. */
  runsDirNaming?: RunsDirNaming;
  /** Default: import-YYYYMMDD-HHMMSS-xxxx. */
  sessionId?: string;
}

export interface ImportResult {
  runDir: string;
  status: SessionStatus;
  exitCode: number;
  reason: string;
  report: FinalReport;
  imported: ImportedFrom;
  /** What the import warns of, one line each (a file that changed while it was read), as session.log has them. */
  warnings: string[];
  /** Run folders (ids under the runs dir) imported before from the very same files. */
  earlierImports: string[];
}

interface AgentSource {
  name: string;
  file: PinnedFile;
  clock: FileClock;
  mapper: AgentEventMapper;
  stream: AsyncGenerator<TimedMessages>;
  head: TimedMessages | null;
  started: boolean;
}

/** Checks the input before anything is made: one line naming the file or argument, exit 2. */
function checkInput(options: ImportOptions): string {
  if (options.files.length === 0) throw new UsageError(`megatest import: expected at least one FILE (${KIND_FILES[options.kind]}), one per agent`);
  if (options.files.length > AGENTS_MAX) throw new UsageError(`megatest import: ${options.files.length} files; at most ${AGENTS_MAX} (one per agent)`);
  for (const file of options.files) {
    let isFile: boolean;
    let isFolder = false;
    try {
      const info = statSync(file);
      isFile = info.isFile();
      isFolder = info.isDirectory();
      accessSync(file, constants.R_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UsageError(`megatest import: FILE ${file}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(error)})`}`);
    }
    // A folder (a logs folder, a run folder) said only "not a regular file": what to give instead is said.
    if (isFolder) throw new UsageError(`megatest import: FILE ${file}: a folder, not a file; give the recorded output itself (${KIND_FILES[options.kind]}), one file per agent`);
    if (!isFile) throw new UsageError(`megatest import: FILE ${file}: not a regular file`);
  }
  const sessionId = options.sessionId ?? defaultSessionId().replace(/^mega-/, 'import-');
  validateSessionId(sessionId);
  const target = path.join(path.resolve(options.runsDir), sessionId);
  if (existsSync(target)) throw new UsageError(`--session-id ${sessionId}: ${target} already exists; choose another id`);
  return sessionId;
}

/** Each file's task: its name, made unique with the agent's when two files share one. */
function taskNames(files: string[], agents: string[]): string[] {
  const names = files.map((f) => path.basename(f));
  return names.map((name, i) => (names.indexOf(name) === names.lastIndexOf(name) ? name : `${agents[i]} ${name}`));
}

function importConfig(kind: ImportKind, sessionId: string, runsDir: string, agents: number, durationSeconds: number): { config: MegatestConfig; template: ProjectTemplate } {
  const defaults = loadConfig({});
  // The default project's targets judge the run, as for a legacy run; nothing of a project is measured.
  const base = resolveTemplate(defaults);
  const template: ProjectTemplate = {
    ...base,
    type: IMPORTED_PHASE,
    name: `recorded ${kind} output`,
    description: `agent output recorded without megatest, imported with megatest import`,
    prompt: '',
    components: [],
    tasks: {},
    build_command: '',
    test_command: '',
    coverage_command: '',
  };
  const config: MegatestConfig = {
    ...defaults,
    session: { ...defaults.session, project: IMPORTED_PHASE, agents, duration_seconds: durationSeconds, session_id: sessionId, runs_dir: runsDir },
    checkpoint: { ...defaults.checkpoint, enabled: false },
    agents: { ...defaults.agents, kind, binary: '' },
    phases: [{ name: IMPORTED_PHASE, weight: 1, objectives: [], roles: [], criteria: [] }],
  };
  return { config, template };
}

/** The run's end from each agent's: a failure wins, then a stream that did not finish, else completed. */
function sessionEnding(kind: ImportKind, verdicts: { name: string; verdict: StreamVerdict }[]): { status: SessionStatus; exitCode: number; reason: string } {
  const said = verdicts.map(({ name, verdict }) =>
    verdict === 'no_outcome'
      ? `${name} ended without an outcome (${reportsOutcome(kind) ? 'the stream was cut, or the agent killed before it said' : 'the JSONL protocol has no outcome line'})`
      : `${name} ${verdict === 'max_turns' ? 'stopped at its turn limit' : verdict}`,
  );
  const reason = `imported ${kind} output: ${said.join('; ')}`;
  const all = verdicts.map((v) => v.verdict);
  if (all.some((v) => v === 'failed' || v === 'max_turns')) return { status: 'failed', exitCode: 1, reason };
  if (all.some((v) => v === 'interrupted' || v === 'no_outcome')) return { status: 'interrupted', exitCode: 130, reason };
  return { status: 'completed', exitCode: 0, reason };
}

function exitCause(kind: ImportKind, verdict: StreamVerdict): string {
  if (verdict !== 'no_outcome') return `the recorded stream ended: ${verdict}`;
  return reportsOutcome(kind) ? 'the recorded stream ended without an outcome (cut short, or killed before it said)' : 'the recorded transcript ended';
}

export async function importRecordedRun(options: ImportOptions): Promise<ImportResult> {
  const { kind } = options;
  const sessionId = checkInput(options);
  // Each file's size and time, taken once: every pass below reads those bytes, however the file grows meanwhile.
  const pinned: PinnedFile[] = [];
  for (const file of options.files.map((f) => path.resolve(f))) pinned.push(await readable(file, () => pinFile(file)));
  const files = pinned.map((p) => p.path);
  const names = files.map((_, i) => `agent-${i + 1}`);
  // Not the kind's output at all (random bytes, an empty file, another agent's stream): refused before any folder.
  for (const [i, file] of pinned.entries()) await readable(file.path, () => checkRecordedKind(kind, file, options.files[i]!));
  const surveys: FileSurvey[] = [];
  for (const file of pinned) surveys.push(await readable(file.path, () => surveyFile(kind, file)));
  const clocks = surveys.map((s) => new FileClock(kind, s));
  const startMs = Math.min(...clocks.map((c) => c.startMs));
  const endMs = Math.max(...clocks.map((c) => c.plannedEndMs));
  const durationSeconds = Math.max(1, Math.ceil((endMs - startMs) / 1000));
  const tasks = reportsOutcome(kind) ? taskNames(files, names) : [];

  const importedAt = new Date().toISOString();
  const imported: ImportedFrom = {
    imported_at: importedAt,
    agent_kind: kind,
    files: files.map((file, i) => ({
      agent: names[i]!,
      file,
      lines: surveys[i]!.lines,
      bytes: surveys[i]!.bytes,
      timeline: clocks[i]!.kind,
      timeline_note: clocks[i]!.describe(),
    })),
  };
  const { config, template } = importConfig(kind, sessionId, options.runsDir, files.length, durationSeconds);
  const info: RunInfo = {
    session_id: sessionId,
    created_at: importedAt,
    megatest_version: MEGATEST_VERSION,
    agent_kind: kind,
    agent_version: `${kind}: recorded output, imported (not run by megatest)`,
    simulated: false,
    config,
    template,
    imported,
  };

  // Looked for before this import's own folder exists.
  const earlierImports = earlierImportsOf(options.runsDir, kind, pinned);
  const writer = ImportRunWriter.create(options.runsDir, info, options.runsDirNaming);
  try {
    const { warnings, ...ending } = await writeRun(writer, { kind, files: pinned, names, tasks, clocks, startMs, durationSeconds, config, imported });
    writer.close();
    await keepEventIndex(writer.paths, warnings);
    const report = await writeReport(writer.paths.root);
    return { runDir: writer.paths.root, ...ending, report, imported, warnings, earlierImports };
  } catch (error) {
    writer.discard();
    throw error;
  }
}

/**
 * events.idx beside the log, as a live run leaves it: without one, every
 * `ls`, `compare`, `status` and `report` of the import folded its whole
 * log again (20 MB of events for a 200 MB transcript, each time, for each
 * such run in the folder). Not having it loses nothing but that time: said,
 * and the import goes on.
 */
async function keepEventIndex(paths: RunPaths, warnings: string[]): Promise<void> {
  const notes: string[] = [];
  try {
    const upkeep = await LogIndexUpkeep.open(paths, (note) => notes.push(note));
    await upkeep.close();
  } catch (error) {
    notes.push(`events.idx not written (${(error as Error).message}); readers of the run fold its whole log`);
  }
  warnings.push(...notes);
}

interface RunPlan {
  kind: ImportKind;
  files: PinnedFile[];
  names: string[];
  tasks: string[];
  clocks: FileClock[];
  startMs: number;
  durationSeconds: number;
  config: MegatestConfig;
  imported: ImportedFrom;
}

async function writeRun(writer: ImportRunWriter, plan: RunPlan): Promise<{ status: SessionStatus; exitCode: number; reason: string; warnings: string[] }> {
  const { kind, config, startMs } = plan;
  const tasksDone = new Set<string>();
  const sources: AgentSource[] = plan.files.map((file, i) => ({
    name: plan.names[i]!,
    file,
    clock: plan.clocks[i]!,
    mapper: new AgentEventMapper(
      { name: plan.names[i]!, role: IMPORTED_ROLE, task: plan.tasks[i] ?? null, phase: IMPORTED_PHASE, capabilities: capabilitiesOf(kind) },
      tasksDone,
    ),
    stream: timedMessages(kind, file, plan.clocks[i]!),
    head: null,
    started: false,
  }));
  const gauges = (): AgentGauges =>
    Object.fromEntries(sources.map((s) => [s.name, { role: IMPORTED_ROLE, contextTokens: s.mapper.contextTokens, maxContextTokens: config.agent.max_context_size }]));

  writer.write('INFO', 'import', `importing ${countOf(sources.length, `recorded ${kind} file`)} with megatest import at ${plan.imported.imported_at}: megatest did not run these agents; the counts are the ${kind} parser's`, startMs);
  for (const [i, source] of sources.entries()) {
    writer.copyRawOutput(source.name, source.file);
    const f = plan.imported.files[i]!;
    writer.write('INFO', 'import', `${source.name}: ${source.file.path} (${f.lines} lines, ${f.bytes} bytes); timeline: ${f.timeline_note}`, startMs);
  }
  writer.emit(
    {
      type: 'session_started',
      session_id: config.session.session_id,
      project: IMPORTED_PHASE,
      project_name: `recorded ${kind} output`,
      agent_kind: kind,
      simulated: false,
      agents: sources.length,
      duration_seconds: plan.durationSeconds,
      phases: [{ name: IMPORTED_PHASE, duration_seconds: plan.durationSeconds, tasks: plan.tasks }],
      megatest_version: MEGATEST_VERSION,
      ...(plan.imported.files.some((file) => file.timeline === 'line_order') ? { times: 'line_order' as const } : {}),
    },
    startMs,
  );
  writer.emit({ type: 'phase_started', phase: IMPORTED_PHASE, index: 0, duration_seconds: plan.durationSeconds, tasks: plan.tasks }, startMs);
  writer.setStatus('running');
  await writer.sample(startMs, 'running', gauges());

  const intervalMs = config.monitoring.health_check_interval * 1000;
  let nextSampleMs = startMs + intervalMs;
  for (const source of sources) source.head = await advance(source);
  for (;;) {
    const source = earliest(sources);
    if (!source) break;
    const item = source.head!;
    if (item.ms >= nextSampleMs) {
      // As live, a snapshot every health_check_interval of the run's time; a long silence gets one, not hundreds.
      await writer.sample(nextSampleMs, 'running', gauges());
      nextSampleMs += intervalMs * (Math.floor((item.ms - nextSampleMs) / intervalMs) + 1);
    }
    if (!source.started) {
      source.started = true;
      writer.apply(source.mapper.start(item.ms), source.name);
    }
    writer.apply(source.mapper.take(item.messages, item.ms), source.name);
    if (item.end) {
      writer.apply(source.mapper.end(item.ms, exitCause(kind, source.mapper.verdict)), source.name);
      source.head = null;
    } else {
      source.head = await advance(source);
    }
  }

  const ending = sessionEnding(kind, sources.map((s) => ({ name: s.name, verdict: s.mapper.verdict })));
  const endMs = Math.max(...sources.map((s) => s.clock.endMs()));
  // No criterion is judged (nothing was measured); the phase passes when every recorded run said it succeeded.
  // A file still being written when the import began: what was imported is what it held then, and the log says so.
  const warnings = sources.flatMap((s) => {
    const change = changeSince(s.file);
    return change === null ? [] : [`${s.name}: ${s.file.path}: ${change}`];
  });
  for (const warning of warnings) writer.write('WARN', 'import', warning, endMs);
  writer.emit({ type: 'phase_ended', phase: IMPORTED_PHASE, index: 0, criteria: [], passed: ending.status === 'completed' }, endMs);
  await writer.sample(endMs, ending.status, gauges());
  writer.emit({ type: 'session_ended', status: ending.status, exit_code: ending.exitCode, reason: ending.reason }, endMs);
  writer.setStatus(ending.status);
  writer.write('INFO', 'import', `session ended: ${ending.status}, exit code ${ending.exitCode} (${ending.reason})`, endMs);
  return { ...ending, warnings };
}

/** The source whose next item comes first (ties: the lower agent number). */
function earliest(sources: AgentSource[]): AgentSource | null {
  let best: AgentSource | null = null;
  for (const source of sources) if (source.head && (!best || source.head.ms < best.head!.ms)) best = source;
  return best;
}

async function advance(source: AgentSource): Promise<TimedMessages | null> {
  const next = await readable(source.file.path, () => source.stream.next());
  return next.done ? null : next.value;
}

/** A file that cannot be read half-way (gone, a disk error) is named, exit 2; the caller takes the folder away. */
async function readable<T>(file: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    throw new UsageError(`megatest import: FILE ${file}: cannot read (${code})`);
  }
}
