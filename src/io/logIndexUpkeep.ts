// Keeps events.idx beside a run while its orchestrator writes the log (issue
// 13 §4), so whoever reads the run next (a resume after a crash, status,
// report, attach, replay) starts from a folded state a few seconds old
// instead of folding the whole log. It is replay's own seek index
// (src/replay/indexKeeper.ts), carried on from what the log gained since the
// last look. Keeping it never stops a run: a failure is said once and the
// index is left for the next reader to rebuild.

import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { IndexKeeper } from '../replay/indexKeeper.js';
import type { ReplayDamage } from '../replay/types.js';
import type { RunState } from '../state/runState.js';
import { openLogFile } from './foldLog.js';
import { isLineNotAnEvent } from './logStart.js';
import { RunFileReadError } from './readError.js';

export interface UpkeepPaths {
  root: string;
  events: string;
  sessionLog: string;
}

export class LogIndexUpkeep {
  private inFlight: Promise<void> | null = null;
  private failed = false;
  private closed = false;
  /** Events the index file on disk covers (as far as this process wrote it). */
  private written: number;
  /** The keeper's last note passed on (onProblem), so one is said once. */
  private noteSaid: string | null = null;

  private constructor(
    private readonly keeper: IndexKeeper,
    private readonly handles: FileHandle[],
    private readonly onProblem: (message: string) => void,
  ) {
    this.written = keeper.index.carry.count;
    this.noteSaid = keeper.info.note;
  }

  /**
   * Opens the run's index: loaded and carried on over what the log gained,
   * or built by reading the log once when there is none that matches. A log
   * that cannot be read throws RunFileReadError (a resume must stop on it);
   * an index that cannot be kept does not.
   */
  static async open(paths: UpkeepPaths, onProblem: (message: string) => void): Promise<LogIndexUpkeep> {
    let events: FileHandle;
    try {
      events = await openLogFile(paths.events);
    } catch (error) {
      throw RunFileReadError.from(error, paths.events, 'open');
    }
    const handles = [events];
    try {
      // session.log's sample points ride along, so a later replay or attach finds the index whole.
      const log = await fs.open(paths.sessionLog, 'r').catch(() => null);
      if (log) handles.push(log);
      const keeper = await IndexKeeper.open(paths.root, events, log, { appendInPlace: true });
      if (keeper.info.note) onProblem(keeper.info.note);
      return new LogIndexUpkeep(keeper, handles, onProblem);
    } catch (error) {
      await Promise.all(handles.map((h) => h.close().catch(() => undefined)));
      throw RunFileReadError.from(error, paths.events);
    }
  }

  /** The fold of every event the index has read: the whole log as of the last open or refresh. */
  get state(): RunState {
    return this.keeper.index.tail;
  }

  /** How this open got the index (loaded, carried on, built) and what it read. */
  get info(): IndexKeeper['info'] {
    return this.keeper.info;
  }

  /** The lines of the log read so far that are not events, as the index lists them (a fold skips them). */
  get linesNotEvents(): ReplayDamage[] {
    return this.keeper.index.damage().filter(isLineNotAnEvent);
  }

  /** Bytes of the log read so far (its complete lines). */
  get bytes(): number {
    return this.keeper.index.carry.offset;
  }

  /**
   * Reads what the log gained since the last look and, when it gained
   * events, writes events.idx: a crash then leaves a resume at most one
   * refresh interval of log to read. Never throws; one at a time.
   */
  refresh(): Promise<void> {
    if (this.failed || this.closed) return Promise.resolve();
    this.inFlight ??= this.takeIn()
      .catch((error) => this.fail(error))
      .finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  private async takeIn(): Promise<void> {
    await this.keeper.refresh();
    const count = this.keeper.index.carry.count;
    if (count === this.written) return;
    await this.keeper.persist();
    // A commit that could not be written (a full disk) is said once, as the keeper words it; the next one tries again.
    const note = this.keeper.info.note;
    if (note !== null && note !== this.noteSaid) this.onProblem(note);
    this.noteSaid = note;
    if (note === null) this.written = count;
  }

  /** Reads the last of the log, writes the index and lets go of the files. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.refresh();
    this.closed = true;
    if (!this.failed) await this.keeper.close().catch((error: unknown) => this.fail(error));
    await Promise.all(this.handles.map((h) => h.close().catch(() => undefined)));
  }

  private fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.onProblem(`events.idx is no longer kept (${(error as Error).message}); the next reader of the run folds the log from the last index written`);
  }
}
