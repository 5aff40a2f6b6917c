// The run folder (DESIGN §4): its paths, its creation, and the small files
// readers poll (status, metrics_current.json), always replaced atomically.

import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, accessSync, constants, statSync, writeFileSync, type Stats } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic, writeFileAtomicSync } from './atomic.js';
import { makeDirsSync } from './makeDirs.js';
import type { SessionStatus } from '../contract/events.js';
import { SESSION_STATUSES } from '../contract/events.js';
import type { SessionMetrics } from '../contract/metrics.js';
import { UsageError } from '../config/errors.js';

export interface RunPaths {
  root: string;
  config: string;
  prompt: string;
  selfwareToml: string;
  sessionLog: string;
  events: string;
  status: string;
  metricsCurrent: string;
  metricsDir: string;
  metricsHistory: string;
  checkpoints: string;
  controlJson: string;
  controlToken: string;
  finalReportJson: string;
  finalReportMd: string;
  junit: string;
  agents: string;
  project: string;
  orchestratorLog: string;
}

export function runPaths(root: string): RunPaths {
  const abs = path.resolve(root);
  return {
    root: abs,
    config: path.join(abs, 'config.json'),
    prompt: path.join(abs, 'project_prompt.txt'),
    selfwareToml: path.join(abs, 'selfware.toml'),
    sessionLog: path.join(abs, 'session.log'),
    events: path.join(abs, 'events.jsonl'),
    status: path.join(abs, 'status'),
    metricsCurrent: path.join(abs, 'metrics_current.json'),
    metricsDir: path.join(abs, 'metrics'),
    metricsHistory: path.join(abs, 'metrics', 'metrics.jsonl'),
    checkpoints: path.join(abs, 'checkpoints'),
    controlJson: path.join(abs, 'control.json'),
    controlToken: path.join(abs, 'control.token'),
    finalReportJson: path.join(abs, 'final_report.json'),
    finalReportMd: path.join(abs, 'final_report.md'),
    junit: path.join(abs, 'junit.xml'),
    agents: path.join(abs, 'agents'),
    project: path.join(abs, 'project'),
    orchestratorLog: path.join(abs, 'orchestrator.out'),
  };
}

/** `mega-YYYYMMDD-HHMMSS-xxxx` in UTC. */
export function defaultSessionId(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const date = `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}`;
  const time = `${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`;
  // The global Web Crypto, not node:crypto: importing that module costs every command (`--version`, `status`) about 5 ms at start.
  const [high, low] = globalThis.crypto.getRandomValues(new Uint8Array(2));
  return `mega-${date}-${time}-${((high << 8) | low).toString(16).padStart(4, '0')}`;
}

const SESSION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function validateSessionId(id: string): void {
  if (!SESSION_ID_PATTERN.test(id) || id.includes('..')) {
    throw new UsageError(
      `--session-id ${JSON.stringify(id)}: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit (no '/' or '..')`,
    );
  }
}

const runsDirIsFile = (runsDir: string) => `--runs-dir ${runsDir}: is a file, not a folder; give a folder`;

/**
 * A --runs-dir given to a command that reads runs (ls, clean, status, attach,
 * the controls) must be a folder that is there: a mistyped one listed "no
 * runs" and cleaned nothing, exit 0, as if all were well. Only a GIVEN one:
 * the default test_runs missing is a new user's "no runs yet".
 */
export function requireRunsDir(command: string, runsDir: string): void {
  let found: Stats;
  try {
    found = statSync(runsDir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new UsageError(`megatest ${command}: --runs-dir ${runsDir}: a part of that path is a file, not a folder`);
    if (code === 'ENOENT') throw new UsageError(`megatest ${command}: --runs-dir ${runsDir}: no such folder; give the folder the runs are in (default test_runs)`);
    throw new UsageError(`megatest ${command}: --runs-dir ${runsDir}: cannot be read (${code ?? String(error)})`);
  }
  if (!found.isDirectory()) throw new UsageError(`megatest ${command}: ${runsDirIsFile(runsDir)}`);
}

/**
 * How a refusal names the runs folder: `--runs-dir DIR` where the person typed
 * that; else where DIR came from (the default, a config file), and what to do
 * (`; pass --runs-dir DIR`). "--runs-dir test_runs: not writable" sent a
 * person who never typed --runs-dir looking for one.
 */
export interface RunsDirNaming {
  name: string;
  /** Said after the problem: empty, or "; pass --runs-dir DIR". */
  remedy: string;
}

/**
 * Creates test_runs/<id>/ whole or not at all: the folder is filled under a
 * hidden temporary name and renamed into place, so bad input or a crash
 * leaves no half-made run folder.
 */
export function createRunFolder(
  runsDir: string,
  sessionId: string,
  files: Record<string, string>,
  naming: RunsDirNaming = { name: `--runs-dir ${runsDir}`, remedy: '' },
): RunPaths {
  validateSessionId(sessionId);
  const runsAbs = path.resolve(runsDir);
  const existing = statOrNull(runsAbs);
  const { name, remedy } = naming;
  if (existing !== null && !existing.isDirectory()) {
    throw new UsageError(remedy === '' ? `${name}: is a file, not a folder; give a folder (it is made if missing)` : `${name}: is a file, not a folder${remedy}`);
  }
  try {
    makeDirsSync(runsAbs);
    accessSync(runsAbs, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR' || code === 'EEXIST') throw new UsageError(`${name}: a part of that path is a file, not a folder${remedy}`);
    if (code === 'ENOENT') throw new UsageError(`${name}: cannot be made there (ENOENT: that file system holds no new folders, as under /proc)${remedy}`);
    throw new UsageError(`${name}: not writable (${code ?? String(error)})${remedy}`);
  }
  const finalDir = path.join(runsAbs, sessionId);
  if (existsSync(finalDir)) {
    throw new UsageError(`--session-id ${sessionId}: ${finalDir} already exists; choose another id`);
  }
  const staging = path.join(runsAbs, `.${sessionId}.${process.pid}.creating`);
  rmSync(staging, { recursive: true, force: true });
  try {
    const staged = runPaths(staging);
    for (const dir of [staged.root, staged.metricsDir, staged.checkpoints, path.join(staged.checkpoints, 'objects'), staged.agents, staged.project]) {
      mkdirSync(dir, { recursive: true });
    }
    for (const [name, content] of Object.entries(files)) {
      writeFileSync(path.join(staging, name), content);
    }
    writeFileSync(staged.status, 'starting\n');
    writeFileSync(staged.events, '');
    writeFileSync(staged.sessionLog, '');
    renameSync(staging, finalDir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${name}: cannot create the run folder (${(error as Error).message})${remedy}`);
  }
  return runPaths(finalDir);
}

export function writeStatus(paths: RunPaths, status: SessionStatus): void {
  writeFileAtomicSync(paths.status, `${status}\n`);
}

export function readStatus(runDir: string): SessionStatus | null {
  try {
    const word = readFileSync(runPaths(runDir).status, 'utf8').trim();
    return (SESSION_STATUSES as readonly string[]).includes(word) ? (word as SessionStatus) : null;
  } catch {
    return null;
  }
}

export async function writeMetricsCurrent(paths: RunPaths, metrics: SessionMetrics): Promise<void> {
  await writeFileAtomic(paths.metricsCurrent, JSON.stringify(metrics, null, 2) + '\n');
}

export function readJsonFile<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

function statOrNull(file: string): Stats | null {
  try {
    return statSync(file);
  } catch {
    return null;
  }
}
