// The `command` adapter (DESIGN §9): any program speaking the JSONL protocol.
// It runs `/bin/sh -c <command>` through node:child_process (we need the raw
// pid and `detached` to own a process group, so stop() can kill the whole
// tree an agent spawned, not just the shell).
//
// Throughput matters (8 agents × hundreds of lines a second), so stdout is
// split in memory and the raw log is appended through one buffered stream per
// agent; the child is paused, not the orchestrator, when the log falls behind.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, type WriteStream } from 'node:fs';
import type { AgentKind } from '../config/types.js';
import { assertNever } from '../contract/assertNever.js';
import type { AgentCapabilities } from '../contract/capabilities.js';
import { keptToRunRepository } from '../io/gitEnvironment.js';
import { ensureAgentHome, megatestVariables } from './home.js';
import { openOutputLog, outputLogClosed, recordOutput } from './outputLog.js';
import { encodeCommand, parseAgentLine, phaseCommand, type AgentCommand } from './jsonl.js';
import { LineSplitter } from './lineSplitter.js';
import { endLeftovers } from './processGroup.js';
import { STDERR_LINES_KEPT, stderrClue } from './stderrClue.js';
import { restoreNotice } from './taskPrompt.js';
import type {
  AgentAdapter,
  AgentControl,
  AgentExit,
  AgentLaunch,
  AgentMessage,
  AgentResumeState,
  CommandOutcome,
  PhaseAssignment,
} from './types.js';

export { LineSplitter } from './lineSplitter.js';

export interface CommandAdapterOptions {
  /** Shell command line, run with `/bin/sh -c`. */
  command: string;
  /** Reported kind (the sim adapter is a CommandAdapter too). */
  kind?: AgentKind;
  /** Environment added after MEGATEST_* and launch.env. */
  env?: Record<string, string>;
  /** What this agent can do (default: what the JSONL protocol offers, COMMAND_CAPABILITIES). */
  capabilities?: AgentCapabilities;
  /** How a launch with a resume state was taken (default: the protocol has no resume). */
  resumed?: CommandOutcome;
}

/**
 * What a JSONL agent offers through the protocol itself: compress, pause and
 * resume are commands it must honour, and its tokens lines are its own
 * accounting. The protocol has no cost, no native checkpoint and no resume.
 */
export const COMMAND_CAPABILITIES: AgentCapabilities = {
  nativeCheckpoint: false,
  nativeCompress: true,
  nativeResume: false,
  tokenUsage: true,
  cost: false,
  pause: true,
};

/** Bytes of raw output allowed to queue for output.log before the agent's pipes are paused. */
const LOG_HIGH_WATER_BYTES = 4 * 1024 * 1024;
/** After exit, how long to wait for the pipes to drain (a grandchild may hold them open). */
const PIPE_DRAIN_MS = 500;
const DEFAULT_GRACE_MS = 5000;

export class CommandAdapter implements AgentAdapter {
  readonly kind: AgentKind;
  readonly name: string;
  readonly role: string;
  readonly capabilities: AgentCapabilities;
  readonly resumed: CommandOutcome | null;

  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  /** The stream of output.log, kept after a write error clears `log`, so a stop can wait for it to close. */
  private logStream: WriteStream | undefined;
  private exit: AgentExit | undefined;
  private exitWaiters: ((exit: AgentExit) => void)[] = [];
  private stdinClosedReason: string | undefined;

  private phase: string;
  private objectives: string[];
  private completed: string[];
  private contextTokens: number;
  private model: string;
  /** The restore this process was started after, until its first phase command has said so. */
  private restoreToTell: AgentLaunch['restored'];

  constructor(
    private readonly launch: AgentLaunch,
    private readonly options: CommandAdapterOptions,
  ) {
    if (options.command.trim() === '') {
      throw new Error(`agent ${launch.name}: the agent command is empty; set [agents].command or --agent-cmd`);
    }
    this.kind = options.kind ?? 'command';
    this.name = launch.name;
    this.role = launch.role;
    const resume = launch.resume;
    this.phase = resume?.phase ?? launch.phase;
    this.objectives = resume ? [...resume.objectives] : [];
    this.completed = resume ? [...resume.completed] : [];
    this.contextTokens = resume?.context_tokens ?? 0;
    this.model = resume?.model || launch.model;
    this.restoreToTell = launch.restored;
    this.capabilities = options.capabilities ?? COMMAND_CAPABILITIES;
    this.resumed = resume
      ? (options.resumed ?? { ok: false, reason: 'the JSONL protocol has no resume: the agent starts afresh on its remaining tasks' })
      : null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.exit === undefined;
  }

  start(onMessage: (message: AgentMessage) => void, onExit: (exit: AgentExit) => void): Promise<void> {
    if (this.child) return Promise.reject(new Error(`agent ${this.name} was already started`));
    ensureAgentHome(this.launch.agentDir);
    mkdirSync(this.launch.projectDir, { recursive: true });
    const log = openOutputLog(this.launch.agentDir, LOG_HIGH_WATER_BYTES, this.launch.logRotation);
    this.log = log;
    this.logStream = log;
    log.on('error', () => {
      // A full disk must not take the orchestrator down; the parsed
      // messages still flow, only the raw copy is lost.
      this.log = undefined;
    });

    const child = spawn('/bin/sh', ['-c', this.options.command], {
      cwd: this.launch.projectDir,
      env: this.environment(),
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;

    const deliver = (line: string): void => {
      const message = parseAgentLine(line);
      this.observe(message);
      onMessage(message);
    };
    const stdoutLines = new LineSplitter(deliver);
    // stderr is never protocol: a JSON-looking line there is still output.
    // The last lines of stderr, bounded: what a crash says of itself.
    const stderrTail: string[] = [];
    const stderrLines = new LineSplitter((line) => {
      stderrTail.push(line.slice(0, 1_000));
      if (stderrTail.length > STDERR_LINES_KEPT) stderrTail.shift();
      onMessage({ type: 'output', line });
    });
    const stdout = child.stdout!;
    const stderr = child.stderr!;
    recordOutput(stdout, stderr, () => this.log, (chunk) => stdoutLines.push(chunk), (chunk) => stderrLines.push(chunk));
    let stdoutEnded = false;
    let stderrEnded = false;
    stdout.on('close', () => (stdoutEnded = true));
    stderr.on('close', () => (stderrEnded = true));

    const stdin = child.stdin!;
    stdin.on('error', (error: NodeJS.ErrnoException) => {
      this.stdinClosedReason = `agent stdin is closed (${error.code ?? error.message})`;
    });
    stdin.on('close', () => {
      this.stdinClosedReason ??= 'agent stdin is closed';
    });

    return new Promise<void>((resolve, reject) => {
      let spawned = false;
      child.once('spawn', () => {
        spawned = true;
        resolve();
      });
      child.once('error', (error) => {
        if (!spawned) {
          this.exit = { code: null, signal: null };
          log.end();
          reject(new Error(`agent ${this.name}: could not start "${this.options.command}" in ${this.launch.projectDir}: ${error.message}`));
        }
      });
      child.once('exit', (code, signal) => {
        endLeftovers(child.pid, (line) => this.log?.write(`${line}\n`));
        const finish = (): void => {
          if (this.exit) return;
          stdoutLines.end();
          stderrLines.end();
          stdout.destroy();
          stderr.destroy();
          const clue = stderrClue(stderrTail);
          const exit: AgentExit = { code, signal, ...(clue === undefined ? {} : { stderrClue: clue }) };
          this.exit = exit;
          this.stdinClosedReason ??= 'agent is not running';
          this.log?.end();
          onExit(exit);
          for (const waiter of this.exitWaiters.splice(0)) waiter(exit);
        };
        if (stdoutEnded && stderrEnded) return finish();
        // Lines still in the pipes belong before the exit; wait for them, but
        // not forever: a grandchild holding the pipe open must not hide the exit.
        const timer = setTimeout(finish, PIPE_DRAIN_MS);
        let closed = 0;
        const onClose = (): void => {
          closed += 1;
          if (closed === 2) {
            clearTimeout(timer);
            finish();
          }
        };
        if (stdoutEnded) closed += 1;
        else stdout.once('close', onClose);
        if (stderrEnded) closed += 1;
        else stderr.once('close', onClose);
        if (closed === 2) {
          clearTimeout(timer);
          finish();
        }
      });
    });
  }

  assign(assignment: PhaseAssignment): void {
    if (assignment.phase !== this.phase) this.completed = [];
    this.phase = assignment.phase;
    this.objectives = [...assignment.objectives];
    // An agent may keep its own notes of the work (its agent folder outlives a restore): the first phase command after one
    // says what the restore undid, in the note a CLI agent's first prompt begins with.
    const told = this.restoreToTell;
    const note = told ? [restoreNotice(told, 'none'), assignment.note].filter((part) => part !== undefined).join('\n\n') : assignment.note;
    const outcome = this.send(phaseCommand({ ...assignment, ...(note === undefined ? {} : { note }) }));
    if (outcome.ok) this.restoreToTell = undefined;
    if (!outcome.ok) {
      throw new Error(`agent ${this.name}: cannot assign phase "${assignment.phase}": ${outcome.reason}`);
    }
  }

  control(command: AgentControl): CommandOutcome {
    return this.send({ cmd: command });
  }

  resumeState(): AgentResumeState {
    return {
      kind: this.kind,
      name: this.name,
      role: this.role,
      model: this.model,
      phase: this.phase,
      objectives: [...this.objectives],
      completed: [...this.completed],
      context_tokens: this.contextTokens,
    };
  }

  async stop(graceMs: number = DEFAULT_GRACE_MS): Promise<AgentExit> {
    if (!this.child) return { code: null, signal: null };
    if (this.exit) {
      this.killGroup('SIGKILL');
      await outputLogClosed(this.logStream);
      return this.exit;
    }
    this.send({ cmd: 'stop' });
    let exit = await this.waitForExit(graceMs);
    if (!exit) {
      this.killGroup('SIGTERM');
      exit = await this.waitForExit(Math.max(graceMs, 1000));
    }
    if (!exit) {
      this.killGroup('SIGKILL');
      exit = await this.waitForExit(Number.POSITIVE_INFINITY);
    }
    // Whatever the agent left behind in its group goes with it.
    this.killGroup('SIGKILL');
    // Its last lines (the reply to this stop) are in output.log when the stop returns.
    await outputLogClosed(this.logStream);
    return exit!;
  }

  private send(command: AgentCommand): CommandOutcome {
    if (!this.child || this.exit) return { ok: false, reason: 'agent is not running' };
    const stdin = this.child.stdin;
    if (this.stdinClosedReason || !stdin || stdin.destroyed || !stdin.writable) {
      return { ok: false, reason: this.stdinClosedReason ?? 'agent stdin is closed' };
    }
    stdin.write(encodeCommand(command) + '\n');
    return { ok: true };
  }

  private observe(message: AgentMessage): void {
    switch (message.type) {
      case 'task_done':
        if (!this.completed.includes(message.task)) this.completed.push(message.task);
        return;
      case 'context':
        this.contextTokens = message.tokens;
        return;
      case 'tokens':
        if (message.model) this.model = message.model;
        return;
      case 'tool_call':
      case 'state':
      case 'error':
      case 'vote':
      case 'output':
      case 'step':
      case 'session':
      case 'retry':
      case 'parse_failure':
      case 'outcome':
        return;
      default:
        assertNever(message, 'agent message');
    }
  }

  private waitForExit(timeoutMs: number): Promise<AgentExit | undefined> {
    if (this.exit) return Promise.resolve(this.exit);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter = (exit: AgentExit): void => {
        if (timer) clearTimeout(timer);
        resolve(exit);
      };
      this.exitWaiters.push(waiter);
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          this.exitWaiters = this.exitWaiters.filter((w) => w !== waiter);
          resolve(undefined);
        }, timeoutMs);
      }
    });
  }

  private killGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      // detached: the shell leads its own process group, whose id is its pid.
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is already gone
    }
  }

  private environment(): NodeJS.ProcessEnv {
    const launch = this.launch;
    // The agent's own git stays in its work dir's repository (src/io/gitEnvironment.ts), whatever megatest was started with.
    return keptToRunRepository(
      {
        // The protocol is a line at a time, and Python holds a pipe's output in 8 KB blocks: an agent that prints
        // without flushing said nothing until it stopped (every task at the run's end). A value of the user's wins.
        PYTHONUNBUFFERED: '1',
        ...process.env,
        ...megatestVariables(launch, { phase: launch.resume?.phase ?? launch.phase, model: this.model }),
        ...this.options.env,
      },
      launch.projectDir,
    );
  }
}
