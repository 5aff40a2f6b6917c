// Every regular file under a folder with its size and stat stamp, kept
// current at the cost of what changed: after the first walk, a refresh looks
// only at the names the directory watches (dirWatches.ts) reported, at
// directories that could not be watched, and at files too recently modified
// to trust their stamp. A full walk still runs now and then (at least
// `sweepEveryMs` apart, and never more than 1/200 of the time), so a change
// the OS failed to report (an overflowed event queue) is caught within that
// interval, and after rescanAll() (a restore rewrote the tree).
//
// A refresh returns which files changed (new stamp) or went (null), so the
// caller re-reads only those. The stamp is (size, mtime, ctime, inode), as
// git's index keeps. Like git, a stamp is not trusted while the file's mtime
// is within `racyWindowMs` of the moment it was taken: a second write in the
// same timestamp tick, of the same size, would leave it unchanged. Such a file
// is reported again at the next refresh, once it has settled.
//
// The walk uses lstatSync/readdirSync in slices of a few milliseconds with a
// yield between them: the event loop (a person's command, the event log) is
// never held longer than a slice, and a synchronous lstat costs a quarter of
// a promise-based one's CPU (measured: 7 µs against 22–35 µs a file), which
// is most of a walk's cost. Symlinks are not followed and not counted.

import { lstatSync, readdirSync, type Stats } from 'node:fs';
import path from 'node:path';
import { DirWatches, type DirtyNames } from './dirWatches.js';

export interface FileStamp {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly ino: number;
}

/** One file that changed since the last refresh: its new stamp, or null when it is gone. Paths are relative, '/'-separated. */
export interface TreeChange {
  readonly path: string;
  readonly stamp: FileStamp | null;
}

export interface TreeIndexOptions {
  /** Watch directories for changes (default true); off, every refresh walks the whole tree. */
  watch?: boolean;
  maxWatchedDirectories?: number;
  /** Shortest time between full walks while watching (default 10 minutes). */
  sweepEveryMs?: number;
  /** A stamp whose mtime is this close to the moment it was taken is checked again (default 2 s: FAT's granularity). */
  racyWindowMs?: number;
  now?: () => number;
  /** Files (relative, '/'-separated) left out of totalBytes: megatest's own disk reserve is not the run's usage. They are still indexed. */
  uncounted?: ReadonlySet<string>;
}

/** What the last refresh did, for benchmarks, tests and logs. */
export interface TreeRefreshStats {
  full: boolean;
  dirsListed: number;
  pathsStatted: number;
  changes: number;
  wallMs: number;
}

interface Entry extends FileStamp {
  settled: boolean;
  /** The key of its inode in `inodes` (null: not counted in totalBytes). */
  inode: string | null;
}

/** One inode's share of totalBytes: counted once however many names (hard links) it has, as du counts it. */
interface InodeShare {
  names: number;
  size: number;
}

interface DirNode {
  ino: number;
  files: Map<string, Entry>;
  dirs: Set<string>;
}

interface Visit {
  rel: string;
  names: DirtyNames;
}

const SLICE_MS = 8;
const SWEEP_SHARE = 200;

export class TreeIndex {
  private readonly nodes = new Map<string, DirNode>();
  /** Files whose stamp was taken too close to their mtime to be trusted: looked at again at every refresh. */
  private readonly unsettled = new Set<string>();
  private readonly watches: DirWatches;
  private readonly sweepEveryMs: number;
  private readonly racyWindowMs: number;
  private readonly now: () => number;
  private bytes = 0;
  private files = 0;
  private readonly inodes = new Map<string, InodeShare>();
  private readonly uncounted: ReadonlySet<string>;
  private needsFull = true;
  private nextSweepAt = 0;
  private running: Promise<unknown> = Promise.resolve();
  private sliceStart = 0;
  private stats: TreeRefreshStats = { full: false, dirsListed: 0, pathsStatted: 0, changes: 0, wallMs: 0 };

  constructor(
    readonly root: string,
    options: TreeIndexOptions = {},
  ) {
    this.watches = new DirWatches(root, options.watch ?? true, options.maxWatchedDirectories);
    this.sweepEveryMs = options.sweepEveryMs ?? 10 * 60_000;
    this.racyWindowMs = options.racyWindowMs ?? 2_000;
    this.now = options.now ?? Date.now;
    this.uncounted = options.uncounted ?? new Set();
  }

  /**
   * Bytes of the regular files under the root (their sizes, as `du -sb`
   * counts them): a file with several names (hard links: a local `git clone`'s
   * objects, pnpm's store) once, and the `uncounted` files not at all.
   */
  get totalBytes(): number {
    return this.bytes;
  }

  get fileCount(): number {
    return this.files;
  }

  get lastRefresh(): TreeRefreshStats {
    return this.stats;
  }

  get watchedDirectories(): number {
    return this.watches.watchedCount;
  }

  get unwatchedDirectories(): number {
    return this.watches.unwatchedCount;
  }

  /** Whether a directory (relative, '' for the root) was there at the last refresh. */
  hasDirectory(rel: string): boolean {
    return this.nodes.has(rel);
  }

  /** The next refresh walks the whole tree (after a restore rewrote it, say). */
  rescanAll(): void {
    this.needsFull = true;
  }

  /** The next refresh reports this file again, whatever its stamp (its reader failed). */
  invalidate(rel: string): void {
    const slash = rel.lastIndexOf('/');
    const entry = this.nodes.get(slash === -1 ? '' : rel.slice(0, slash))?.files.get(rel.slice(slash + 1));
    if (entry) entry.settled = false;
    this.unsettled.add(rel);
  }

  /** Stops watching; later refreshes walk the whole tree. */
  close(): void {
    this.watches.close();
  }

  /** The files that changed since the last refresh (every file, the first time). One refresh runs at a time. */
  refresh(): Promise<TreeChange[]> {
    const run = this.running.then(
      () => this.refreshNow(),
      () => this.refreshNow(),
    );
    this.running = run.catch(() => undefined);
    return run;
  }

  private async refreshNow(): Promise<TreeChange[]> {
    // Events the kernel has queued are read in the loop's poll phase. Called from the poll phase itself (after
    // an I/O callback), one setImmediate would run before the next poll; the second runs after it.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
    const startedMs = performance.now();
    this.sliceStart = startedMs;
    const now = this.now();
    // The root's own removal or replacement reaches no watch of ours: one lstat a refresh looks.
    const root = this.nodes.get('');
    const rootStat = root && !this.needsFull ? this.lstat(this.root) : undefined;
    const rootMoved = root === undefined || rootStat?.isDirectory() !== true || rootStat.ino !== root.ino;
    // Directories that are not watched come back from take() as 'all': listed, at their own cost only.
    const full = this.needsFull || rootMoved || now >= this.nextSweepAt;
    const changes = new Map<string, FileStamp | null>();
    this.stats = { full, dirsListed: 0, pathsStatted: 0, changes: 0, wallMs: 0 };
    const queue: Visit[] = [];
    if (full) {
      this.needsFull = false;
      this.watches.take();
      if (this.checkRoot(changes)) queue.push({ rel: '', names: 'all' });
    } else {
      const pending = this.watches.take();
      for (const file of this.unsettled) {
        const slash = file.lastIndexOf('/');
        const dir = slash === -1 ? '' : file.slice(0, slash);
        const names = pending.get(dir);
        if (names === 'all') continue;
        if (names) names.add(file.slice(slash + 1));
        else pending.set(dir, new Set([file.slice(slash + 1)]));
      }
      for (const [rel, names] of pending) queue.push({ rel, names });
    }
    const settledBefore = now - this.racyWindowMs;
    // The queue grows as new directories are found; an index, not shift(), keeps a long walk linear.
    for (let next = 0; next < queue.length; next++) {
      await this.visit(queue[next] as Visit, full, settledBefore, queue, changes);
    }
    const wallMs = performance.now() - startedMs;
    if (full) this.nextSweepAt = this.now() + Math.max(this.sweepEveryMs, SWEEP_SHARE * wallMs);
    this.stats.changes = changes.size;
    this.stats.wallMs = wallMs;
    return [...changes].map(([file, stamp]) => ({ path: file, stamp }));
  }

  /** The root as a directory node; false when it is not a directory (everything under it is gone). */
  private checkRoot(changes: Map<string, FileStamp | null>): boolean {
    const stat = this.lstat(this.root);
    const known = this.nodes.get('');
    if (known && stat?.isDirectory() && stat.ino === known.ino) return true;
    if (known) {
      // Gone, or another folder put in its place: everything under the old one is gone.
      this.dropSubtree('', changes);
      this.nodes.delete('');
      this.watches.remove('');
    }
    if (!stat?.isDirectory()) {
      // Looked for again at the next refresh.
      this.needsFull = true;
      return false;
    }
    this.nodes.set('', { ino: stat.ino, files: new Map(), dirs: new Set() });
    this.watches.add('');
    return true;
  }

  private async visit(visit: Visit, full: boolean, settledBefore: number, queue: Visit[], changes: Map<string, FileStamp | null>): Promise<void> {
    const node = this.nodes.get(visit.rel);
    if (!node) return;
    const dir = path.join(this.root, visit.rel);
    let names: Iterable<string>;
    if (visit.names === 'all') {
      let listed: string[];
      try {
        listed = readdirSync(dir);
        this.stats.dirsListed++;
      } catch {
        // Gone or unreadable (as `du` skips it): nothing under it counts.
        if (visit.rel === '') this.needsFull = true;
        this.dropSubtree(visit.rel, changes);
        return;
      }
      names = new Set([...listed, ...node.files.keys(), ...node.dirs]);
    } else {
      names = visit.names;
    }
    for (const name of names) {
      const stat = this.lstat(path.join(dir, name));
      this.stats.pathsStatted++;
      this.reconcile(visit.rel, node, name, stat, full, settledBefore, queue, changes);
      if (performance.now() - this.sliceStart > SLICE_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        this.sliceStart = performance.now();
        // The directory may have been dropped while this slice waited (a refresh runs alone, so only by this one).
        if (this.nodes.get(visit.rel) !== node) return;
      }
    }
  }

  private reconcile(
    rel: string,
    node: DirNode,
    name: string,
    stat: Stats | undefined,
    full: boolean,
    settledBefore: number,
    queue: Visit[],
    changes: Map<string, FileStamp | null>,
  ): void {
    const childRel = rel === '' ? name : `${rel}/${name}`;
    if (stat?.isFile()) {
      if (node.dirs.has(name)) this.dropChildDir(node, name, childRel, changes);
      const old = node.files.get(name);
      const inode = this.uncounted.has(childRel) ? null : stat.ino === 0 ? `path:${childRel}` : `${stat.dev}:${stat.ino}`;
      const entry: Entry = { size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, ino: stat.ino, settled: stat.mtimeMs < settledBefore, inode };
      if (!old || !old.settled || old.size !== entry.size || old.mtimeMs !== entry.mtimeMs || old.ctimeMs !== entry.ctimeMs || old.ino !== entry.ino) {
        changes.set(childRel, { size: entry.size, mtimeMs: entry.mtimeMs, ctimeMs: entry.ctimeMs, ino: entry.ino });
      }
      // The same inode at the same size (most files at a sweep): its share stands as it is.
      if (!old || old.inode !== entry.inode || old.size !== entry.size) {
        if (old) this.release(old);
        this.hold(entry);
      }
      if (!old) this.files++;
      node.files.set(name, entry);
      if (entry.settled) this.unsettled.delete(childRel);
      else this.unsettled.add(childRel);
      return;
    }
    if (node.files.has(name)) this.removeFile(node, name, childRel, changes);
    if (!stat?.isDirectory()) {
      if (node.dirs.has(name)) this.dropChildDir(node, name, childRel, changes);
      return;
    }
    const child = this.nodes.get(childRel);
    if (child && child.ino === stat.ino) {
      if (full) queue.push({ rel: childRel, names: 'all' });
      return;
    }
    // New, or another directory renamed in under the same name: walked whole.
    if (child) this.dropChildDir(node, name, childRel, changes);
    this.nodes.set(childRel, { ino: stat.ino, files: new Map(), dirs: new Set() });
    node.dirs.add(name);
    this.watches.add(childRel);
    queue.push({ rel: childRel, names: 'all' });
  }

  private removeFile(node: DirNode, name: string, childRel: string, changes: Map<string, FileStamp | null>): void {
    const old = node.files.get(name);
    if (!old) return;
    this.release(old);
    this.files--;
    node.files.delete(name);
    this.unsettled.delete(childRel);
    changes.set(childRel, null);
  }

  private dropChildDir(parent: DirNode, name: string, childRel: string, changes: Map<string, FileStamp | null>): void {
    parent.dirs.delete(name);
    this.dropSubtree(childRel, changes);
  }

  /** Forgets a directory and everything under it, each file reported gone. */
  private dropSubtree(rel: string, changes: Map<string, FileStamp | null>): void {
    const stack = [rel];
    for (let current = stack.pop(); current !== undefined; current = stack.pop()) {
      const node = this.nodes.get(current);
      if (!node) continue;
      for (const name of [...node.files.keys()]) this.removeFile(node, name, current === '' ? name : `${current}/${name}`, changes);
      for (const name of node.dirs) stack.push(current === '' ? name : `${current}/${name}`);
      // The root node stays (emptied) until checkRoot decides; its watch with it.
      if (current === '') {
        node.dirs.clear();
        continue;
      }
      this.nodes.delete(current);
      this.watches.remove(current);
    }
  }

  /** Counts a file's inode in totalBytes (once for all its names; its latest size). */
  private hold(entry: Entry): void {
    if (entry.inode === null) return;
    const share = this.inodes.get(entry.inode);
    if (share === undefined) {
      this.inodes.set(entry.inode, { names: 1, size: entry.size });
      this.bytes += entry.size;
      return;
    }
    share.names += 1;
    this.bytes += entry.size - share.size;
    share.size = entry.size;
  }

  /** A name of an inode is gone (or about to be counted again): its bytes go with its last name. */
  private release(entry: Entry): void {
    if (entry.inode === null) return;
    const share = this.inodes.get(entry.inode);
    if (share === undefined) return;
    share.names -= 1;
    if (share.names > 0) return;
    this.bytes -= share.size;
    this.inodes.delete(entry.inode);
  }

  private lstat(file: string): Stats | undefined {
    try {
      return lstatSync(file, { throwIfNoEntry: false });
    } catch {
      // EACCES, ENOTDIR (a parent became a file): not there for us.
      return undefined;
    }
  }
}
