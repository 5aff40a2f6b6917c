// The engine's serial queue: short state changes (commands, ticks, phase
// changes) run one at a time, in the order they were asked for. A job may
// let a person's pause, continue and stop in while it does long work that
// they cannot upset (a checkpoint's walk of project/ takes seconds in a
// project of 50,000 files): they are answered then, not after it.

interface WaitingCommand {
  job: () => Promise<unknown>;
  /** Its run, once begun beside a job (letCommandsIn). */
  started: Promise<unknown> | null;
  /** When it was asked for, among all commands (SerialQueue.asked). */
  asked: number;
  /** Tells the caller of a command that waited its turn the run it was let in to. */
  letIn?: (run: Promise<unknown>) => void;
}

/** Runs async jobs one at a time, in the order they were asked for. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  /** How many letCommandsIn stretches are under way (of the running job). */
  private open = 0;
  /** Commands let in run one at a time, in order, among themselves. */
  private besideTail: Promise<unknown> = Promise.resolve();
  /** Commands let in and not yet ended: the job that let them in goes on only after them. */
  private readonly beside = new Set<Promise<unknown>>();
  /** A person's commands queued in their turn and not yet run: a job that lets commands in runs them beside it. */
  private readonly waiting = new Set<WaitingCommand>();
  /** Commands that wait their turn whatever runs (a checkpoint, compress, restore), by when they were asked for. */
  private readonly waitingInTurn = new Set<number>();
  /** The order commands were asked for in. */
  private asked = 0;

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job, job);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /**
   * Called by the running job around long work that a person's command
   * (runCommand) may not wait for: while `work` runs, such commands run at
   * once, one at a time, and so do those that were waiting their turn when it
   * began (a pause asked for while the phase end committed waited for the
   * commit and then the whole checkpoint walk, 7 s at 30,000 files). The job
   * goes on once `work` and every command let in have ended, so nothing the
   * job does after overlaps them.
   */
  async letCommandsIn<T>(work: () => Promise<T>): Promise<T> {
    this.open += 1;
    // Those asked for before any command still waiting its turn: a stop asked after a checkpoint does not overtake it
    // (the checkpoint was then refused, the session stopping).
    const barrier = Math.min(...this.waitingInTurn);
    for (const waiting of [...this.waiting]) if (waiting.asked < barrier) this.startBeside(waiting);
    try {
      return await work();
    } finally {
      this.open -= 1;
      while (this.beside.size > 0) await Promise.allSettled([...this.beside]);
    }
  }

  /**
   * A person's command: at once, beside the running job, while that job lets
   * commands in (letCommandsIn); otherwise in its turn, as run, unless a job
   * lets commands in before its turn comes.
   */
  runCommand<T>(job: () => Promise<T>): Promise<T> {
    const asked = (this.asked += 1);
    if (this.open > 0) return this.startBeside({ job, started: null, asked }) as Promise<T>;
    let answer!: (run: Promise<unknown>) => void;
    // The caller's answer: the command's own run, whether in its turn or let in beside a job before it.
    const answered = new Promise<unknown>((resolve) => {
      answer = resolve;
    });
    const command: WaitingCommand = { job, started: null, asked };
    command.letIn = (run) => answer(run);
    this.waiting.add(command);
    void this.run(() => {
      this.waiting.delete(command);
      // Let in beside a job while it waited: done already (that job waited for it), and in order among the others.
      const run = command.started ?? job();
      answer(run);
      return run;
    }).catch(() => undefined);
    return answered as Promise<T>;
  }

  /**
   * A command that waits its turn whatever runs (a checkpoint, compress or
   * restore: they read or change what the running job works on). A
   * person's command asked for after it is not let in ahead of it.
   */
  runInTurn<T>(job: () => Promise<T>): Promise<T> {
    const asked = (this.asked += 1);
    this.waitingInTurn.add(asked);
    return this.run(() => {
      this.waitingInTurn.delete(asked);
      return job();
    });
  }

  /** Runs a waiting (or new) command beside the running job, after the commands let in before it. */
  private startBeside(command: WaitingCommand): Promise<unknown> {
    this.waiting.delete(command);
    const result = this.besideTail.then(command.job, command.job);
    command.started = result;
    command.letIn?.(result);
    const ended = result.then(
      () => undefined,
      () => undefined,
    );
    this.besideTail = ended;
    this.beside.add(ended);
    void ended.then(() => this.beside.delete(ended));
    return result;
  }

  /**
   * A periodic job that waits its turn at most once: asked for again while
   * it waits (the engine's 250 ms tick behind a checkpoint of 50,000 files),
   * it still runs once. Queued every time, the ticks of a long job ran back
   * to back after it, ahead of a person's command, and a job that never
   * ended queued four a second for ever. Asked for while it runs, it runs
   * once more after.
   */
  coalesced(job: () => Promise<void>): () => Promise<void> {
    let waiting: Promise<void> | null = null;
    return () => {
      if (waiting !== null) return waiting;
      const queued = this.run(async () => {
        waiting = null;
        await job();
      });
      waiting = queued;
      return queued;
    };
  }
}
