// Folders of project/ that their owner cannot read (an agent ran `chmod 000
// project/a`): a restore must still see what is in them, to compare and
// remove it. The walk (tree.ts) throws EACCES on such a folder, as a
// snapshot should; here the folder is given its owner's rwx and the walk made
// again, as the restore later opens folders it cannot write in (restore.ts,
// lockedDirs). The modes a restore does not set from the manifest (all of
// them when it fails, else those of folders it leaves alone: project/ itself,
// a tagged cache) are put back afterwards, so project/ is as it was.

import { chmodSync, lstatSync } from 'node:fs';
import path from 'node:path';
import { errorCode } from './durableFiles.js';
import { scanTree, type TreeScan } from './tree.js';
import type { WalkMemo } from './walkMemo.js';

export class OpenedFolders {
  /** Absolute path → the mode it had before it was opened. */
  private readonly modes = new Map<string, number>();

  constructor(private readonly root: string) {}

  /** scanTree of root, opening each folder the walk is refused (no owner r or x) and walking again. */
  async scan(memo?: WalkMemo): Promise<TreeScan> {
    for (;;) {
      try {
        return await scanTree(this.root, memo);
      } catch (error) {
        const folder = this.refusedFolder(error);
        if (folder === null) throw error;
        const mode = lstatSync(folder).mode & 0o7777;
        try {
          chmodSync(folder, mode | 0o700);
        } catch {
          // Not its owner's to open (another user's folder): the walk's own error says more.
          throw error;
        }
        this.modes.set(folder, mode);
      }
    }
  }

  /**
   * The folder whose mode refused the walk: the one it could not list, or
   * the one holding an item it could not lstat (no x); null for another
   * error, a folder outside root, or one opened already.
   */
  private refusedFolder(error: unknown): string | null {
    if (errorCode(error) !== 'EACCES') return null;
    const { path: at, syscall } = error as NodeJS.ErrnoException;
    if (typeof at !== 'string') return null;
    const folder = path.resolve(syscall === 'scandir' ? at : path.dirname(at));
    const root = path.resolve(this.root);
    if (folder !== root && !folder.startsWith(`${root}${path.sep}`)) return null;
    return this.modes.has(folder) ? null : folder;
  }

  /** Gives the opened folders their modes back, but those `keep` says the restore set (or removed); a folder gone meanwhile is passed over. */
  putBack(keep: (relative: string) => boolean = () => false): void {
    const root = path.resolve(this.root);
    // Deepest first: a folder put back to 000 would hide the ones inside it.
    for (const [folder, mode] of [...this.modes].reverse()) {
      if (keep(path.relative(root, folder))) continue;
      try {
        // Not through a link a failed restore may have put there.
        if (lstatSync(folder).isDirectory()) chmodSync(folder, mode);
      } catch (error) {
        if (errorCode(error) !== 'ENOENT' && errorCode(error) !== 'ENOTDIR') throw error;
      }
    }
  }
}
