// Checkpoints suspended while the run folder is over its disk limits
// (Limits.checkDisk suspends and lifts): none is taken but the final one, as
// a full disk could cut one short. A person who continues after the disk
// alert lets the run go on without checkpoints; that went on for hours,
// said only in session.log. Each checkpoint due meanwhile is counted, and
// the first of a suspension and every phase-end one are an alert.

import type { CheckpointTrigger } from '../contract/statuses.js';
import type { EngineContext } from './context.js';

export class CheckpointSuspension {
  /** Why checkpoints are suspended, or null while they are not. */
  private why: string | null = null;
  /** Checkpoints due and not taken since the suspension began. */
  private skipped = 0;

  constructor(private readonly ctx: Pick<EngineContext, 'emit' | 'log'>) {}

  get active(): boolean {
    return this.why !== null;
  }

  suspend(why: string): void {
    this.why = why;
  }

  lift(): void {
    if (this.why === null) return;
    if (this.skipped > 0) this.ctx.log.info('checkpoint', `checkpoints resume: back within the disk limits; ${this.skipped} were skipped while over them`);
    this.why = null;
    this.skipped = 0;
  }

  /** A checkpoint due while suspended: not taken, counted, and said. */
  skip(trigger: CheckpointTrigger): void {
    this.skipped += 1;
    this.ctx.log.warn('checkpoint', `${trigger} checkpoint skipped: the disk limit is exceeded (${this.skipped} skipped since)`);
    if (this.skipped === 1 || trigger === 'phase') {
      this.ctx.emit({
        type: 'alert',
        level: 'warning',
        message: `${trigger} checkpoint not taken (${this.skipped} so far): checkpoints are suspended until the run folder is back within the disk limits (${this.why})`,
      });
    }
  }
}
