// Reads what selfware saved about a task: $HOME/.selfware/checkpoints/<id>.json
// and its <id>.delta.jsonl (each line one increment, applied in order), for
// the tool calls (with their real durations), errors, step and status. Never
// throws: a missing, half-written or foreign file gives what could be read
// and a problem line saying what could not.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  checkpointSchema,
  deltaSchema,
  errorSchema,
  TASK_STATUSES,
  toolCallSchema,
  unwrapEnvelope,
  type SelfwareTaskStatus,
} from './checkpointFormat.js';

export type { SelfwareTaskStatus };

export interface SelfwareCheckpointToolCall {
  tool: string;
  ok: boolean;
  /** As selfware measured it; null when it did not record one. */
  duration_ms: number | null;
  at: string | null;
}

export interface SelfwareCheckpointError {
  step: number | null;
  message: string;
  /** selfware went on after it (false: the task failed on it). */
  recovered: boolean;
  at: string | null;
}

export interface SelfwareCheckpoint {
  taskId: string;
  description: string | null;
  status: SelfwareTaskStatus | null;
  currentStep: number | null;
  updatedAt: string | null;
  toolCalls: SelfwareCheckpointToolCall[];
  errors: SelfwareCheckpointError[];
  /** Delta lines applied on top of the full checkpoint. */
  deltasApplied: number;
}

export interface SelfwareCheckpointRead {
  /** null when nothing at all could be read. */
  checkpoint: SelfwareCheckpoint | null;
  /** One line: what could not be read; null when every file was whole. */
  problem: string | null;
}

export interface SelfwareCheckpointFile {
  taskId: string;
  file: string;
  mtimeMs: number;
}

/** Where selfware keeps its checkpoints under a HOME. */
export function selfwareCheckpointsDir(homeDir: string): string {
  return path.join(homeDir, '.selfware', 'checkpoints');
}

/** The checkpoints saved under a HOME, newest first (empty when there are none or the folder cannot be read). */
export function listSelfwareCheckpoints(homeDir: string): SelfwareCheckpointFile[] {
  const dir = selfwareCheckpointsDir(homeDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const files: SelfwareCheckpointFile[] = [];
  for (const name of names) {
    // <id>.json only: not <id>.json.bak, <id>.json.tmp.*, <id>.delta.jsonl.
    if (!name.endsWith('.json')) continue;
    const file = path.join(dir, name);
    try {
      const stat = statSync(file);
      if (stat.isFile()) files.push({ taskId: name.slice(0, -'.json'.length), file, mtimeMs: stat.mtimeMs });
    } catch {
      // gone between readdir and stat: selfware pruned or renamed it
    }
  }
  return files.sort((a, b) => b.mtimeMs - a.mtimeMs || a.taskId.localeCompare(b.taskId));
}

/**
 * The id of the task selfware saved last under a HOME, when saved at or after
 * `sinceMs` (a task run's start): the id `selfware resume` takes. selfware
 * 0.1.x does not print it, but every agent has a HOME of its own and runs one
 * task at a time, so the newest checkpoint there is that task's.
 */
export function latestSelfwareTaskId(homeDir: string, sinceMs = 0): string | null {
  const [newest] = listSelfwareCheckpoints(homeDir);
  // From the start of that second: some filesystems keep mtimes to the second.
  const since = Math.floor(sinceMs / 1000) * 1000;
  return newest && newest.mtimeMs >= since ? newest.taskId : null;
}

/**
 * Call as a task run starts: returns a lookup of the task id that run saved
 * under the HOME (null while it has saved none), the id `selfware resume`
 * takes. selfware 0.1.x does not print it, but every agent has a HOME of its
 * own and runs one task at a time, so a checkpoint that is new or rewritten
 * since the run began is that run's task. Comparing with what the folder
 * held at the start, rather than with the start time, never takes the task
 * of a run that ended in the same second (filesystems that keep mtimes to
 * the second).
 */
export function selfwareTaskIdLookup(homeDir: string): () => string | null {
  const before = new Map(listSelfwareCheckpoints(homeDir).map((file) => [file.taskId, file.mtimeMs]));
  return () => listSelfwareCheckpoints(homeDir).find((file) => before.get(file.taskId) !== file.mtimeMs)?.taskId ?? null;
}

/** Reads one task's checkpoint (and its delta log and backup) from disk. */
export function readSelfwareCheckpoint(homeDir: string, taskId: string): SelfwareCheckpointRead {
  const dir = selfwareCheckpointsDir(homeDir);
  if (taskId === '' || taskId.includes('/') || taskId.includes('\\') || taskId.startsWith('.')) {
    return { checkpoint: null, problem: `"${taskId}" is not a selfware task id` };
  }
  const read = (name: string): string | null => {
    try {
      return readFileSync(path.join(dir, name), 'utf8');
    } catch {
      return null;
    }
  };
  return parseSelfwareCheckpoint(taskId, {
    base: read(`${taskId}.json`),
    deltas: read(`${taskId}.delta.jsonl`),
    backup: read(`${taskId}.json.bak`),
  });
}

export interface SelfwareCheckpointTexts {
  /** <id>.json; null when missing. */
  base: string | null;
  /** <id>.delta.jsonl; null when missing. */
  deltas?: string | null;
  /** <id>.json.bak, the previous full save; null when missing. */
  backup?: string | null;
}

/** The same, from the files' text (pure). */
export function parseSelfwareCheckpoint(taskId: string, texts: SelfwareCheckpointTexts): SelfwareCheckpointRead {
  const problems: string[] = [];
  const file = `${taskId}.json`;
  let start: { checkpoint: SelfwareCheckpoint; version: number } | null = null;
  if (texts.base === null) {
    problems.push(`${file} is missing`);
  } else {
    start = fromFullText(texts.base, problems, file);
  }
  if (start === null && texts.backup) {
    const before = problems.length;
    start = fromFullText(texts.backup, problems, `${file}.bak`);
    if (start !== null && problems.length === before) problems.push(`read ${file}.bak, selfware's previous save, instead`);
  }
  if (start === null && texts.base && !isJson(texts.base)) {
    const salvaged = salvage(taskId, texts.base);
    problems.push(
      `${file} is cut off after ${texts.base.length} characters (half-written?): kept the ${salvaged.toolCalls.length} tool calls and ${salvaged.errors.length} errors that were whole`,
    );
    return { checkpoint: salvaged, problem: problems.join('; ') };
  }
  if (start === null) return { checkpoint: null, problem: problems.join('; ') };
  if (texts.deltas) applyDeltas(start, texts.deltas, problems, `${taskId}.delta.jsonl`);
  return { checkpoint: start.checkpoint, problem: problems.length > 0 ? problems.join('; ') : null };
}

function isJson(textValue: string): boolean {
  try {
    JSON.parse(textValue);
    return true;
  } catch {
    return false;
  }
}

function fromFullText(
  textValue: string,
  problems: string[],
  file: string,
): { checkpoint: SelfwareCheckpoint; version: number } | null {
  let value: unknown;
  try {
    value = JSON.parse(textValue);
  } catch {
    problems.push(`${file} is not whole JSON`);
    return null;
  }
  const parsed = checkpointSchema.safeParse(unwrapEnvelope(value));
  if (!parsed.success) {
    problems.push(`${file} is not a selfware task checkpoint (${parsed.error.issues[0]?.path.join('.') || 'value'})`);
    return null;
  }
  const data = parsed.data;
  const checkpoint: SelfwareCheckpoint = {
    taskId: data.task_id,
    description: data.task_description ?? null,
    status: data.status ?? null,
    currentStep: data.current_step ?? null,
    updatedAt: data.updated_at ?? null,
    toolCalls: [],
    errors: [],
    deltasApplied: 0,
  };
  appendEntries(checkpoint, data.tool_calls ?? [], data.errors ?? [], problems, file);
  return { checkpoint, version: data.version ?? 0 };
}

function applyDeltas(
  start: { checkpoint: SelfwareCheckpoint; version: number },
  textValue: string,
  problems: string[],
  file: string,
): void {
  const lines = textValue.split('\n');
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const where = `${file} line ${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      // Later lines build on this one, so none of them can be applied either.
      problems.push(`${where} is not whole JSON (half-written?); ${start.checkpoint.deltasApplied} deltas applied before it`);
      return;
    }
    const parsed = deltaSchema.safeParse(unwrapEnvelope(value));
    if (!parsed.success) {
      problems.push(`${where} is not a checkpoint delta; ${start.checkpoint.deltasApplied} deltas applied before it`);
      return;
    }
    const delta = parsed.data;
    if (delta.task_id !== start.checkpoint.taskId || delta.base_version !== start.version) {
      // selfware refuses such a delta too (apply_delta): it was made on another base.
      problems.push(
        `${where} was made on ${delta.task_id} version ${delta.base_version}, not ${start.checkpoint.taskId} version ${start.version}; ${start.checkpoint.deltasApplied} deltas applied before it`,
      );
      return;
    }
    const checkpoint = start.checkpoint;
    start.version = delta.target_version;
    if (delta.updated_at) checkpoint.updatedAt = delta.updated_at;
    if (delta.status) checkpoint.status = delta.status;
    if (delta.current_step !== undefined && delta.current_step !== null) checkpoint.currentStep = delta.current_step;
    appendEntries(checkpoint, delta.new_tool_calls ?? [], delta.new_errors ?? [], problems, where);
    checkpoint.deltasApplied += 1;
  }
}

function appendEntries(
  checkpoint: SelfwareCheckpoint,
  toolCalls: unknown[],
  errors: unknown[],
  problems: string[],
  where: string,
): void {
  let unreadable = 0;
  for (const entry of toolCalls) {
    const parsed = toolCallSchema.safeParse(entry);
    if (!parsed.success) {
      unreadable += 1;
      continue;
    }
    const call = parsed.data;
    checkpoint.toolCalls.push({ tool: call.tool_name, ok: call.success, duration_ms: call.duration_ms ?? null, at: call.timestamp ?? null });
  }
  for (const entry of errors) {
    const parsed = errorSchema.safeParse(entry);
    if (!parsed.success) {
      unreadable += 1;
      continue;
    }
    const error = parsed.data;
    checkpoint.errors.push({ step: error.step ?? null, message: error.error, recovered: error.recovered ?? false, at: error.timestamp ?? null });
  }
  if (unreadable > 0) problems.push(`${where}: ${unreadable} tool call or error entries are not in selfware's format`);
}

// A JSON string literal, escapes included.
const STRING = String.raw`"((?:[^"\\]|\\.)*)"`;
const SALVAGE_TOOL_CALL = new RegExp(
  String.raw`"tool_name":\s*${STRING}[\s\S]*?"success":\s*(true|false)(?:,\s*"duration_ms":\s*(\d+|null))?`,
  'g',
);
const SALVAGE_ERROR = new RegExp(String.raw`"step":\s*(\d+),\s*"error":\s*${STRING},\s*"recovered":\s*(true|false)`, 'g');
const SALVAGE_STATUS = new RegExp(String.raw`"status":\s*"(${TASK_STATUSES.join('|')})"`);
const SALVAGE_STEP = /"current_step":\s*(\d+)/;

/**
 * What a checkpoint cut off mid-write still says. Keys are matched with their
 * quotes, so the same words inside a JSON string (escaped as \") never match;
 * an entry counts only when its fields up to `success`/`recovered` are there.
 */
function salvage(taskId: string, textValue: string): SelfwareCheckpoint {
  const unescape = (s: string): string => {
    try {
      return JSON.parse(`"${s}"`) as string;
    } catch {
      return s;
    }
  };
  const section = (key: string): string => {
    const at = textValue.indexOf(`"${key}":`);
    return at === -1 ? '' : textValue.slice(at);
  };
  const toolCalls: SelfwareCheckpointToolCall[] = [];
  const callsText = section('tool_calls');
  const errorsAt = callsText.indexOf('"errors":');
  for (const match of (errorsAt === -1 ? callsText : callsText.slice(0, errorsAt)).matchAll(SALVAGE_TOOL_CALL)) {
    const duration = match[3] === undefined || match[3] === 'null' ? null : Number(match[3]);
    toolCalls.push({ tool: unescape(match[1]!), ok: match[2] === 'true', duration_ms: duration, at: null });
  }
  const errors: SelfwareCheckpointError[] = [];
  for (const match of section('errors').matchAll(SALVAGE_ERROR)) {
    errors.push({ step: Number(match[1]), message: unescape(match[2]!), recovered: match[3] === 'true', at: null });
  }
  const status = SALVAGE_STATUS.exec(textValue)?.[1] as SelfwareTaskStatus | undefined;
  const step = SALVAGE_STEP.exec(textValue)?.[1];
  return {
    taskId,
    description: null,
    status: status ?? null,
    currentStep: step === undefined ? null : Number(step),
    updatedAt: null,
    toolCalls,
    errors,
    deltasApplied: 0,
  };
}
