// `mkdir -p` for a folder a person names (--runs-dir, restore --to), made
// without Node's recursive mkdir. That one reads ENOENT as "the parent is
// missing", makes the parent, gets EEXIST and tries the child again, for
// ever, where mkdir answers ENOENT under a parent that exists: any path
// under /proc. Its loop is in C++, so the process spun at 100% of a core
// and no signal but SIGKILL ended it (`megatest run --runs-dir /proc/x`).
// Here the folders missing are made one mkdir each, from the deepest one
// there down, and an ENOENT then is the answer.

import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

const codeOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | null)?.code;

/**
 * Makes `dir` and the folders above it that are missing.
 * Throws the first mkdir's error: ENOTDIR where a part is a file, EACCES,
 * EROFS, ENOENT where the file system will not hold the folder.
 */
export function makeDirsSync(dir: string): void {
  const missing: string[] = [];
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    try {
      if (statSync(at).isDirectory()) break;
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: 'ENOTDIR' });
    } catch (error) {
      if (codeOf(error) === 'ENOTDIR') throw error;
      // EACCES and the rest: the mkdir below gives that answer itself.
      if (codeOf(error) !== 'ENOENT') break;
    }
    missing.push(at);
    if (path.dirname(at) === at) break;
  }
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder);
    } catch (error) {
      // Made meanwhile by another process: fine if it is a folder.
      if (codeOf(error) === 'EEXIST' && statSync(folder).isDirectory()) continue;
      throw error;
    }
  }
}
