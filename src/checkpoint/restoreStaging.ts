// A restore's files, staged beside the blobs while the blobs are checked.
// Creating files is most of what a restore costs (as it is of `cp -a`), and
// checking blobs (read, inflate, hash) is the rest: staging each verified
// content as a temp file in checkpoints/ lets the two overlap, inflating in
// the thread pool while this thread creates files, instead of one after the
// other. project/ is still not touched until every blob is verified; then
// each staged file is renamed into place, whole or absent as before. The
// temps carry the writer's pid (durableFiles.ts), so those of a killed
// restore are swept by the next snapshot of any process; a failed restore
// removes its own. Staging needs checkpoints/ on project/'s file system (a
// rename cannot cross them); elsewhere, or when checkpoints/ cannot be
// written, contents are held in memory as before (verify.ts).

import { closeSync, fchmodSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { errorCode, tempSuffix } from './durableFiles.js';
import type { FileEntry } from './types.js';

/** Writes a file whole via a temp file beside it and a rename: whole or absent, never torn. */
export function writeFileWhole(absolute: string, content: Uint8Array, mode: number): void {
  const temp = path.join(path.dirname(absolute), `.megatest-restore.${tempSuffix()}`);
  try {
    writeTemp(temp, content, mode);
    renameSync(temp, absolute);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** A new file (never an existing one) with content and mode; unreadable by others until its mode is set. */
function writeTemp(temp: string, content: Uint8Array, mode: number): void {
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeFileSync(fd, content);
    fchmodSync(fd, mode);
  } finally {
    closeSync(fd);
  }
}

export class RestoreStaging {
  /** Manifest path → its staged temp in checkpoints/. */
  private readonly staged = new Map<string, string>();

  private constructor(
    private readonly checkpointsDir: string,
    /** The file entries to be written, by the blob they come from. */
    private readonly entriesByBlob: ReadonlyMap<string, readonly FileEntry[]>,
    private enabled: boolean,
  ) {}

  /** Staging into checkpointsDir for a restore into root, if both are on one file system. */
  static forRoot(checkpointsDir: string, root: string, entriesByBlob: ReadonlyMap<string, readonly FileEntry[]>): RestoreStaging {
    const checkpointsDev = statSync(checkpointsDir, { throwIfNoEntry: false })?.dev;
    const enabled = checkpointsDev !== undefined && checkpointsDev === statSync(root).dev;
    return new RestoreStaging(checkpointsDir, entriesByBlob, enabled);
  }

  /**
   * Stages a verified content once for each entry written from it (a
   * VerifiedContentSink); false when not staged, so the content is held instead.
   */
  readonly stage = (sha256: string, content: Buffer): boolean => {
    const entries = this.entriesByBlob.get(sha256);
    if (!this.enabled || entries === undefined) return false;
    try {
      for (const entry of entries) {
        if (this.staged.has(entry.path) || entry.size !== content.length) continue;
        const temp = path.join(this.checkpointsDir, `.megatest-restore.${tempSuffix()}`);
        try {
          writeTemp(temp, content, entry.mode);
        } catch (error) {
          rmSync(temp, { force: true });
          throw error;
        }
        this.staged.set(entry.path, temp);
      }
      return true;
    } catch {
      // checkpoints/ read-only or full: what is left is held in memory (and what is staged stays usable)
      this.enabled = false;
      return false;
    }
  };

  /** Moves the staged file of entry into place at absolute; false if none was staged. */
  moveInto(entry: FileEntry, absolute: string): boolean {
    const temp = this.staged.get(entry.path);
    if (temp === undefined) return false;
    this.staged.delete(entry.path);
    try {
      renameSync(temp, absolute);
    } catch (error) {
      // A file system boundary the device check did not see (a bind mount): copy the verified content instead.
      if (errorCode(error) !== 'EXDEV') {
        rmSync(temp, { force: true });
        throw error;
      }
      writeFileWhole(absolute, readFileSync(temp), entry.mode);
      rmSync(temp, { force: true });
    }
    return true;
  }

  /** Removes every staged file not moved into place (the restore failed, or the file was found unchanged). */
  discard(): void {
    for (const temp of this.staged.values()) rmSync(temp, { force: true });
    this.staged.clear();
  }
}
