// A little disk space held back from the start of a run (`<run>/.reserve`),
// given up the moment a write is refused for want of space, so that what a
// full disk must not lose can still be written: the queued events, the final
// checkpoint's manifest, the report. Taken again once the disk has room.

import { promises as fs } from 'node:fs';
import path from 'node:path';

export const RESERVE_FILE = '.reserve';
export const DEFAULT_RESERVE_BYTES = 4 * 1024 * 1024;

export class DiskReserve {
  readonly file: string;
  private held = false;

  constructor(
    runDir: string,
    private readonly bytes = DEFAULT_RESERVE_BYTES,
  ) {
    this.file = path.join(runDir, RESERVE_FILE);
  }

  get isHeld(): boolean {
    return this.held;
  }

  /** Writes the reserve (zeros, flushed, so the blocks are really allocated); false when the disk has no room for it. */
  async take(): Promise<boolean> {
    if (this.held) return true;
    let handle;
    try {
      handle = await fs.open(this.file, 'w', 0o600);
      const block = Buffer.alloc(Math.min(this.bytes, 1024 * 1024));
      for (let written = 0; written < this.bytes; written += block.length) await handle.write(block, 0, Math.min(block.length, this.bytes - written));
      await handle.sync();
      this.held = true;
    } catch {
      await fs.unlink(this.file).catch(() => undefined);
    } finally {
      await handle?.close().catch(() => undefined);
    }
    return this.held;
  }

  /** Gives the space back to the run's writers. */
  async release(): Promise<void> {
    this.held = false;
    await fs.unlink(this.file).catch(() => undefined);
  }
}
