// Helpers for tests that run the built CLI (`node bin/megatest.js …`) on real
// sim sessions and read what they leave in the run folder. dist/ must be
// built first (`npm test` builds).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isPidAlive, readControlFile } from '../../src/io/sessions.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { parseEventLine, type EventOf, type EventType, type MegatestEvent } from '../../src/contract/events.js';
import type { FinalReport } from '../../src/report/report.js';

export const BIN = path.join(PACKAGE_ROOT, 'bin', 'megatest.js');
export const RECOVERY_FIXTURES = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'recovery');
export const BUILT = existsSync(path.join(PACKAGE_ROOT, 'dist', 'bundle', 'main.js'));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunningCli {
  child: ChildProcess;
  /** Output so far (grows while the process runs). */
  output: { stdout: string; stderr: string };
  done: Promise<CliResult>;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** Killed with SIGKILL after this long (the test then fails on the result). */
  timeoutMs?: number;
}

/** Spawns `node bin/megatest.js ARGS` headless (CI=1, no TTY). */
export function runHeadless(args: string[], options: RunOptions = {}): RunningCli {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, CI: '1', NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: output.stdout, stderr: output.stderr, ms: Date.now() - started });
    });
  });
  return { child, output, done };
}

/** Runs a short CLI command (control commands, report) to its end. */
export function runCli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  // A deadline for a stuck command (SIGKILL), not an expectation: a loaded machine starts Node 5-10x slower.
  return runHeadless(args, { timeoutMs: 120_000, ...options }).done;
}

export function tempRunsDir(prefix = 'megatest-recovery-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** Every event of the run folder; throws on a line that is not a whole event (a torn line). */
export function readEvents(runDir: string): MegatestEvent[] {
  let text: string;
  try {
    text = readFileSync(path.join(runDir, 'events.jsonl'), 'utf8');
  } catch {
    return [];
  }
  const events: MegatestEvent[] = [];
  const lines = text.split('\n');
  // The writer appends whole lines; while it runs the last one may still be on its way.
  if (lines.at(-1) !== '') lines.pop();
  for (const [index, line] of lines.entries()) {
    if (line === '') continue;
    const event = parseEventLine(line);
    if (!event) throw new Error(`${runDir}/events.jsonl line ${index + 1} is not an event: ${line.slice(0, 200)}`);
    events.push(event);
  }
  return events;
}

export function eventsOf<T extends EventType>(events: MegatestEvent[], type: T): EventOf<T>[] {
  return events.filter((e) => e.type === type) as unknown as EventOf<T>[];
}

export function readReport(runDir: string): FinalReport {
  return JSON.parse(readFileSync(path.join(runDir, 'final_report.json'), 'utf8')) as FinalReport;
}

export function readStatusWord(runDir: string): string {
  try {
    return readFileSync(path.join(runDir, 'status'), 'utf8').trim();
  } catch {
    return '';
  }
}

/** Polls (no fixed sleeps) until check returns a value other than undefined/false. */
export async function waitFor<T>(check: () => T | undefined | false, what: string, timeoutMs = 120_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Waits until an event matching the predicate is in the run folder's events.jsonl. */
export function waitForEvent<T extends EventType>(
  runDir: string,
  type: T,
  predicate: (event: EventOf<T>) => boolean = () => true,
  timeoutMs = 120_000,
): Promise<EventOf<T>> {
  return waitFor(() => eventsOf(readEvents(runDir), type).find(predicate), `a ${type} event in ${runDir}`, timeoutMs, 150);
}

/**
 * waitForEvent while `run` goes on: a CLI that ended before the event came
 * fails the wait at once, with its output, instead of at the time limit.
 */
export function waitForEventWhileRunning<T extends EventType>(
  run: RunningCli,
  runDir: string,
  type: T,
  predicate: (event: EventOf<T>) => boolean = () => true,
  timeoutMs = 120_000,
): Promise<EventOf<T>> {
  return waitFor(
    () => {
      // Ended before the read: everything it wrote is in the file read.
      const ended = run.child.exitCode !== null || run.child.signalCode !== null;
      const found = eventsOf(readEvents(runDir), type).find(predicate);
      if (found === undefined && ended) {
        throw new Error(`the CLI ended (${run.child.exitCode ?? run.child.signalCode}) before a ${type} event in ${runDir}:\n${run.output.stdout}\n${run.output.stderr}`);
      }
      return found;
    },
    `a ${type} event in ${runDir}`,
    timeoutMs,
    150,
  );
}

/** The args of a short headless sim session in runsDir/sessionId with the given fixture config. */
export function sessionArgs(runsDir: string, sessionId: string, config: string, extra: string[] = []): string[] {
  return [
    'run',
    'task_queue',
    '--headless',
    '--agents',
    '2',
    '--duration',
    '30s',
    '--config',
    config.includes('/') ? config : path.join(RECOVERY_FIXTURES, config),
    '--runs-dir',
    runsDir,
    '--session-id',
    sessionId,
    '--seed',
    '11',
    ...extra,
  ];
}

/** Pids of processes whose environment names this run folder (its agents). */
export function agentPidsOf(runDir: string): number[] {
  const pids: number[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  const marker = `MEGATEST_SESSION_DIR=${runDir}`;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(marker)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/** SIGKILL to every process left of this run folder's agents (a test's clean-up, whatever state it failed in). */
export function killAgentsOf(runDir: string): void {
  for (const pid of agentPidsOf(runDir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * SIGKILL to the orchestrator and agents of every run folder in runsDir: a
 * test that failed midway leaves a detached run going, which would write
 * into the folder its afterAll removes. (Their build or test commands are
 * then orphans, which the next megatest to run a command kills.)
 */
export function killRunsIn(runsDir: string): void {
  let names: string[] = [];
  try {
    names = readdirSync(runsDir);
  } catch {
    return;
  }
  for (const name of names) {
    const runDir = path.join(runsDir, name);
    const control = readControlFile(runDir);
    const pids = [...(control !== null && isPidAlive(control.pid) ? [control.pid] : []), ...agentPidsOf(runDir)];
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
}
