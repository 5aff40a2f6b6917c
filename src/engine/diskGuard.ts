// A full disk (ENOSPC, EDQUOT, EIO) pauses the session instead of ending it
// (docs/recovery.md, "A full disk"). The writers never throw: they keep what
// the disk refused in memory and retry with backoff (src/io/lineAppender.ts),
// and report to ctx.health. The guard pauses the session while any writer
// is stalled, with an alert, and continues it by itself once every writer
// writes again; `megatest continue` also continues it, and if the disk is
// still full the next tick pauses it again. A reserve file held from the
// start is given up when the session must end on a full disk, so its final
// checkpoint and report can still be written.

import { ControlError } from '../contract/control.js';
import { DiskReserve } from '../io/diskReserve.js';
import type { EngineContext } from './context.js';

export interface DiskGuardActions {
  pause(alert: string): Promise<void>;
  resume(): Promise<unknown>;
  /** The run folder's size and the free space are within [limits] (a limit pause is not lifted by room alone). */
  withinLimits(): boolean;
}

const WRITES_REFUSED = 'writes refused: ';
/** How an error says the disk refused a write. */
const REFUSED_WRITE = /ENOSPC|EDQUOT|EFBIG|no space left|disk quota|the disk refused a write/i;

/** A disk_full error for a write the disk refused: the guard lifts its pause once the disk takes writes again. */
export function diskRefusedWrite(errorClass: string, message: string): boolean {
  return errorClass === 'disk_full' && REFUSED_WRITE.test(message);
}

/** How often a session paused for the disk tries whether it takes writes again. */
const PROBE_EVERY_MS = 1_000;

export class DiskGuard {
  readonly reserve: DiskReserve;
  /**
   * A disk_full error was seen (the event log's writer, an agent that could
   * not write project/, the disk limit): the pause that follows is the
   * disk's, and lifts by itself once the disk takes writes again.
   */
  private pausedForDisk = false;
  private lastProbeMs = 0;
  /** The pause is the disk limit's ([limits] disk_space_limit_gb, min_free_disk_gb): a person continues it. */
  private heldByLimit = false;

  constructor(
    private readonly ctx: EngineContext,
    private readonly actions: DiskGuardActions,
  ) {
    this.reserve = new DiskReserve(ctx.paths.root);
    // Not on the serial queue: the resume it may ask for is a queued command itself.
    ctx.health.onChange((stalled) => {
      if (!stalled) void this.writable().catch((error) => ctx.internalError(error));
    });
    ctx.events.onEvent((event) => {
      // A write the disk refused (ours, or an agent's in project/); not a size over [limits], which waits for a person.
      if (event.type === 'error' && diskRefusedWrite(event.class, event.message)) this.pausedForDisk = true;
      // A [limits] disk pause waits for a person (docs/recovery.md, Limits): room alone does not lift it.
      if (event.type === 'limit' && event.kind === 'disk' && event.action === 'pause' && !event.detail?.startsWith(WRITES_REFUSED)) this.heldByLimit = true;
      if (event.type === 'command' && event.name === 'continue') {
        this.pausedForDisk = false;
        this.heldByLimit = false;
      }
    });
  }

  /** Holds the reserve; a disk already too full for it is noted, not fatal. */
  async start(): Promise<void> {
    if (!(await this.reserve.take())) this.ctx.log.warn('disk', 'no room for the disk reserve (.reserve): a full disk may leave the final report unwritten');
  }

  /** Each tick: a stalled writer pauses a running session; the status file a full disk refused is tried again. */
  async watch(): Promise<void> {
    const { ctx } = this;
    if (!ctx.health.stalled) {
      await this.probe();
      return;
    }
    ctx.writeStatusFile();
    if (!ctx.health.stalled || ctx.status !== 'running' || ctx.stopRequest) return;
    const why = ctx.health.describe();
    this.pausedForDisk = true;
    ctx.emit({ type: 'limit', kind: 'disk', action: 'pause', detail: `${WRITES_REFUSED}${why}` });
    ctx.emit({ type: 'error', class: 'disk_full', severity: 'critical', message: `the disk refused a write: ${why}` });
    ctx.log.error('disk', `the disk refused a write (${why}); pausing until it takes writes again`);
    await this.actions.pause(
      `the disk is full or failing (${why}) — paused; the session continues by itself once writes succeed again, or with \`megatest continue\``,
    );
  }

  /**
   * Paused for the disk but no writer of ours is stalled (an agent could not
   * write, or the disk limit): take the reserve again as the test of room.
   */
  private async probe(): Promise<void> {
    if (!this.pausedForDisk || this.heldByLimit || this.ctx.status !== 'paused') return;
    const now = Date.now();
    if (now - this.lastProbeMs < PROBE_EVERY_MS) return;
    this.lastProbeMs = now;
    if (this.actions.withinLimits() && (await this.reserve.take())) await this.writable();
  }

  /** Every writer writes again: continue what the disk paused. */
  private async writable(): Promise<void> {
    const { ctx } = this;
    if (ctx.health.stalled) return;
    if (!this.reserve.isHeld && !(await this.reserve.take())) return;
    if (!this.pausedForDisk || this.heldByLimit || !this.actions.withinLimits()) return;
    ctx.log.info('disk', 'the disk takes writes again');
    if (ctx.status !== 'paused' || ctx.stopRequest) return;
    ctx.emit({ type: 'alert', level: 'info', message: 'the disk takes writes again — continued' });
    // Not awaited: the continue is a queued command, and a tick (itself on the queue) may be asking.
    void this.actions.resume().catch((error) => {
      if (!(error instanceof ControlError)) ctx.internalError(error);
    });
  }

  /** The session ends: give the reserve back so the final checkpoint and report fit, and write what waits. */
  async beforeFinish(): Promise<void> {
    if (!this.ctx.health.stalled) return;
    await this.reserve.release();
    this.ctx.events.flush();
    this.ctx.log.flush();
    this.ctx.writeStatusFile();
  }

  /**
   * A checkpoint failed (a periodic one, or a phase's): recorded and said,
   * and the run goes on, its last checkpoint standing (the keeper tries the
   * next a minute later). Thrown on, it ended the orchestrator at the phase
   * gate with a stack trace and the status file left at running. It pauses
   * nothing itself: a pause for it had nothing to lift it but the reserve,
   * which the guard holds, so it flapped, and could lift a person's pause;
   * when the disk refuses the event log too, the writers' stall pauses the
   * session as above.
   */
  checkpointFailed(trigger: string, error: unknown): void {
    const { ctx } = this;
    const message = error instanceof Error ? error.message : String(error);
    const full = REFUSED_WRITE.test(`${(error as NodeJS.ErrnoException)?.code ?? ''} ${message}`);
    ctx.log.error('checkpoint', `${trigger} checkpoint failed: ${message}; the last checkpoint stands`);
    ctx.emit({ type: 'error', class: full ? 'checkpoint_disk_full' : 'checkpoint_failed', severity: 'critical', message: `${trigger} checkpoint failed: ${message}` });
    ctx.emit({
      type: 'alert',
      level: 'critical',
      message: `${trigger} checkpoint failed${full ? ' (the disk is full)' : ''}: ${message}; the last checkpoint stands, and the next is tried in a minute`,
    });
  }

  /** The session has ended: the reserve is not needed any more. */
  async end(): Promise<void> {
    await this.reserve.release();
  }
}
