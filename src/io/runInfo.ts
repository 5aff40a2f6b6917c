// config.json: what the orchestrator needs to run (or resume) a session,
// and what the report needs to judge it, without the original flags.

import { readFileSync } from 'node:fs';
import type { MegatestConfig, ProjectTemplate } from '../config/types.js';
import { UsageError } from '../config/errors.js';
import { jsonProblem } from './jsonProblem.js';
import { RunFileReadError } from './readError.js';
import { runPaths } from './runFolder.js';

export interface RunInfo {
  session_id: string;
  created_at: string;
  megatest_version: string;
  agent_kind: string;
  agent_version: string;
  simulated: boolean;
  config: MegatestConfig;
  /** The project template, with the commands actually used to measure project/. */
  template: ProjectTemplate;
  /** Set when `megatest import` made the folder from recorded agent output (docs/import.md). */
  imported?: ImportedFrom;
}

/** Where an imported run's events came from, and which timeline each file's events follow. */
export interface ImportedFrom {
  imported_at: string;
  agent_kind: string;
  files: {
    agent: string;
    file: string;
    lines: number;
    bytes: number;
    /** stream: the stream's own timestamps; line_order: 1 ms per line, which says the order, not the time. */
    timeline: 'stream' | 'line_order';
    timeline_note: string;
  }[];
}

/**
 * The run's config.json. One that is missing, not a file or not JSON makes
 * the folder no usable run folder: bad input (exit 2), said in one line; a
 * read the disk refused (EIO) is a RunFileReadError (exit 1).
 */
export function readRunInfo(runDir: string): RunInfo {
  const file = runPaths(runDir).config;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    if (!['ENOENT', 'EISDIR', 'ENOTDIR'].includes(code)) throw new RunFileReadError(`${file}: cannot read (${code})`, file, code);
    throw new UsageError(`${file}: cannot read (${code}); is ${runDir} a megatest run folder?`);
  }
  let info: unknown;
  try {
    info = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file}: not valid JSON (${jsonProblem(error)}); the run folder's config is damaged`);
  }
  const missing = missingPart(info);
  // Valid JSON of another shape (a hand-edited or another tool's config.json) got as far as a reader's first use of it:
  // `report` and `resume` died with a stack trace ("Cannot read properties of undefined (reading 'project')").
  if (missing !== null) throw new UsageError(`${file}: ${missing}; the run folder's config is damaged`);
  return info as RunInfo;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** What config.json lacks of the parts every reader uses, or null when it has them. */
function missingPart(info: unknown): string | null {
  if (!isObject(info)) return 'not a JSON object';
  if (typeof info.session_id !== 'string') return 'no "session_id" string';
  if (!isObject(info.config)) return 'no "config" object';
  for (const table of ['session', 'agents', 'agent', 'limits', 'checkpoint'] as const) {
    if (!isObject(info.config[table])) return `no "config.${table}" object`;
  }
  if (!Array.isArray(info.config.phases)) return 'no "config.phases" list';
  if (!isObject(info.template)) return 'no "template" object';
  return null;
}

/**
 * The agent kind of an imported run (config.json's `imported`, which
 * `megatest import` writes), else null: also when config.json cannot be
 * read, which the caller's own reading reports.
 */
export function importedAgentKind(runDir: string): string | null {
  try {
    const info = JSON.parse(readFileSync(runPaths(runDir).config, 'utf8')) as { imported?: { agent_kind?: unknown } | null };
    if (typeof info.imported !== 'object' || info.imported === null) return null;
    return typeof info.imported.agent_kind === 'string' ? info.imported.agent_kind : 'agent';
  } catch {
    return null;
  }
}

/**
 * Why a command that drives a run refuses an imported one: it is a
 * recording, with no project, agents or orchestrator to go on with (a
 * resume ran an orchestrator over one and appended to its log).
 */
export function importedRunRefusal(command: string, runDir: string, agentKind: string): string {
  return `${command}: ${runDir} is recorded ${agentKind} output (megatest import), with no project or agents to go on with; megatest replay ${runDir} and megatest report ${runDir} read it`;
}
