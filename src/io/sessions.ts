// Finding run folders: by path, by session id under --runs-dir, or the newest
// one whose orchestrator is alive (control.json names a live pid).

import { RUN_LOCK_FILE, runLockHolder, runLockInfo } from './runLock.js';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../config/errors.js';
import { isLegacyRunFolder } from '../legacy/detect.js';
import { legacyLiveness, SYSTEM_PIDS } from '../legacy/liveness.js';
import { isPidAlive } from './processAlive.js';
import { readStatus, runPaths } from './runFolder.js';

export { isPidAlive };

export interface ControlFileInfo {
  pid: number;
  host: string;
  port: number;
  started_at: string;
}

export interface RunListing {
  id: string;
  dir: string;
  status: string;
  running: boolean;
  startedAt: string | null;
  /** A run folder of the original Python/Bash runner (read through src/legacy/). */
  legacy: boolean;
  /** Written by `megatest import` from recorded agent output: megatest ran none of it. */
  imported: boolean;
}

/** control.json, or null when it is missing or not what the server writes. */
export function readControlFile(runDir: string): ControlFileInfo | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(runPaths(runDir).controlJson, 'utf8'));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const value = parsed as Record<string, unknown>;
  if (!Number.isInteger(value.pid) || (value.pid as number) <= 0) return null;
  if (!Number.isInteger(value.port) || (value.port as number) <= 0 || (value.port as number) > 65_535) return null;
  if (typeof value.host !== 'string' || value.host === '') return null;
  return {
    pid: value.pid as number,
    host: value.host,
    port: value.port as number,
    started_at: typeof value.started_at === 'string' ? value.started_at : '',
  };
}

/**
 * control.json's orchestrator runs now. Its pid alone is not enough: after a
 * kill -9 the file stays, and its pid may be another process's by now (a
 * `megatest pause` then sent this run's token to whatever listened on its
 * port). Every orchestrator holds the run folder's lock (runLock.ts), which
 * knows its process by its start time: the pid must be the lock's live
 * holder. A folder with no lock file at all is an older megatest's, known by
 * its pid only.
 */
export function controlFileAlive(runDir: string, control: ControlFileInfo): boolean {
  if (!isPidAlive(control.pid)) return false;
  if (!existsSync(path.join(runDir, RUN_LOCK_FILE))) return true;
  return runLockInfo(runDir)?.pid === control.pid;
}

export function isOrchestratorAlive(runDir: string): boolean {
  const control = readControlFile(runDir);
  // Or the run folder's lock: held from the orchestrator's start, where its control API may never have written control.json (a full disk).
  return (control !== null && controlFileAlive(runDir, control)) || runLockHolder(runDir) !== null;
}

function looksLikeRunFolder(dir: string): boolean {
  const paths = runPaths(dir);
  return existsSync(paths.config) || existsSync(paths.events) || existsSync(paths.status) || isLegacyRunFolder(dir);
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** What config.json says of the run: when it was created, and whether `megatest import` wrote it. */
function configFacts(dir: string): { createdAt: string | null; imported: boolean } {
  try {
    // megatest's config.json says created_at; run_mega_test.sh's, started_at
    const info = JSON.parse(readFileSync(runPaths(dir).config, 'utf8')) as { created_at?: unknown; started_at?: unknown; imported?: unknown };
    const createdAt = typeof info.created_at === 'string' ? info.created_at : typeof info.started_at === 'string' ? info.started_at : null;
    return { createdAt, imported: typeof info.imported === 'object' && info.imported !== null };
  } catch {
    return { createdAt: null, imported: false };
  }
}

function sortKey(run: RunListing): number {
  const time = run.startedAt === null ? NaN : Date.parse(run.startedAt);
  if (Number.isFinite(time)) return time;
  try {
    return statSync(run.dir).mtimeMs;
  } catch {
    return 0;
  }
}

/** Every run folder under runsDir, newest first. A missing runsDir has no runs. */
export function listRuns(runsDir: string): RunListing[] {
  let names: string[];
  try {
    names = readdirSync(runsDir);
  } catch {
    return [];
  }
  const runs: RunListing[] = [];
  for (const name of names) {
    // hidden names are run folders still being created (see createRunFolder)
    if (name.startsWith('.')) continue;
    const dir = path.resolve(runsDir, name);
    if (!isDirectory(dir) || !looksLikeRunFolder(dir)) continue;
    const control = readControlFile(dir);
    const legacy = isLegacyRunFolder(dir);
    const running = legacy ? legacyLiveness(dir, SYSTEM_PIDS, Date.now()).live : (control !== null && controlFileAlive(dir, control)) || runLockHolder(dir) !== null;
    const facts = configFacts(dir);
    runs.push({
      id: name,
      dir,
      status: readStatus(dir) ?? 'unknown',
      running,
      startedAt: facts.createdAt ?? (control?.started_at || null),
      legacy,
      imported: !legacy && facts.imported,
    });
  }
  return runs
    .map((run) => ({ run, key: sortKey(run) }))
    .sort((a, b) => b.key - a.key || b.run.id.localeCompare(a.run.id))
    .map(({ run }) => run);
}

/**
 * The run folder a SESSION argument names: a path to a run folder, or a
 * session id under runsDir; omitted, the newest run whose orchestrator is
 * alive. Throws a UsageError saying what was looked for.
 */
export function resolveSession(arg: string | undefined, runsDir: string): string {
  if (arg === undefined || arg === '') {
    const running = listRuns(runsDir).find((run) => run.running);
    if (!running) throw new UsageError(`no running session under ${runsDir}; start one with megatest run`);
    return running.dir;
  }
  if (isDirectory(arg) && looksLikeRunFolder(arg)) return path.resolve(arg);
  const isPlainId = !arg.includes('/') && !arg.includes('\\') && arg !== '.' && arg !== '..';
  if (isPlainId) {
    const dir = path.resolve(runsDir, arg);
    if (isDirectory(dir) && looksLikeRunFolder(dir)) return dir;
  }
  if (isDirectory(arg)) throw new UsageError(`SESSION ${arg}: not a megatest run folder (no config.json, events.jsonl or status) nor one of the original runner`);
  if (existsSync(arg)) throw new UsageError(`SESSION ${arg}: a file, not a run folder`);
  throw new UsageError(
    isPlainId
      ? `SESSION ${JSON.stringify(arg)}: no such session under ${runsDir} and no such run folder (see megatest ls --runs-dir ${runsDir})`
      : `SESSION ${arg}: no such run folder`,
  );
}
