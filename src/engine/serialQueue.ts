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
}
