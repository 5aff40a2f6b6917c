// Which directories of a tree had something happen in them since the last
// look: one `fs.watch` per directory (inotify on Linux), each event noting the
// name it is about. A directory the OS would not watch (the watch limit, an
// error) is listed again at every look instead, so nothing is missed, only
// paid for. chokidar is not used here: it watches each file as well as each
// directory and stats every file an event names, where treeIndex.ts needs
// one watch per directory and stats what it decides to.

import { readFileSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

/** What happened in one directory: the names events gave, or 'all' when it must be listed again whole. */
export type DirtyNames = Set<string> | 'all';

/**
 * Directories one tree watches at most, beyond which they are listed at every
 * look: a quarter of the user's inotify limit (shared with every other
 * watcher the user runs; 8,192 on older kernels, more on newer ones), and no
 * more than 32,768 (about 32 MB of kernel memory).
 */
export function defaultMaxWatchedDirectories(): number {
  try {
    const limit = Number(readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8').trim());
    if (Number.isFinite(limit) && limit > 0) return Math.max(256, Math.min(32_768, Math.floor(limit / 4)));
  } catch {
    // Not Linux: kqueue and the like have no such limit to read.
  }
  return 8192;
}

export class DirWatches {
  private readonly watchers = new Map<string, FSWatcher>();
  /** Directories listed at every look: not watched (limit reached, an error, or watching off). */
  private readonly unwatched = new Set<string>();
  private dirty = new Map<string, DirtyNames>();
  private enabled: boolean;

  constructor(
    private readonly root: string,
    enabled: boolean,
    private readonly maxWatched = defaultMaxWatchedDirectories(),
  ) {
    this.enabled = enabled;
  }

  get watchedCount(): number {
    return this.watchers.size;
  }

  get unwatchedCount(): number {
    return this.unwatched.size;
  }

  /** Starts watching a directory (relative to the root, '' for the root); call before listing it, so no change falls between. */
  add(rel: string): void {
    if (this.watchers.has(rel)) return;
    if (!this.enabled || this.watchers.size >= this.maxWatched) {
      this.unwatched.add(rel);
      return;
    }
    try {
      const watcher = watch(path.join(this.root, rel), { persistent: false }, (_event, name) => this.note(rel, name));
      // An unhandled 'error' would end the process; the directory is listed at every look from then on.
      watcher.on('error', () => this.lose(rel));
      this.watchers.set(rel, watcher);
      this.unwatched.delete(rel);
    } catch {
      // ENOSPC (the user's watch limit), EMFILE, or the directory just went: listed at every look instead.
      this.unwatched.add(rel);
    }
  }

  remove(rel: string): void {
    this.watchers.get(rel)?.close();
    this.watchers.delete(rel);
    this.unwatched.delete(rel);
    this.dirty.delete(rel);
  }

  /** What happened since the last take, and every unwatched directory as 'all'; the next events go to a fresh set. */
  take(): Map<string, DirtyNames> {
    const taken = this.dirty;
    this.dirty = new Map();
    for (const rel of this.unwatched) taken.set(rel, 'all');
    return taken;
  }

  /** Stops every watch; from then on every directory added is unwatched (listed at every look). */
  close(): void {
    this.enabled = false;
    for (const [rel, watcher] of this.watchers) {
      watcher.close();
      this.unwatched.add(rel);
    }
    this.watchers.clear();
  }

  private note(rel: string, name: string | null): void {
    const names = this.dirty.get(rel);
    if (names === 'all') return;
    // No name: the OS did not say what changed (it may have dropped events); list the directory again.
    if (name === null || name === '') this.dirty.set(rel, 'all');
    else if (names) names.add(name);
    else this.dirty.set(rel, new Set([name]));
  }

  private lose(rel: string): void {
    this.watchers.get(rel)?.close();
    this.watchers.delete(rel);
    this.unwatched.add(rel);
    this.dirty.set(rel, 'all');
  }
}
