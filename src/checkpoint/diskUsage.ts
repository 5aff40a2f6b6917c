// How much room a folder takes, for the store's storage gauge and disk limits.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { errorCode } from './durableFiles.js';
import { forEachLimit } from './tree.js';

/** Sizes of the files under dir: their byte sizes and the blocks they occupy (as du counts: a file with several hard links once). */
export async function diskUsage(dir: string): Promise<{ bytes: number; allocatedBytes: number; files: number }> {
  let bytes = 0;
  let allocatedBytes = 0;
  let files = 0;
  /** Inodes with more than one name already counted. */
  const linked = new Set<string>();
  let level = [dir];
  while (level.length > 0) {
    const next: string[] = [];
    await forEachLimit(level, 16, async (current) => {
      let names;
      try {
        names = await fs.readdir(current, { withFileTypes: true });
      } catch (error) {
        if (errorCode(error) === 'ENOENT') return;
        throw error;
      }
      await forEachLimit(names, 64, async (dirent) => {
        const absolute = path.join(current, dirent.name);
        if (dirent.isDirectory()) {
          next.push(absolute);
          return;
        }
        const stats = await fs.lstat(absolute).catch(() => null);
        if (stats === null) return;
        files += 1;
        if (stats.nlink > 1 && stats.ino !== 0) {
          const inode = `${stats.dev}:${stats.ino}`;
          if (linked.has(inode)) return;
          linked.add(inode);
        }
        bytes += stats.size;
        allocatedBytes += stats.blocks * 512;
      });
    });
    level = next;
  }
  return { bytes, allocatedBytes, files };
}
