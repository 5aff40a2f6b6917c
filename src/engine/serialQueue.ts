// The engine's serial queue: short state changes (commands, ticks, phase
// changes) run one at a time, in the order they were asked for.

/** Runs async jobs one at a time, in the order they were asked for. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job, job);
    this.tail = result.catch(() => undefined);
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
