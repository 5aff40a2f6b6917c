// Files a reader may open while they change are written to a temporary file
// in the same folder, flushed, and renamed over the old one: a reader sees
// the old file or the new one, and a crash or kill -9 leaves no torn file.

import { promises as fs, writeFileSync, openSync, fsyncSync, closeSync, renameSync, unlinkSync } from 'node:fs';
import path from 'node:path';

let counter = 0;
/** The temp file beside target; exported for a file written piece by piece and then renamed (the replay seek index). */
export function tempName(target: string): string {
  counter = (counter + 1) % 1_000_000;
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${counter}.tmp`);
}

export interface AtomicWriteOptions {
  mode?: number;
  /** fsync the file and its folder; on for checkpoints, off for hot status files. */
  durable?: boolean;
}

export async function writeFileAtomic(target: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const temp = tempName(target);
  const handle = await fs.open(temp, 'w', options.mode ?? 0o644);
  try {
    await handle.writeFile(data);
    if (options.durable) await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fs.unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await fs.rename(temp, target);
  } catch (error) {
    await fs.unlink(temp).catch(() => undefined);
    throw error;
  }
  if (options.durable) await syncDir(path.dirname(target));
}

export function writeFileAtomicSync(target: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const temp = tempName(target);
  try {
    writeFileSync(temp, data, { mode: options.mode ?? 0o644 });
    if (options.durable) {
      const fd = openSync(temp, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    renameSync(temp, target);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // the temp file was never made or is already gone
    }
    throw error;
  }
}

export async function syncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // some file systems refuse fsync on a directory; the rename is still atomic
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
