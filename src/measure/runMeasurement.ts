// The figures a metrics snapshot measures on disk: lines of code and doc
// coverage of project/, and the bytes under the run folder, kept current at
// the cost of what changed since the last refresh. One tree index over the
// run folder (treeIndex.ts) gives the disk figure and says which project
// files changed; only those are read, each once for both measures
// (fileFigures.ts), and their shares replace the old ones (projectFigures.ts).
// A refresh with nothing changed reads no file and lists no directory.
//
// The figures are the full recount's: the tests compare them with countLines,
// countDocumentedExports and a full walk after random edits.

import path from 'node:path';
import { RESERVE_FILE } from '../io/diskReserve.js';
import { readFileFigures, mayHaveFigures, type FileFigures } from './fileFigures.js';
import type { LocReport } from './loc.js';
import { ProjectFigures } from './projectFigures.js';
import { SKIPPED_DIRECTORIES } from './projectFiles.js';
import { TreeIndex, type TreeChange, type TreeIndexOptions, type TreeRefreshStats } from './treeIndex.js';

export interface RunFigures {
  loc: LocReport;
  /** Share (0..100) of public items with documentation (docCoverage.ts); null when there are none. */
  docCoverage: number | null;
  /** Bytes of the regular files under the run folder (as `du -sb`: a hard-linked file once), megatest's disk reserve left out. */
  diskUsageBytes: number;
  /** False when project/ is not a directory: loc and docCoverage then describe nothing. */
  projectPresent: boolean;
  /** Whether anything under project/ (its .git and skipped folders included) changed since the last refresh. */
  projectChanged: boolean;
  /** Project files that could not be read (left out of the figures, tried again at the next refresh). */
  unreadable: string[];
  stats: { filesRead: number; tree: TreeRefreshStats; projectTree: TreeRefreshStats | null };
}

export interface RunMeasurementOptions extends TreeIndexOptions {
  /** Reads one file's figures (tests count the reads); default readFileFigures. */
  readFigures?: (filePath: string) => Promise<FileFigures | null>;
}

const READ_CONCURRENCY = 8;

/** Whether a project file (relative, '/'-separated) is one countLines and doc coverage look at. */
function isMeasured(relative: string): boolean {
  const parts = relative.split('/');
  for (let index = 0; index < parts.length - 1; index++) if (SKIPPED_DIRECTORIES.has(parts[index] as string)) return false;
  return mayHaveFigures(parts[parts.length - 1] as string);
}

export class RunMeasurement {
  private readonly runIndex: TreeIndex;
  /** The index project/ is in: the run folder's when it is inside it, its own otherwise. */
  private readonly projectIndex: TreeIndex;
  /** project/ relative to projectIndex's root, '' when it is that root. */
  private readonly projectRel: string;
  private readonly figures = new ProjectFigures();
  private readonly readFigures: (filePath: string) => Promise<FileFigures | null>;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    runRoot: string,
    private readonly projectDir: string,
    options: RunMeasurementOptions = {},
  ) {
    // megatest's disk reserve (<run>/.reserve) is held back for the run's own last writes, not used by it.
    this.runIndex = new TreeIndex(runRoot, { ...options, uncounted: new Set([...(options.uncounted ?? []), RESERVE_FILE]) });
    const relative = path.relative(runRoot, projectDir);
    const inside = !relative.startsWith('..') && !path.isAbsolute(relative);
    this.projectIndex = inside ? this.runIndex : new TreeIndex(projectDir, { ...options, uncounted: undefined });
    this.projectRel = inside ? relative.split(path.sep).join('/') : '';
    this.readFigures = options.readFigures ?? readFileFigures;
  }

  /** Directories watched and, past the watch limit, listed at every refresh instead. */
  get watches(): { watched: number; unwatched: number } {
    const indexes = this.projectIndex === this.runIndex ? [this.runIndex] : [this.runIndex, this.projectIndex];
    return {
      watched: indexes.reduce((sum, index) => sum + index.watchedDirectories, 0),
      unwatched: indexes.reduce((sum, index) => sum + index.unwatchedDirectories, 0),
    };
  }

  /** The figures as of now. One refresh runs at a time; a second waits and then measures what the first left. */
  refresh(): Promise<RunFigures> {
    const run = this.running.then(
      () => this.refreshNow(),
      () => this.refreshNow(),
    );
    this.running = run.catch(() => undefined);
    return run;
  }

  /** The next refresh walks everything (a restore rewrote project/). */
  rescanAll(): void {
    this.runIndex.rescanAll();
    this.projectIndex.rescanAll();
  }

  /** Stops the directory watches; later refreshes walk the whole tree. */
  close(): void {
    this.runIndex.close();
    this.projectIndex.close();
  }

  private async refreshNow(): Promise<RunFigures> {
    const runChanges = await this.runIndex.refresh();
    const separate = this.projectIndex !== this.runIndex;
    const projectChanges = separate ? await this.projectIndex.refresh() : runChanges;
    const prefix = this.projectRel === '' ? '' : `${this.projectRel}/`;
    const toRead: TreeChange[] = [];
    let projectChanged = false;
    for (const change of projectChanges) {
      if (!change.path.startsWith(prefix)) continue;
      projectChanged = true;
      const relative = change.path.slice(prefix.length);
      if (!isMeasured(relative)) continue;
      if (change.stamp === null) this.figures.set(relative, null);
      else toRead.push(change);
    }
    const projectPresent = this.projectIndex.hasDirectory(this.projectRel);
    if (!projectPresent) this.figures.clear();
    const unreadable: string[] = [];
    let filesRead = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < toRead.length) {
        const change = toRead[next++] as TreeChange;
        const relative = change.path.slice(prefix.length);
        filesRead++;
        try {
          this.figures.set(relative, await this.readFigures(path.join(this.projectDir, relative)));
        } catch (error) {
          // Gone since its stat (the index will say so), or unreadable: left out, and looked at again next time.
          this.figures.set(relative, null);
          this.projectIndex.invalidate(change.path);
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') unreadable.push(relative);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, toRead.length) }, worker));
    return {
      loc: this.figures.loc(),
      docCoverage: this.figures.docCoverage(),
      diskUsageBytes: this.runIndex.totalBytes,
      projectPresent,
      projectChanged,
      unreadable,
      stats: { filesRead, tree: this.runIndex.lastRefresh, projectTree: separate ? this.projectIndex.lastRefresh : null },
    };
  }
}
