// Runs a project's build/test/coverage command under a time limit. The shell
// is started as the leader of its own process group, so on timeout the whole
// tree (test runner, its workers, servers the tests started) is signalled
// together: SIGTERM first, SIGKILL after a grace period for whatever is left.
// Each command also gets a temp folder of its own (TMPDIR, TMP, TEMP),
// removed once its process group is gone, however it ended: a tool stopped
// mid-run cannot remove its own temp files (Node's test runner, signalled
// together with its test process, leaves its node-coverage-* folder). The
// folder's name holds megatest's pid. The processes of a command that a
// megatest killed with SIGKILL left running are killed by the resume of its
// run (or its next command in the same project): their environment names the
// folder (MEGATEST_COMMAND_TMP) and the project (MEGATEST_COMMAND_DIR), as
// nothing else ties an orphaned group to the run it measured; another run's
// are left to that run. A dead megatest's folder that no process names is
// removed by the next megatest that runs a command. Of each output stream
// the last MiB is kept, and, when the caller says which (keepLines), the
// lines it needs from before it, so that memory stays bounded however much a
// command prints and a test runner's summary lines are never lost.

import { spawn } from 'node:child_process';
import { StreamKeeper, type LineChooser, type OutputKept } from './streamKeeper.js';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isPidAlive } from '../io/processAlive.js';

export type { OutputKept } from './streamKeeper.js';

export interface CommandResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** How much of each stream `stdout` and `stderr` hold. */
  stdoutKept: OutputKept;
  stderrKept: OutputKept;
  timedOut: boolean;
  /** Ended early because `signal` was aborted (the session's time ran out, say). */
  aborted: boolean;
  durationMs: number;
}

export interface RunCommandOptions {
  cwd: string;
  timeoutMs: number;
  env?: Record<string, string>;
  /** Only the last this many bytes of each stream are kept (default 1 MiB), and the lines keepLines chooses. */
  maxOutputBytes?: number;
  /**
   * Makes the chooser of the lines of a stream that its reader needs
   * whatever the stream's size (a test runner's summary lines), called once
   * per stream; each line (without its newline, its first 64 KiB) is passed
   * in order. The lines it keeps from before the last maxOutputBytes come
   * first in the stream's text (OutputKept `lines`).
   */
  keepLines?: () => LineChooser;
  /** At most this many bytes of kept lines per stream (default 8 MiB); past it the stream is cut to its tail. */
  maxKeptLineBytes?: number;
  /** Aborting it ends the command's process group, as a timeout does. */
  signal?: AbortSignal;
}

export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
export const DEFAULT_MAX_KEPT_LINE_BYTES = 8 * 1024 * 1024;
/** How long the process group gets to exit after SIGTERM before SIGKILL. */
export const KILL_GRACE_MS = 3000;
/** The same after an abort: whoever aborted is waiting to finish (the session's time is up). */
const ABORT_GRACE_MS = 1000;
/**
 * How long to wait for the output pipes to close after the shell exited. A
 * descendant that escaped the group (setsid) may hold them open forever.
 */
const PIPE_DRAIN_MS = 2000;

export async function runCommand(command: string, options: RunCommandOptions): Promise<CommandResult> {
  const { cwd, timeoutMs } = options;
  const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  if (typeof command !== 'string' || command.trim() === '') {
    throw new Error('runCommand: command must be a non-empty shell command string');
  }
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new Error(`runCommand: timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}`);
  }
  if (!Number.isInteger(maxOutputBytes) || maxOutputBytes <= 0) {
    throw new Error(`runCommand: maxOutputBytes must be a positive integer, got ${String(maxOutputBytes)}`);
  }
  const maxKeptLineBytes = options.maxKeptLineBytes ?? DEFAULT_MAX_KEPT_LINE_BYTES;
  if (!Number.isInteger(maxKeptLineBytes) || maxKeptLineBytes < 0) {
    throw new Error(`runCommand: maxKeptLineBytes must be a non-negative integer, got ${String(maxKeptLineBytes)}`);
  }
  // spawn reports a missing cwd as "spawn /bin/sh ENOENT", which misleads.
  let cwdIsDirectory = false;
  try {
    cwdIsDirectory = statSync(cwd).isDirectory();
  } catch {
    cwdIsDirectory = false;
  }
  if (!cwdIsDirectory) throw new Error(`runCommand: cwd "${cwd}" is not an existing directory`);

  const started = performance.now();
  if (!sweptDeadCommandTmps) {
    sweptDeadCommandTmps = true;
    removeDeadCommandTmps(cwd);
  }
  const commandTmp = mkdtempSync(path.join(tmpdir(), `${COMMAND_TMP_PREFIX}${process.pid}-`));
  const removeCommandTmp = (): void => {
    try {
      rmSync(commandTmp, { recursive: true, force: true, maxRetries: 2 });
    } catch {
      // A stray that escaped the group (setsid) still writing there: what it leaves is its own.
    }
  };
  const child = spawn('/bin/sh', ['-c', command], {
    cwd,
    env: { ...process.env, TMPDIR: commandTmp, TMP: commandTmp, TEMP: commandTmp, [COMMAND_TMP_VARIABLE]: commandTmp, [COMMAND_DIR_VARIABLE]: path.resolve(cwd), ...options.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout = new StreamKeeper(maxOutputBytes, options.keepLines?.(), maxKeptLineBytes);
  const stderr = new StreamKeeper(maxOutputBytes, options.keepLines?.(), maxKeptLineBytes);
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));

  const groupId = child.pid;
  let timedOut = false;
  let timeoutEnding: Promise<void> | undefined;
  const timeoutTimer = setTimeout(() => {
    timedOut = true;
    // Not only the shell: a shell that traps SIGTERM still gets SIGKILL.
    if (groupId !== undefined) timeoutEnding = endProcessGroup(groupId, KILL_GRACE_MS);
  }, timeoutMs);

  let aborted = false;
  const onAbort = (): void => {
    if (aborted || timedOut) return;
    aborted = true;
    if (groupId !== undefined) timeoutEnding = endProcessGroup(groupId, ABORT_GRACE_MS);
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  // If megatest itself exits while a command runs, take the command's tree with it.
  const onParentExit = (): void => {
    if (groupId !== undefined) signal(groupId, 'SIGKILL');
    removeCommandTmp();
  };
  process.once('exit', onParentExit);

  try {
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', (error) => reject(new Error(`runCommand: could not start /bin/sh in "${cwd}": ${error.message}`)));
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    clearTimeout(timeoutTimer);
    // Descendants still running after the shell ended are strays of this
    // command (a server a test forgot to stop, or a runner's worker that
    // ignored SIGTERM): end them too, so they neither hold ports nor keep the
    // output pipes open. Returning only once they are gone means a caller
    // never races the previous run's processes.
    await timeoutEnding;
    if (groupId !== undefined) await endProcessGroup(groupId, KILL_GRACE_MS);
    await waitForPipesToClose(child.stdout, child.stderr, PIPE_DRAIN_MS);
    const out = stdout.result();
    const err = stderr.result();
    return {
      code: exit.code,
      signal: exit.signal,
      stdout: out.text,
      stderr: err.text,
      stdoutKept: out.kept,
      stderrKept: err.kept,
      timedOut,
      aborted,
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    clearTimeout(timeoutTimer);
    options.signal?.removeEventListener('abort', onAbort);
    process.removeListener('exit', onParentExit);
    removeCommandTmp();
  }
}

const COMMAND_TMP_PREFIX = 'megatest-cmd-';
/** Names the command's temp folder in the environment of every process of the command: a test runner may set its own TMPDIR, seldom drops others. */
const COMMAND_TMP_VARIABLE = 'MEGATEST_COMMAND_TMP';
/** Names the directory the command ran in (the run's project): whose orphans a resume may kill. */
const COMMAND_DIR_VARIABLE = 'MEGATEST_COMMAND_DIR';
let sweptDeadCommandTmps = false;

/**
 * What a megatest killed with SIGKILL while a command ran left: the
 * command's processes, still running (a test run of minutes goes on writing
 * into the project), and its temp folder. The pid in a folder's name is that
 * of the megatest that made it. For each folder whose megatest is gone and
 * whose command ran in `projectDir` (a process naming the folder names that
 * directory too, MEGATEST_COMMAND_DIR), the processes naming the folder, and
 * their process groups, are killed (SIGKILL: nobody waits for their result).
 * Another project's are left running: they are that run's to end when it is
 * resumed (a resume killed them, and said so in its own session.log, not in
 * theirs). Then every dead megatest's folder that no running process names
 * any more is removed. Returns how many of each.
 */
export function removeDeadCommandTmps(projectDir: string): { folders: number; processes: number } {
  const dir = tmpdir();
  const removed = { folders: 0, processes: 0 };
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  const dead = new Map<string, string>();
  for (const name of names) {
    const match = /^megatest-cmd-(\d+)-/.exec(name);
    if (match !== null && !isPidAlive(Number(match[1]))) dead.set(`${COMMAND_TMP_VARIABLE}=${path.join(dir, name)}`, name);
  }
  if (dead.size === 0) return removed;
  const naming = processesNaming(new Set(dead.keys()));
  const ours = `${COMMAND_DIR_VARIABLE}=${path.resolve(projectDir)}`;
  const oursFolders = new Set(naming.filter((p) => p.variables.includes(ours)).map((p) => p.marker));
  removed.processes = killProcesses(naming.filter((p) => oursFolders.has(p.marker)));
  const othersRunning = new Set(naming.filter((p) => !oursFolders.has(p.marker)).map((p) => p.marker));
  for (const [marker, name] of dead) {
    if (othersRunning.has(marker)) continue;
    try {
      rmSync(path.join(dir, name), { recursive: true, force: true, maxRetries: 2 });
      removed.folders += 1;
    } catch {
      // Another user's, or going away meanwhile: not ours to insist on.
    }
  }
  return removed;
}

interface MarkedProcess {
  pid: number;
  processGroup: number;
  /** The marker (of `markers`) its environment holds. */
  marker: string;
  variables: string[];
}

/** Every process whose environment holds one of `markers` (another user's cannot be read, and is not ours). */
function processesNaming(markers: ReadonlySet<string>): MarkedProcess[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const found: MarkedProcess[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let environ: string;
    let stat: string;
    try {
      environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone, or another user's
    }
    const variables = environ.split('\0');
    const marker = variables.find((variable) => markers.has(variable));
    if (marker === undefined) continue;
    found.push({ pid: Number(entry), processGroup: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]), marker, variables });
  }
  return found;
}

/** SIGKILL to each process and to its process group; how many processes. */
function killProcesses(processes: readonly MarkedProcess[]): number {
  const groups = new Set<number>();
  for (const { pid, processGroup } of processes) {
    // The group, when this process leads its own (the command's shell started it so): the members that set another environment go too.
    if (processGroup > 1 && processGroup !== process.pid && processGroup !== getProcessGroup()) groups.add(processGroup);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const group of groups) signal(group, 'SIGKILL');
  return processes.length;
}

/** This process's own group, never signalled by the sweep. */
function getProcessGroup(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return -1;
  }
}

/** SIGTERM to the group, then SIGKILL to whatever is still alive after `graceMs`. */
async function endProcessGroup(groupId: number, graceMs: number): Promise<void> {
  if (!groupHasLiveMembers(groupId)) return;
  signal(groupId, 'SIGTERM');
  const deadline = performance.now() + graceMs;
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, GROUP_POLL_MS));
    if (!groupHasLiveMembers(groupId)) return;
  }
  signal(groupId, 'SIGKILL');
  // SIGKILL cannot be caught; wait briefly so the caller sees the group gone.
  const killDeadline = performance.now() + graceMs;
  while (performance.now() < killDeadline && groupHasLiveMembers(groupId)) {
    await new Promise((resolve) => setTimeout(resolve, GROUP_POLL_MS));
  }
}

const GROUP_POLL_MS = 50;

function signal(groupId: number, name: NodeJS.Signals): void {
  try {
    process.kill(-groupId, name);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * Whether any process of the group is still running. On Linux /proc tells
 * zombies apart (an orphan waiting for a PID 1 that never reaps would
 * otherwise look alive); elsewhere signal 0 answers for the group.
 */
export function groupHasLiveMembers(groupId: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    try {
      process.kill(-groupId, 0);
      return true;
    } catch {
      return false;
    }
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = fields[0];
    const processGroup = Number(fields[2]);
    if (processGroup === groupId && state !== 'Z' && state !== 'X') return true;
  }
  return false;
}

async function waitForPipesToClose(first: NodeJS.ReadableStream, second: NodeJS.ReadableStream, limitMs: number): Promise<void> {
  const closed = (stream: NodeJS.ReadableStream): Promise<void> =>
    new Promise((resolve) => {
      const readable = stream as NodeJS.ReadableStream & { closed?: boolean; readableEnded?: boolean };
      if (readable.closed || readable.readableEnded) resolve();
      else stream.once('close', () => resolve());
    });
  let limitTimer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    limitTimer = setTimeout(resolve, limitMs);
  });
  await Promise.race([Promise.all([closed(first), closed(second)]), limit]);
  clearTimeout(limitTimer);
  for (const stream of [first, second]) (stream as NodeJS.ReadableStream & { destroy(): void }).destroy();
}
