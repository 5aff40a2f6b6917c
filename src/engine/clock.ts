// The session's active clock: wall time minus time spent paused. Phases and
// the duration limit run on it, so a person who pauses the run does not
// steal time from the agents. Restore sets it back to the checkpoint's.

export class ActiveClock {
  private baseMs = 0;
  private runningSince: number | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  start(): void {
    if (this.runningSince === null) this.runningSince = this.now();
  }

  pause(): void {
    if (this.runningSince !== null) {
      this.baseMs += this.now() - this.runningSince;
      this.runningSince = null;
    }
  }

  get running(): boolean {
    return this.runningSince !== null;
  }

  /** Milliseconds of active time. */
  elapsedMs(): number {
    return this.baseMs + (this.runningSince === null ? 0 : this.now() - this.runningSince);
  }

  set(elapsedMs: number): void {
    this.baseMs = elapsedMs;
    if (this.runningSince !== null) this.runningSince = this.now();
  }
}

/** Runs async jobs one at a time, in the order they were asked for. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job, job);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
