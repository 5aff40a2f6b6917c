// One run of an agent CLI on one task: the process (its own process group, so
// a stop or a pause reaches every child it spawned), its stdout and stderr
// split into lines for the kind's parser, and its raw bytes appended to the
// agent's output.log. Whatever it prints (binary garbage, a 10 MB line,
// nothing, a stream cut mid-line) ends as parsed messages or a counted parse
// failure; memory is bounded by the line splitter and the log's high water.

import { spawn, type ChildProcess } from 'node:child_process';
import type { WriteStream } from 'node:fs';
import { keptToRunRepository } from '../io/gitEnvironment.js';
import type { CliTaskCommand } from './cliSpec.js';
import { LineSplitter } from './lineSplitter.js';
import { endLeftovers } from './processGroup.js';
import { recordOutput } from './outputLog.js';
import { STDERR_LINES_KEPT, stderrClue } from './stderrClue.js';
import type { AgentExit, AgentMessage, AgentStreamParser } from './types.js';

/** After exit, how long to wait for the pipes to drain (a grandchild may hold them open). */
const PIPE_DRAIN_MS = 500;
/** A stderr line kept for the clue is cut here (stderrClue keeps 300 characters of the last two). */
const STDERR_LINE_CHARS = 1000;

export interface TaskEnd extends AgentExit {
  /** The program could not be started at all (ENOENT, EACCES). */
  spawnError?: string;
}

export interface TaskProcessOptions {
  command: CliTaskCommand;
  parser: AgentStreamParser;
  /** Added under the command's own env (MEGATEST_* and the launch's env). */
  baseEnv: Record<string, string>;
  /** The agent's output.log (shared by its tasks); undefined when it cannot be written. */
  log: () => WriteStream | undefined;
  /** stderr goes through the parser too (the kind prints its messages there as well); else only stdout does. */
  parseStderr: boolean;
  onMessage: (message: AgentMessage) => void;
  onEnd: (end: TaskEnd) => void;
}

export class TaskProcess {
  private readonly child: ChildProcess;
  private end: TaskEnd | undefined;
  private readonly endWaiters: ((end: TaskEnd) => void)[] = [];
  private stopped = false;

  constructor(private readonly options: TaskProcessOptions) {
    const { command } = options;
    this.child = spawn(command.file, command.args, {
      cwd: command.cwd,
      // The agent's own git stays in its work dir's repository (src/io/gitEnvironment.ts): one whose worktree .git
      // was gone found the user's repository around the run folder, and committed or reset there.
      env: keptToRunRepository({ ...process.env, ...options.baseEnv, ...command.env }, command.cwd),
      detached: true,
      stdio: [command.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    this.wire();
  }

  get pid(): number | undefined {
    return this.end ? undefined : this.child.pid;
  }

  get ended(): boolean {
    return this.end !== undefined;
  }

  /** SIGSTOP / SIGCONT / SIGTERM / SIGKILL to the whole process group. */
  signal(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined || this.end) return;
    try {
      // detached: the program leads its own process group, whose id is its pid.
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is already gone
    }
  }

  /** SIGTERM to the group, SIGKILL after graceMs; resolves once the task has ended (its onEnd ran). */
  async terminate(graceMs: number): Promise<TaskEnd> {
    if (this.end) return this.end;
    this.stopped = true;
    this.signal('SIGTERM');
    // A paused (SIGSTOPped) group only sees the SIGTERM once it runs again.
    this.signal('SIGCONT');
    const end = await this.waitForEnd(graceMs);
    if (end) return end;
    this.signal('SIGKILL');
    return (await this.waitForEnd(Number.POSITIVE_INFINITY))!;
  }

  /** True once megatest asked it to end (terminate). */
  get stoppedByUs(): boolean {
    return this.stopped;
  }

  private waitForEnd(timeoutMs: number): Promise<TaskEnd | undefined> {
    if (this.end) return Promise.resolve(this.end);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter = (end: TaskEnd): void => {
        if (timer) clearTimeout(timer);
        resolve(end);
      };
      this.endWaiters.push(waiter);
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          const index = this.endWaiters.indexOf(waiter);
          if (index >= 0) this.endWaiters.splice(index, 1);
          resolve(undefined);
        }, timeoutMs);
      }
    });
  }

  private deliver(line: string): void {
    let messages: AgentMessage[];
    try {
      messages = this.options.parser.line(line);
    } catch (error) {
      // Parsers promise never to throw; a bug in one must still not take the orchestrator down.
      messages = [{ type: 'parse_failure', line: line.slice(0, 300), reason: `parser error: ${(error as Error).message}` }];
    }
    for (const message of messages) this.options.onMessage(message);
  }

  private wire(): void {
    const child = this.child;
    const stdout = child.stdout!;
    const stderr = child.stderr!;
    // The parser reads stdout, and stderr too for a kind that prints its messages on either (selfware).
    const stdoutLines = new LineSplitter((line) => this.deliver(line));
    // Its last stderr lines, for what a run that crashed or failed without saying why said of itself.
    const stderrTail: string[] = [];
    const stderrLines = new LineSplitter((line) => {
      stderrTail.push(line.slice(0, STDERR_LINE_CHARS));
      if (stderrTail.length > STDERR_LINES_KEPT) stderrTail.shift();
      if (this.options.parseStderr) this.deliver(line);
    });
    recordOutput(stdout, stderr, this.options.log, (chunk) => stdoutLines.push(chunk), (chunk) => stderrLines.push(chunk));
    stdout.on('error', () => undefined);
    stderr.on('error', () => undefined);
    let stdoutClosed = false;
    let stderrClosed = false;
    stdout.on('close', () => (stdoutClosed = true));
    stderr.on('close', () => (stderrClosed = true));

    const stdin = child.stdin;
    if (stdin) {
      stdin.on('error', () => undefined); // EPIPE: the program did not read its prompt; its exit says the rest
      stdin.end(this.options.command.stdin ?? '');
    }

    const finish = (end: TaskEnd): void => {
      if (this.end) return;
      stdoutLines.end();
      stderrLines.end();
      stdout.destroy();
      stderr.destroy();
      let tail: AgentMessage[] = [];
      try {
        tail = this.options.parser.end();
      } catch (error) {
        tail = [{ type: 'parse_failure', line: '', reason: `parser error at the end of the stream: ${(error as Error).message}` }];
      }
      for (const message of tail) this.options.onMessage(message);
      const clue = end.spawnError === undefined ? stderrClue(stderrTail) : undefined;
      this.end = clue === undefined ? end : { ...end, stderrClue: clue };
      this.options.onEnd(this.end);
      for (const waiter of this.endWaiters.splice(0)) waiter(this.end);
    };

    child.once('error', (error: NodeJS.ErrnoException) => {
      // Only a spawn failure ends the task here; a later error (a failed kill) changes nothing.
      if (child.pid === undefined) finish({ code: null, signal: null, spawnError: `${error.code ?? 'error'}: ${error.message}` });
    });
    child.once('exit', (code, signal) => {
      endLeftovers(child.pid, (line) => this.options.log()?.write(`${line}\n`));
      const end: TaskEnd = { code, signal };
      if (stdoutClosed && stderrClosed) return finish(end);
      // Lines still in the pipes belong before the end; wait for them, but not
      // forever: a grandchild holding the pipes open must not hide the exit.
      const timer = setTimeout(() => finish(end), PIPE_DRAIN_MS);
      const onClose = (): void => {
        if (stdoutClosed && stderrClosed) {
          clearTimeout(timer);
          finish(end);
        }
      };
      stdout.once('close', onClose);
      stderr.once('close', onClose);
    });
  }
}
