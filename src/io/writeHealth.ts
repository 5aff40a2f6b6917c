// Whether the run folder can be written. Every writer of the orchestrator
// reports here instead of throwing when the disk is full (ENOSPC, EDQUOT) or
// failing (EIO): the engine pauses the session while any writer is stalled
// and continues it once all of them write again (docs/recovery.md, "A full
// disk").

/** Errors that mean "the disk cannot take this now", not a bug: wait and retry. */
const DISK_ERROR_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EFBIG', 'EROFS']);

export function isDiskWriteError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && DISK_ERROR_CODES.has(code);
}

export function errorText(error: unknown): string {
  const e = error as NodeJS.ErrnoException | undefined;
  // Node's own message starts with the code already ("ENOSPC: no space left on device, write"): said once.
  return e?.code && !String(e.message).startsWith(`${e.code}:`) ? `${e.code}: ${e.message}` : String((e as Error | undefined)?.message ?? error);
}

export type WriteHealthListener = (stalled: boolean, detail: string) => void;

export class WriteHealth {
  /** Writer name → why it cannot write. */
  private readonly failing = new Map<string, string>();
  private readonly listeners: WriteHealthListener[] = [];

  get stalled(): boolean {
    return this.failing.size > 0;
  }

  /** The writers that cannot write, and why, for messages. */
  describe(): string {
    return [...this.failing].map(([writer, why]) => `${writer}: ${why}`).join('; ');
  }

  onChange(listener: WriteHealthListener): void {
    this.listeners.push(listener);
  }

  fail(writer: string, error: unknown): void {
    const was = this.stalled;
    this.failing.set(writer, errorText(error));
    if (!was) this.notify(true);
  }

  ok(writer: string): void {
    if (!this.failing.delete(writer)) return;
    if (!this.stalled) this.notify(false);
  }

  private notify(stalled: boolean): void {
    const detail = this.describe();
    for (const listener of this.listeners) {
      try {
        listener(stalled, detail);
      } catch {
        // a listener's failure must not stop the writers
      }
    }
  }
}
