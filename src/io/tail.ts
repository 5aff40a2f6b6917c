// Follows a run folder for the console (DESIGN §1): events.jsonl and
// session.log are read incrementally from the last offset, never re-read
// whole (the console starts a big run's events.jsonl after events.idx's
// folded end and session.log at its last lines: tailStart.ts); a partial
// last line is held until its newline arrives; truncation
// and replacement (another inode, a shorter file, or changed bytes before
// the offset) restart the file from its beginning. status and
// metrics_current.json are small and replaced atomically, so they are read
// whole when they change.
//
// One fs.watch on the run folder itself (inotify on Linux; not recursive)
// says which of the four files changed, by name; a slow stat poll backs it
// up, since file-change notification is unreliable on network and container
// mounts. The folder, not each file: status and metrics_current.json are
// replaced by rename, which a watch on the file would lose with its inode,
// and a file made later (metrics_current.json) needs no new watch. Not
// chokidar: watching the folder, it listed it and stat'ed its entries again
// at every append to events.jsonl, about a third of a busy console's time.
// Changes to other files in the folder (checkpoints/, control.json) cost one
// callback that is ignored.

import { promises as fs, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { parseEventLine, type MegatestEvent } from '../contract/events.js';
import type { SessionMetrics } from '../contract/metrics.js';
import type { RunState } from '../state/runState.js';
import { IncrementalLineReader } from './lineReader.js';
import { findEventsStart, lastLinesStart } from './tailStart.js';
import { jsonProblem } from './jsonProblem.js';

export { IncrementalLineReader } from './lineReader.js';

export interface RunFolderTail {
  /** Resolves once the readers are placed (onStart has had the folded start, if any): the reads begin then. Never rejects. */
  placed: Promise<void>;
  /**
   * Resolves once events.jsonl has been read to the end it had when the
   * first read began (onEvents has had every one of those events), or the
   * tail was closed first. Never rejects.
   */
  caughtUp: Promise<void>;
  close(): Promise<void>;
}

export interface TailHandlers {
  onEvents(events: MegatestEvent[]): void;
  onLogLines(lines: string[]): void;
  onStatus(status: string): void;
  onMetrics(m: SessionMetrics): void;
  onError?(e: Error): void;
  /** The file was truncated or replaced; what follows is its content from the start. */
  onReset?(file: 'events' | 'log'): void;
  /** With `fromIndex`: the fold of the events before the first one delivered (events.idx's folded end), before any of them. */
  onStart?(state: RunState): void;
}

export interface TailOptions {
  /** Default true: deliver the whole history first. False: only what is written from now on. */
  fromStart?: boolean;
  /** Backup stat poll, ms (default 1000). */
  pollMs?: number;
  /**
   * Least time between two reads of one file, ms (default 100): an
   * orchestrator appending every few milliseconds is read in one go per gap,
   * not once per append; the console applies what was read a few times a
   * second anyway (store.ts).
   */
  minReadGapMs?: number;
  /**
   * With fromStart: start events.jsonl after events.idx's folded end when
   * the index matches the log (onStart gets that state first), not from its
   * first byte (default false).
   */
  fromIndex?: boolean;
  /** With fromStart: deliver only the last N lines of session.log's history (default: all of it). */
  logLines?: number;
}

export const DEFAULT_MIN_READ_GAP_MS = 100;


/** Follows events.jsonl, session.log, status and metrics_current.json in `runDir`. */
export function tailRunFolder(runDir: string, handlers: TailHandlers, options: TailOptions = {}): RunFolderTail {
  const root = path.resolve(runDir);
  const fromStart = options.fromStart ?? true;
  const files = {
    events: path.join(root, 'events.jsonl'),
    log: path.join(root, 'session.log'),
    status: path.join(root, 'status'),
    metrics: path.join(root, 'metrics_current.json'),
  };
  const reportError = (error: unknown) => {
    const e = error instanceof Error ? error : new Error(String(error));
    if (handlers.onError) handlers.onError(e);
  };

  const eventsReader = new IncrementalLineReader(files.events);
  const logReader = new IncrementalLineReader(files.log);
  let eventLineNumber = 0;
  let lastStatus: string | null = null;
  let lastMetricsText: string | null = null;
  let closed = false;

  let markCaughtUp!: () => void;
  const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));
  const readEvents = async () => {
    // Read only once the readers are placed: the first read that ends has caught up (or failed, and said so).
    await eventsReader.read(
      (lines) => {
        const events: MegatestEvent[] = [];
        for (const line of lines) {
          eventLineNumber += 1;
          const event = parseEventLine(line);
          if (event) events.push(event);
          else reportError(new Error(`${files.events}: line ${eventLineNumber} is not an event; skipped`));
        }
        if (events.length > 0 && !closed) handlers.onEvents(events);
      },
      () => {
        eventLineNumber = 0;
        handlers.onReset?.('events');
      },
    ).finally(markCaughtUp);
  };
  const readLog = async () => {
    await logReader.read(
      (lines) => {
        if (!closed) handlers.onLogLines(lines);
      },
      () => handlers.onReset?.('log'),
    );
  };
  const readStatus = async () => {
    const text = await readSmallFile(files.status);
    if (text === null) return;
    const word = text.trim();
    if (word === '' || word === lastStatus) return;
    lastStatus = word;
    if (!closed) handlers.onStatus(word);
  };
  const readMetrics = async () => {
    const text = await readSmallFile(files.metrics);
    if (text === null || text === lastMetricsText) return;
    lastMetricsText = text;
    let metrics: SessionMetrics;
    try {
      metrics = JSON.parse(text) as SessionMetrics;
    } catch (error) {
      reportError(new Error(`${files.metrics}: not valid JSON (${jsonProblem(error)})`));
      return;
    }
    // Another writer's file of that name (the original runner's metrics_current.json has neither) is not a snapshot.
    if (metrics === null || typeof metrics !== 'object' || typeof metrics.timestamp !== 'string' || !Array.isArray(metrics.agents)) {
      reportError(new Error(`${files.metrics}: not a megatest metrics snapshot (no timestamp or agents)`));
      return;
    }
    if (!closed) handlers.onMetrics(metrics);
  };

  // One read at a time per file; changes noticed mid-read run one more read after it.
  const gapMs = options.minReadGapMs ?? DEFAULT_MIN_READ_GAP_MS;
  const readers = {
    events: serialize(readEvents, reportError, gapMs),
    log: serialize(readLog, reportError, gapMs),
    status: serialize(readStatus, reportError, gapMs),
    metrics: serialize(readMetrics, reportError, gapMs),
  };
  const readAll = () => {
    for (const reader of Object.values(readers)) reader.request();
  };

  // Reads start once the readers are placed: at the end of each file with fromStart false; else
  // at the first byte, or after events.idx's folded end and at session.log's last lines when asked.
  let started = false;
  const placeEvents = async () => {
    if (!options.fromIndex) return;
    // A problem with the index or the log is said, and the log read from its first byte.
    const start = await findEventsStart(root).catch((error: unknown) => {
      reportError(error);
      return null;
    });
    if (!start?.state) return;
    await eventsReader.startAt(start.offset);
    eventLineNumber = start.line;
    if (!closed) handlers.onStart?.(start.state);
  };
  const placeLog = async () => {
    if (options.logLines !== undefined) await logReader.startAt(await lastLinesStart(files.log, options.logLines));
  };
  const ready = (async () => {
    if (!fromStart) await Promise.all([eventsReader.skipToEnd(), logReader.skipToEnd()]);
    else await Promise.all([placeEvents(), placeLog()]);
    started = true;
    if (!closed) readAll();
  })().catch((error: unknown) => {
    // No read follows a failed start: there is nothing to wait for.
    reportError(error);
    markCaughtUp();
  });

  const byName = new Map<string, keyof typeof readers>(Object.entries(files).map(([kind, file]) => [path.basename(file), kind as keyof typeof readers]));
  const lineReaders: Partial<Record<keyof typeof readers, IncrementalLineReader>> = { events: eventsReader, log: logReader };
  const checkPaths = () => Object.values(lineReaders).forEach((reader) => reader.checkPath());
  const watcher = watchFolder(root, (event, name) => {
    // Before the start, the first read covers the change.
    if (closed || !started) return;
    // No name (some platforms give none): any of the four may have changed.
    if (name === null) {
      checkPaths();
      readAll();
    } else {
      const kind = byName.get(name);
      if (!kind) return;
      // A name made, removed or renamed over: the file held open may not be the one named now.
      if (event === 'rename') lineReaders[kind]?.checkPath();
      readers[kind].request();
    }
  });

  const poll = setInterval(() => {
    if (closed || !started) return;
    checkPaths();
    readAll();
  }, options.pollMs ?? 1000);
  poll.unref();

  return {
    placed: ready,
    caughtUp,
    async close() {
      if (closed) return;
      closed = true;
      markCaughtUp();
      clearInterval(poll);
      watcher?.close();
      await ready;
      await Promise.all(Object.values(readers).map((reader) => reader.idle()));
      await Promise.all([eventsReader.close(), logReader.close()]);
    },
  };
}

/**
 * fs.watch on the folder, calling back with the kind of change ('rename':
 * the name was made, removed or renamed over; 'change': the file's content)
 * and the name of the entry. Null when the folder cannot be watched (gone, or the OS's watch
 * limit reached) or once the watch fails: the poll alone follows it then.
 */
function watchFolder(dir: string, onName: (event: string, name: string | null) => void): FSWatcher | null {
  let watcher: FSWatcher;
  try {
    watcher = watch(dir, (event, name) => onName(event, name === null ? null : String(name)));
  } catch {
    return null;
  }
  watcher.on('error', () => watcher.close());
  return watcher;
}

async function readSmallFile(file: string): Promise<string | null> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Runs `task` one at a time, at most once per `gapMs`; requests made
 * meanwhile share one more run. A request returns nothing: under a steady
 * stream the runs follow one another for as long as it lasts, and a promise
 * handed to every change would hold one reaction per change until it ends.
 */
function serialize(task: () => Promise<void>, onError: (e: unknown) => void, gapMs: number): { request(): void; idle(): Promise<void> } {
  let running: Promise<void> | null = null;
  let again = false;
  let lastStart = -Infinity;
  const run = async () => {
    do {
      again = false;
      const wait = lastStart + gapMs - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      lastStart = Date.now();
      try {
        await task();
      } catch (error) {
        onError(error);
      }
    } while (again);
    running = null;
  };
  return {
    request() {
      if (running) again = true;
      else running = run();
    },
    idle() {
      return running ?? Promise.resolve();
    },
  };
}
