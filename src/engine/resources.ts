// Machine resources the metrics report: resident memory of the orchestrator
// and its agents (from /proc), and bytes on disk under the run folder.

import { promises as fs, readFileSync, statfsSync } from 'node:fs';
import path from 'node:path';

const PAGE_SIZE = 4096;

/** Resident set size in bytes of a process, from /proc; 0 when it is gone. */
export function processRssBytes(pid: number): number {
  try {
    const statm = readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
    return Number(statm[1]) * PAGE_SIZE;
  } catch {
    return 0;
  }
}

export function memoryUsageMb(agentPids: (number | undefined)[]): number {
  let bytes = process.memoryUsage().rss;
  for (const pid of agentPids) if (pid !== undefined) bytes += processRssBytes(pid);
  return Math.round((bytes / (1024 * 1024)) * 10) / 10;
}

/** Allocated bytes under a folder (like `du -sb`), symlinks not followed. */
export async function diskUsageBytes(root: string): Promise<number> {
  let total = 0;
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) stack.push(full);
      else if (entry.isFile()) {
        try {
          total += (await fs.lstat(full)).size;
        } catch {
          // removed while walking
        }
      }
    }
  }
  return total;
}

/** Free bytes on the file system that holds `dir`. */
export function freeDiskBytes(dir: string): number | null {
  try {
    const stats = statfsSync(dir);
    return Number(stats.bavail) * Number(stats.bsize);
  } catch {
    return null;
  }
}
