// The adapter for real CLI agents (selfware, claude-code, codex): one
// process per task, driven by the kind's CliAgentSpec. A task is one
// objective: the run's success is that objective's task_done, its failure an
// error, so what megatest counts is exactly what each run said. Between tasks
// the agent is idle and has no process.
//
// Control: pause/resume stop and continue the task's process group
// (SIGSTOP/SIGCONT); compress restarts the running task on a fresh context
// with a summary of the work so far (harness compression:
// harnessCompression.ts), since none of the CLIs can be told to compact from
// outside; a checkpoint keeps each task's native session id so a resume
// continues it natively.
//
// After a restore, what the agent resumes and is told: afterRestore.ts.

import { readFileSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { AgentKind } from '../config/types.js';
import { assertNever } from '../contract/assertNever.js';
import type { AgentCapabilities } from '../contract/capabilities.js';
import { writeFileAtomicSync } from '../io/atomic.js';
import type { CliAgentSpec, CliTaskCommand } from './cliSpec.js';
import { HarnessCompression } from './harnessCompression.js';
import { agentHomeDir, ensureAgentHome, megatestVariables } from './home.js';
import { openOutputLog, outputLogClosed } from './outputLog.js';
import { AfterRestore } from './afterRestore.js';
import { describeResume, NativeSessions } from './nativeSessions.js';
import { TaskBook } from './taskBook.js';
import { describeEnd, judgeTaskEnd } from './taskEnd.js';
import { TaskRun } from './taskRun.js';
import { PROJECT_BRIEF_CHARS, buildTaskPrompt } from './taskPrompt.js';
import { TaskProcess, type TaskEnd } from './taskProcess.js';
import type { AgentAdapter, AgentControl, AgentExit, AgentLaunch, AgentMessage, AgentResumeState, CommandOutcome, CompressReport, PhaseAssignment, TestRunNote } from './types.js';

/** Bytes of raw output allowed to queue for output.log before the task's pipes are paused. */
const LOG_HIGH_WATER_BYTES = 4 * 1024 * 1024;
const DEFAULT_GRACE_MS = 5000;
/** After the agent reported its outcome, how long its process may take to exit by itself. */
const OUTCOME_EXIT_GRACE_MS = 5000;

export interface CliTaskAdapterOptions {
  spec: CliAgentSpec;
  /** The agent program (an absolute path once prepareRun resolved it). */
  binary: string;
  /** Environment for every task process, under the spec's own. */
  env?: Record<string, string>;
  /** Overrides OUTCOME_EXIT_GRACE_MS (tests). */
  outcomeExitGraceMs?: number;
}

export class CliTaskAdapter implements AgentAdapter {
  readonly kind: AgentKind;
  readonly name: string;
  readonly role: string;
  readonly capabilities: AgentCapabilities;
  readonly resumed: CommandOutcome | null;

  private readonly spec: CliAgentSpec;
  private readonly homeDir: string;
  private readonly sessions: NativeSessions;
  private onMessage: ((message: AgentMessage) => void) | null = null;
  private onExit: ((exit: AgentExit) => void) | null = null;
  private log: WriteStream | undefined;
  /** The stream of output.log, kept after a write error clears `log`, so a stop can wait for it to close. */
  private logStream: WriteStream | undefined;
  private projectBrief = '';
  /** What a restore it was started after leaves it to resume, and tells it. */
  private readonly afterRestore: AfterRestore;

  private readonly book: TaskBook;
  private current: TaskRun | null = null;
  /** Every task process not yet ended (a replaced one may still be draining). */
  private readonly live = new Set<TaskProcess>();
  private model: string;
  /** The context figures and the last test run a compression reports and summarises. */
  private readonly compression: HarnessCompression;
  private lastState: string | null = null;
  private paused = false;
  /** A task_done said, its work not yet taken by megatest (AgentLaunch.workTaken): the next task waits. */
  private taking = false;
  private stopping = false;
  private exit: AgentExit | undefined;

  constructor(
    private readonly launch: AgentLaunch,
    private readonly options: CliTaskAdapterOptions,
  ) {
    this.spec = options.spec;
    this.kind = options.spec.kind;
    this.name = launch.name;
    this.role = launch.role;
    this.capabilities = options.spec.capabilities;
    this.homeDir = agentHomeDir(launch.agentDir);
    const resume = launch.resume;
    this.book = new TaskBook(launch.phase, resume);
    this.compression = new HarnessCompression(resume?.context_tokens ?? 0);
    this.model = launch.model || resume?.model || '';
    // Sessions that went on after a restored checkpoint are not resumed, nor any whose resume takes no prompt (afterRestore.ts).
    this.afterRestore = new AfterRestore(NativeSessions.fromResume(resume?.native), launch.restored, this.kind, this.spec.resumeTakesNoPrompt === true);
    this.sessions = this.afterRestore.sessions;
    this.resumed = resume ? describeResume(this.kind, this.capabilities.nativeResume, this.sessions, this.book, this.afterRestore.leftOut) : null;
  }

  get pid(): number | undefined {
    return this.current?.process?.pid;
  }

  start(onMessage: (message: AgentMessage) => void, onExit: (exit: AgentExit) => void): Promise<void> {
    if (this.onMessage) return Promise.reject(new Error(`agent ${this.name} was already started`));
    this.onMessage = onMessage;
    this.onExit = onExit;
    ensureAgentHome(this.launch.agentDir);
    const log = openOutputLog(this.launch.agentDir, LOG_HIGH_WATER_BYTES, this.launch.logRotation);
    // A full disk must not take the orchestrator down: only the raw copy is lost.
    log.on('error', () => (this.log = undefined));
    this.log = log;
    this.logStream = log;
    try {
      this.projectBrief = readFileSync(path.join(this.launch.sessionDir, 'project_prompt.txt'), 'utf8').slice(0, PROJECT_BRIEF_CHARS + 1);
    } catch {
      this.projectBrief = '';
    }
    this.setState('idle');
    return Promise.resolve();
  }

  assign(assignment: PhaseAssignment): void {
    if (this.stopping || this.exit) return;
    this.book.assign(assignment, Date.now());
    const running = this.current;
    if (running && running.endedBy === null && !this.book.isAssigned(running.objective)) {
      // Its task went to another agent (or the phase moved on): this run is no longer wanted.
      running.endedBy = 'reassign';
      void running.process?.terminate(DEFAULT_GRACE_MS);
      return;
    }
    this.startNext();
  }

  control(command: AgentControl): CommandOutcome {
    if (this.stopping || this.exit) return { ok: false, reason: 'agent is not running' };
    switch (command) {
      case 'checkpoint':
        return this.capabilities.nativeCheckpoint
          ? { ok: true, detail: `${this.kind} keeps its own checkpoints as it works` }
          : { ok: false, reason: `${this.kind} keeps no checkpoints of its own; megatest's checkpoint records its session ids and remaining tasks` };
      case 'compress':
        void this.compressContext().catch(() => undefined);
        return { ok: true, detail: 'harness compression: the running task restarts on a summary of the work so far' };
      case 'pause':
        if (!this.capabilities.pause) return { ok: false, reason: `${this.kind} cannot be paused` };
        this.paused = true;
        this.current?.process?.signal('SIGSTOP');
        this.setState('waiting', this.current?.objective);
        return { ok: true };
      case 'resume':
        if (this.paused) {
          this.paused = false;
          this.current?.process?.signal('SIGCONT');
          if (this.current) {
            this.current.pausedMidRun = true;
            this.setState('working', this.current.objective);
          }
        }
        // resume also means "try again": the failed tasks get another run.
        this.book.retryFailed();
        this.startNext();
        return { ok: true };
      case 'stop':
        void this.stop();
        return { ok: true };
      default:
        return assertNever(command, 'agent control');
    }
  }

  observeTestRun(run: TestRunNote): void {
    this.compression.observeTestRun(run);
  }

  compressContext(): Promise<CompressReport> {
    return this.compression.compress({ running: () => this.current, stopping: this.stopping, workDir: this.workDir, book: this.book, sessions: this.sessions, terminateGraceMs: DEFAULT_GRACE_MS });
  }

  resumeState(): AgentResumeState {
    return {
      kind: this.kind,
      name: this.name,
      role: this.role,
      model: this.model,
      phase: this.book.phase,
      objectives: [...this.book.objectives],
      completed: [...this.book.completed],
      context_tokens: this.compression.contextTokens,
      native: this.sessions.toNative(this.book.remaining()),
    };
  }

  async stop(graceMs: number = DEFAULT_GRACE_MS): Promise<AgentExit> {
    if (this.exit) {
      await outputLogClosed(this.logStream);
      return this.exit;
    }
    this.stopping = true;
    const running = this.current;
    if (running && running.endedBy === null) running.endedBy = 'stop';
    const processes = [...this.live];
    const ends = await Promise.all(processes.map((p) => p.terminate(graceMs)));
    const own = running?.process ? ends[processes.indexOf(running.process)] : undefined;
    // An idle agent has no process: its "exit" is a clean one.
    const exit = this.finish(own ?? ends[0] ?? { code: 0, signal: null });
    // What its runs printed last is in output.log when the stop returns.
    await outputLogClosed(this.logStream);
    return exit;
  }

  // ------------------------------------------------------------ task runs

  private get workDir(): string {
    return this.launch.projectDir;
  }

  private emit(message: AgentMessage): void {
    this.onMessage?.(message);
  }

  private setState(status: 'working' | 'idle' | 'waiting', task?: string): void {
    const key = `${status}:${task ?? ''}`;
    if (key === this.lastState) return;
    this.lastState = key;
    this.emit(task === undefined ? { type: 'state', status } : { type: 'state', status, task });
  }

  private startNext(): void {
    if (this.current || this.taking || this.paused || this.stopping || this.exit || !this.onMessage) return;
    const next = this.book.next();
    if (next === undefined) {
      this.setState('idle');
      return;
    }
    this.runTask(next.objective, next.summary);
  }

  private runTask(objective: string, summary?: string): void {
    const task = new TaskRun(objective, this.model, {
      emit: (message) => this.emit(message),
      sessions: this.sessions,
      onContext: (tokens) => (this.compression.contextTokens = tokens),
      onPromptTokens: (tokens) => (this.compression.lastPromptTokens = tokens),
      outcomeExitGraceMs: this.options.outcomeExitGraceMs ?? OUTCOME_EXIT_GRACE_MS,
      terminateGraceMs: DEFAULT_GRACE_MS,
      // Before the process starts: what its home held then is not the run's.
      findSavedSession: this.spec.savedSessionLookup?.(this.homeDir),
    });
    this.current = task;
    this.setState('working', objective);
    const session = summary === undefined && this.capabilities.nativeResume ? this.sessions.get(objective) : undefined;
    const { notice, outlived } = this.afterRestore.forRun(objective, session !== undefined);
    let command: CliTaskCommand;
    try {
      command = this.spec.taskCommand({
        binary: this.options.binary,
        prompt: buildTaskPrompt({
          name: this.name,
          role: this.role,
          projectBrief: this.projectBrief,
          ...this.book.promptInput(objective, Date.now(), summary),
          ...(notice === undefined ? {} : { restoreNotice: notice }),
        }),
        model: this.model,
        workDir: this.workDir,
        agentDir: this.launch.agentDir,
        homeDir: this.homeDir,
        sessionDir: this.launch.sessionDir,
        resumeId: session?.id,
      });
    } catch (error) {
      this.current = null;
      this.taskFailed(objective, `cannot build the ${this.kind} command: ${(error as Error).message}`);
      return;
    }
    this.afterRestore.told(objective);
    const counted = this.sessions.begin(objective, session);
    const parser = this.spec.createParser({ model: this.model, countedTokens: session ? { ...counted } : undefined });
    this.writeLog(`[megatest] task "${objective}" started: ${command.file}${session ? ` (resuming session ${session.id})` : outlived !== undefined ? ` (${outlived})` : ''}, model ${this.model}\n`);
    const taskProcess = new TaskProcess({
      command,
      parser,
      baseEnv: this.environment(objective),
      log: () => this.log,
      parseStderr: this.spec.messagesOnStderr === true,
      onMessage: (message) => task.take(message),
      onEnd: (end) => this.taskEnded(task, end),
    });
    task.process = taskProcess;
    if (!taskProcess.ended) this.live.add(taskProcess);
    const pid = taskProcess.pid;
    if (pid !== undefined) {
      // A later `megatest resume` kills what a killed orchestrator left running (leftovers.ts).
      try {
        writeFileAtomicSync(path.join(this.launch.agentDir, 'agent.pid'), `${pid}\n`);
      } catch {
        // the run goes on; only that clean-up is lost
      }
    }
  }

  private taskEnded(task: TaskRun, end: TaskEnd): void {
    task.ended();
    if (task.process) this.live.delete(task.process);
    if (this.current === task) this.current = null;
    this.writeLog(`[megatest] task "${task.objective}" ended: ${describeEnd(end)}${task.outcome ? `, outcome ${task.outcome.outcome}` : ''}\n`);
    // A run that said it succeeded did its task, whatever ended its lingering process after that: the phase moving on
    // or a compression (judged as a run that ended after its outcome), or the session's stop (said done, no next
    // task). Before, such a task was dropped: its tokens and cost counted, the task never done.
    const succeeded = task.outcome?.outcome === 'succeeded';
    if (succeeded && (task.endedBy === 'reassign' || task.endedBy === 'compress')) task.endedBy = 'outcome';
    switch (task.endedBy) {
      case 'stop':
        if (succeeded) {
          this.book.done(task.objective);
          this.sessions.forget(task.objective);
          this.emit({ type: 'task_done', task: task.objective });
        }
        return;
      case 'reassign':
        this.startNext();
        return;
      case 'compress':
        if (this.paused || this.stopping) {
          this.book.holdSummary(task.objective, task.summary ?? '');
          this.startNext();
        } else if (!this.exit) {
          this.runTask(task.objective, task.summary);
        }
        return;
      case 'outcome':
      case null:
        break;
      default:
        return assertNever(task.endedBy, 'task end');
    }
    if (this.stopping || this.exit) return;
    const verdict = judgeTaskEnd({ objective: task.objective, stream: task.outcome, end, endedAfterOutcome: task.endedBy === 'outcome', spec: this.spec, binary: this.options.binary });
    switch (verdict.kind) {
      case 'done':
        this.book.done(task.objective);
        this.sessions.forget(task.objective);
        this.emit({ type: 'task_done', task: task.objective });
        this.nextOnceTaken();
        return;
      case 'crash':
        this.finish({ code: end.code, signal: end.signal, ...(end.stderrClue === undefined ? {} : { stderrClue: end.stderrClue }) });
        return;
      case 'failed':
        this.taskFailed(task.objective, verdict.message, { errorClass: verdict.errorClass, fallbackClass: verdict.fallbackClass, cause: verdict.cause }, task.pausedMidRun);
        return;
      default:
        assertNever(verdict, 'task verdict');
    }
  }

  /** The next task once megatest has committed the finished one's work (worktree isolation), or at once. */
  private nextOnceTaken(): void {
    const taken = this.launch.workTaken?.();
    if (taken === undefined) return this.startNext();
    this.taking = true;
    void taken.catch(() => undefined).then(() => {
      this.taking = false;
      this.startNext();
    });
  }

  private taskFailed(objective: string, message: string, why: { errorClass?: string; fallbackClass?: string; cause?: string } = {}, pausedMidRun = false): void {
    this.book.failed(objective);
    const defined = Object.fromEntries(Object.entries(why).filter(([, value]) => value !== undefined));
    this.emit({ type: 'error', message, ...defined, ...(pausedMidRun ? { pausedMidRun } : {}) });
    this.startNext();
  }

  /** The adapter is done: no more tasks; the pool hears the exit once. */
  private finish(exit: AgentExit): AgentExit {
    if (this.exit) return this.exit;
    this.exit = exit;
    this.stopping = true;
    for (const p of this.live) void p.terminate(DEFAULT_GRACE_MS);
    this.log?.end();
    this.log = undefined;
    this.onExit?.(exit);
    return exit;
  }

  private writeLog(text: string): void {
    this.log?.write(text);
  }

  private environment(objective: string): Record<string, string> {
    return { ...megatestVariables(this.launch, { phase: this.book.phase, model: this.model }), MEGATEST_TASK: objective, ...this.options.env };
  }
}
