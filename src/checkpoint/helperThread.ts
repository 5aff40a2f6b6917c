// A second thread for a checkpoint's heavy loops (lstat of many paths,
// compressing new blobs): on two cores it takes half the work. Its code is a
// string (no file to find from the bundle, the build or the sources). It
// does not keep the process alive when idle, but is held while it has work
// (a process with nothing else to do would otherwise exit before the
// answer), and ends after a while unused. If it cannot start or dies, the
// caller is told (HelperGone) and does the work on its own thread; one that
// could not start is not tried again for a while (a process at its thread or
// memory limit would otherwise start a thread per request, each failing).

import { Worker } from 'node:worker_threads';

/** The thread ends after this long without work (a snapshot every few minutes pays its start-up, ~30 ms, again). */
export const IDLE_MS = 60_000;

/** After a thread failed to start (it ended before its first answer), none is started for this long. */
export const RETRY_START_AFTER_MS = 60_000;

/**
 * What a helper's source posts back for each request: `{ id, value }`, or
 * `{ id, error }` with the fields of a Node error, so a write that fails on
 * a full disk rejects with its code (ENOSPC) as it would on this thread.
 */
interface Reply {
  id: number;
  value?: unknown;
  error?: { message: string; code?: string; errno?: number; syscall?: string; path?: string };
}

/**
 * The sources are CommonJS, and a thread takes this process's flags: in a
 * process started as `node --input-type=module -e …` they would be ES
 * modules, and every thread would fail at its first `require`. That flag
 * is left out; otherwise the thread takes the flags as they are.
 */
function workerFlags(): { execArgv?: string[] } {
  const flags = process.execArgv;
  const at = flags.findIndex((flag) => flag === '--input-type' || flag.startsWith('--input-type='));
  if (at < 0) return {};
  return { execArgv: flags.filter((_flag, index) => index !== at && !(index === at + 1 && flags[at] === '--input-type')) };
}

/** The helper thread stopped or could not start: not the request's fault; do the work here. */
export class HelperGone extends Error {}

export class HelperThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private nextId = 0;
  private idle: NodeJS.Timeout | null = null;
  /** It answered a request: it started. */
  private answered = false;
  broken = false;

  /** onEnd: told once, when the thread ends or is ended; `startFailed` when it ended by itself before its first answer. */
  constructor(source: string, private readonly onEnd: (startFailed: boolean) => void) {
    this.worker = new Worker(source, { eval: true, ...workerFlags() });
    this.worker.unref();
    this.worker.on('message', ({ id, value, error }: Reply) => {
      this.answered = true;
      const waiting = this.pending.get(id);
      this.pending.delete(id);
      if (error !== undefined) waiting?.reject(Object.assign(new Error(error.message), error));
      else waiting?.resolve(value);
      this.armIdle();
    });
    const fail = (error: Error): void => {
      this.end(!this.answered);
      for (const { reject } of this.pending.values()) reject(new HelperGone(error.message));
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', () => fail(new Error('the helper thread ended')));
    // Started ahead of its first request (warmReadHelper), it still ends if none comes.
    this.armIdle();
  }

  /** Requests posted and not yet answered. */
  get queued(): number {
    return this.pending.size;
  }

  /** Posts `message` with an id; the thread answers with a Reply. */
  call<T>(message: object, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.idle !== null) clearTimeout(this.idle);
    this.idle = null;
    this.worker.ref();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  private armIdle(): void {
    if (this.pending.size > 0) return;
    this.worker.unref();
    this.idle = setTimeout(() => {
      if (this.pending.size > 0) return;
      this.end(false);
      void this.worker.terminate();
    }, IDLE_MS);
    this.idle.unref();
  }

  private end(startFailed: boolean): void {
    if (this.broken) return;
    this.broken = true;
    this.onEnd(startFailed);
  }
}

/**
 * One helper thread per source, started when first needed and again after
 * it ended; after one failed to start, not before RETRY_START_AFTER_MS.
 */
export class LazyHelper {
  private current: HelperThread | null = null;
  /** Date.now() before which no thread is started (one failed to). */
  private noStartUntilMs = 0;

  constructor(private readonly source: string) {}

  /**
   * The helper if it has fewer than `limit` requests waiting, else null (do
   * the work here). Its answers come in only when this thread turns the event
   * loop, so when it looks full this takes one turn first and looks again.
   */
  async withRoom(limit: number): Promise<HelperThread | null> {
    let helper = this.get();
    if (helper !== null && helper.queued >= limit) {
      await new Promise((resolve) => setImmediate(resolve));
      helper = this.get();
    }
    return helper !== null && helper.queued < limit ? helper : null;
  }

  /** The running helper, a new one, or null when none can start (or one failed to start a short while ago). */
  get(): HelperThread | null {
    if (this.current !== null && !this.current.broken) return this.current;
    this.current = null;
    if (Date.now() < this.noStartUntilMs) return null;
    try {
      const started: HelperThread = new HelperThread(this.source, (startFailed) => {
        if (startFailed) this.noStartUntilMs = Date.now() + RETRY_START_AFTER_MS;
        if (this.current === started) this.current = null;
      });
      this.current = started;
    } catch {
      this.noStartUntilMs = Date.now() + RETRY_START_AFTER_MS;
    }
    return this.current;
  }
}
