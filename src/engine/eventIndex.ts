// events.idx kept beside events.jsonl for the whole session (docs/replay.md):
// a resume folds the log from it, reading only what follows the index's
// last row; `attach`, `status` and the report start from it too. Kept
// current every INDEX_REFRESH_MS, and read to the end before the report
// folds the log. A session goes on without it when it cannot be kept.

import { foldFromIndex } from '../io/foldLog.js';
import { LogIndexUpkeep } from '../io/logIndexUpkeep.js';
import { RunFileReadError } from '../io/readError.js';
import type { EngineContext } from './context.js';

/** How often events.idx takes in what the log gained (and is written): a crash leaves a resume at most this much log to read. */
export const INDEX_REFRESH_MS = 15_000;

export class EventIndexKeeper {
  private upkeep: LogIndexUpkeep | null = null;
  /** Until it settles, the index is still being opened (loaded and carried on, or built). */
  private opened: Promise<void> = Promise.resolve();

  /** What a resume's fold skipped (lines of the log that are not events), said once the resume is announced. */
  private skippedNote: string | null = null;

  constructor(private readonly ctx: EngineContext) {}

  /**
   * The fold of events.jsonl (the EventLog already repaired a torn tail)
   * into ctx.state: from events.idx's folded state, reading only the log
   * after it (the index is then carried on in the background, off the
   * resume's path), or, with no index that matches the log, the whole log
   * read once while the index is built. A log the disk will not give back
   * stops the resume (RunFileReadError): folding less than the log holds
   * would start the session over, or carry it on from the wrong place.
   */
  async foldExisting(): Promise<{ bytes: number; how: string; eventsRead: number }> {
    const { ctx } = this;
    try {
      const folded = await foldFromIndex(ctx.paths.root);
      if (folded !== null) {
        ctx.state = folded.state;
        this.noteSkipped(folded.unreadable, []);
        this.keepInBackground();
        return { bytes: folded.bytes, how: 'from events.idx', eventsRead: folded.eventsRead };
      }
      this.upkeep = await LogIndexUpkeep.open(ctx.paths, (message) => ctx.log.warn('orchestrator', message));
    } catch (error) {
      throw RunFileReadError.say(error, ctx.paths.events, 'megatest resume', 'the session was not resumed');
    }
    ctx.state = this.upkeep.state;
    const skipped = this.upkeep.linesNotEvents;
    this.noteSkipped(skipped.length, skipped.flatMap((damage) => (damage.line === undefined ? [] : [damage.line])));
    return { bytes: this.upkeep.bytes, how: 'the whole log read (events.idx built)', eventsRead: this.upkeep.info.eventsRead };
  }

  /**
   * A line of events.jsonl that is not an event (bytes a disk or an editor
   * damaged; a torn last line is dropped before) is skipped by the fold:
   * the event it held is lost, and the report counts it. Said in
   * session.log, and as an alert after the resume's own event.
   */
  private noteSkipped(count: number, lines: number[]): void {
    if (count === 0) return;
    const shown = lines.slice(0, 5).join(', ');
    const where = shown === '' ? '' : ` (line${lines.length > 1 ? 's' : ''} ${shown}${lines.length > 5 ? ', …' : ''})`;
    this.skippedNote = `events.jsonl: ${count} line${count > 1 ? 's are' : ' is'} not an event${where}, skipped by the resume; the report lists ${count > 1 ? 'them' : 'it'} as damage, and an event ${count > 1 ? 'they' : 'it'} held as lost (a gap in seq)`;
    this.ctx.log.warn('orchestrator', this.skippedNote);
  }

  /** The alert of what the resume's fold skipped, once, after the resume's own event. */
  alertSkippedLines(): void {
    if (this.skippedNote === null) return;
    this.ctx.emit({ type: 'alert', level: 'warning', message: this.skippedNote });
    this.skippedNote = null;
  }

  /** events.idx opened (loaded and carried on, or built) off the caller's path; a run goes on without it. */
  keepInBackground(): void {
    this.opened = (async () => {
      try {
        this.upkeep = await LogIndexUpkeep.open(this.ctx.paths, (message) => this.ctx.log.warn('orchestrator', message));
      } catch (error) {
        this.ctx.log.warn('orchestrator', `events.idx not kept: ${(error as Error).message}`);
      }
    })();
  }

  /** Carries the index on to the log's end (the timer's call: nothing waits for it). */
  refresh(): void {
    void this.upkeep?.refresh();
  }

  /** The index opened and read to the log's end, so the report's fold reads almost nothing. */
  async catchUp(): Promise<void> {
    await this.opened;
    await this.upkeep?.refresh();
  }

  async close(): Promise<void> {
    await this.upkeep?.close();
  }
}
