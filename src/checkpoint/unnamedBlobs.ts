// Blobs in objects/ that no checkpoint names: what a writer killed (kill -9,
// a power loss) between renaming a checkpoint's blobs into place and
// publishing its file left behind. Nothing else ever removes them, so each
// such crash left its checkpoint's new contents on the disk for good.
// `megatest resume`, which holds the run folder's lock and starts before any
// agent or checkpoint of its own, removes them (CheckpointKeeper.resumeFrom).

import { promises as fs } from 'node:fs';
import { errorCode } from './durableFiles.js';

/** A blob's file name in its fan-out folder: the sha256 less its first two hex digits. */
const BLOB_NAME = /^[0-9a-f]{62}$/;
const FAN_OUT = /^[0-9a-f]{2}$/;

/** The sha256 of every blob file under objectsDir (temp files and anything else left out); none without the folder. */
export async function storedBlobs(objectsDir: string): Promise<string[]> {
  let folders: string[];
  try {
    folders = await fs.readdir(objectsDir);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  }
  const found: string[] = [];
  for (const folder of folders.filter((name) => FAN_OUT.test(name)).sort()) {
    const entries = await fs.readdir(`${objectsDir}/${folder}`, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) if (entry.isFile() && BLOB_NAME.test(entry.name)) found.push(folder + entry.name);
  }
  return found;
}

/** Bytes the blob files take (their sizes), of those still there. */
export async function blobBytes(blobPaths: readonly string[]): Promise<number> {
  let bytes = 0;
  for (const file of blobPaths) bytes += (await fs.lstat(file).catch(() => null))?.size ?? 0;
  return bytes;
}
