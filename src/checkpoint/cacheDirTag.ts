// Cache folders (the Cache Directory Tagging Specification,
// https://bford.info/cachedir/): a folder holding a file CACHEDIR.TAG whose
// first 43 bytes are the signature below is regenerable output that backups
// leave out (tar --exclude-caches, restic --exclude-caches). Cargo tags its
// target/ (since 2020), as pytest, mypy, ruff and uv tag their caches. The
// projects megatest runs are Rust workspaces: without this, every checkpoint
// after a `cargo build` stored target/'s hundreds of MB of build output, and
// every restore wrote it back.

import { closeSync, readSync, type Dirent } from 'node:fs';
import { openRegularFile } from './projectFileOpen.js';

export const CACHEDIR_TAG = 'CACHEDIR.TAG';
const SIGNATURE = Buffer.from('Signature: 8a477f597d28d172789f06886806bc55', 'latin1');

/** Whether the folder at `absolute`, whose entries are `names`, is tagged as a cache (a tag file that does not read as one is not). */
export function isTaggedCache(absolute: string, names: readonly Dirent[]): boolean {
  if (!names.some((dirent) => dirent.name === CACHEDIR_TAG && dirent.isFile())) return false;
  let fd: number | null = null;
  try {
    // A tag replaced by a FIFO since the readdir must not hold the walk: not a regular file, not a tag.
    fd = openRegularFile(`${absolute}/${CACHEDIR_TAG}`).fd;
    const head = Buffer.alloc(SIGNATURE.length);
    const read = readSync(fd, head, 0, head.length, 0);
    return read === SIGNATURE.length && head.equals(SIGNATURE);
  } catch {
    // Gone or unreadable meanwhile: the folder is walked as any other.
    return false;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}
