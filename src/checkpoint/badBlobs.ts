// checkpoints/bad-blobs/: where a blob found corrupt (by a restore or by
// `megatest checkpoints verify`) is set aside, out of objects/, kept for a
// person to look at, and where a blob found missing leaves a marker. Either
// way the blob store stops trusting it, so the next checkpoint that needs its
// content writes it afresh; a store in another process (a running
// orchestrator's) notices by the folder's mtime.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readBackVerdict } from './blobCodec.js';
import { errorCode } from './durableFiles.js';

/** Where blobs found corrupt are kept, out of objects/ (relative to the checkpoints folder). */
export const BAD_BLOBS_DIR = 'bad-blobs';

export class BadBlobs {
  readonly badBlobsDir: string;
  /** bad-blobs/'s mtime when this process last read it. */
  private badBlobsSeenMs = Number.NaN;

  /** blobPath: where the blob store keeps a blob; distrust: the store no longer trusts it (it is written again when needed). */
  constructor(
    checkpointsDir: string,
    private readonly blobPath: (sha256: string) => string,
    private readonly distrust: (sha256: string) => void,
  ) {
    this.badBlobsDir = path.join(checkpointsDir, BAD_BLOBS_DIR);
  }

  /**
   * Moves a blob found corrupt out of objects/ into bad-blobs/ (kept for a
   * person to look at), so the next snapshot that needs its content writes it
   * again. False when it was not there to move.
   */
  async setAside(sha256: string): Promise<boolean> {
    this.distrust(sha256);
    await fs.mkdir(this.badBlobsDir, { recursive: true });
    try {
      await fs.rename(this.blobPath(sha256), path.join(this.badBlobsDir, `${sha256}.${Date.now()}.gz`));
      return true;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false;
      throw error;
    }
  }

  /**
   * Sets the blob aside (setAside) only if it is really bad: there, and not
   * a blob (blobCodec.ts) or its content not hashing to its name. A blob
   * that is missing or cannot be read stays where it is. Reads the blob once
   * more (readBackVerdict).
   */
  async setAsideIfCorrupt(sha256: string): Promise<boolean> {
    return (await readBackVerdict(this.blobPath(sha256), sha256)) === 'bad' ? this.setAside(sha256) : false;
  }

  /**
   * A blob found missing (by a verify or a restore) is no longer trusted
   * here, and a marker in bad-blobs/ says so to a running orchestrator's
   * store (noticeSetAside): trusted, it would be named by every later
   * checkpoint of an unchanged file and never written again. True when the
   * blob is indeed missing.
   */
  async noteIfMissing(sha256: string): Promise<boolean> {
    try {
      await fs.lstat(this.blobPath(sha256));
      return false;
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') return false;
    }
    this.distrust(sha256);
    await fs.mkdir(this.badBlobsDir, { recursive: true });
    await fs.writeFile(path.join(this.badBlobsDir, `${sha256}.${Date.now()}.missing`), '');
    return true;
  }

  /** Blobs another process (a verify) set aside or found missing since the last look are no longer trusted: one stat when nothing changed. */
  async noticeSetAside(): Promise<void> {
    const stats = await fs.stat(this.badBlobsDir).catch(() => null);
    if (stats === null || stats.mtimeMs === this.badBlobsSeenMs) return;
    this.badBlobsSeenMs = stats.mtimeMs;
    for (const name of await fs.readdir(this.badBlobsDir).catch(() => [] as string[])) {
      const match = /^([0-9a-f]{64})\./.exec(name);
      if (match) this.distrust(match[1]!);
    }
  }
}
