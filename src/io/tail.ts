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
import { findEventsStart, lastLinesStart } from './tailStart.js';

export interface RunFolderTail {
  /** Resolves once the readers are placed (onStart has had the folded start, if any): the reads begin then. Never rejects. */
  placed: Promise<void>;
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

const CHUNK_BYTES = 1024 * 1024;
/** Bytes before the offset remembered to notice a file rewritten in place. */
const FINGERPRINT_BYTES = 64;
const NEWLINE = 0x0a;

/** Reads the complete lines appended to one file since the last call. */
export class IncrementalLineReader {
  private offset = 0;
  private inode: number | null = null;
  private partial: Buffer = Buffer.alloc(0);
  private fingerprint: Buffer = Buffer.alloc(0);

  constructor(readonly file: string) {}

  /** Skips what the file holds now: later reads return only new lines (an unfinished last line arrives whole once finished). */
  async skipToEnd(): Promise<void> {
    await this.place((handle, size) => findLastLineStart(handle, size));
  }

  /** Starts reading at byte `offset`, the start of a line (lines before it are never delivered). */
  async startAt(offset: number): Promise<void> {
    await this.place(async (_handle, size) => Math.min(offset, size));
  }

  /** Places the reader at the line start `where` picks; the bytes before it are remembered to notice a rewrite. */
  private async place(where: (handle: fs.FileHandle, size: number) => Promise<number>): Promise<void> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    try {
      const stat = await handle.stat();
      const offset = await where(handle, stat.size);
      this.inode = stat.ino;
      this.offset = offset;
      this.partial = Buffer.alloc(0);
      this.fingerprint = await readAt(handle, Math.max(0, offset - FINGERPRINT_BYTES), Math.min(offset, FINGERPRINT_BYTES));
    } finally {
      await handle.close();
    }
  }

  /**
   * Delivers new complete lines in chunks (a big file never sits in memory
   * whole). `onReset` runs before any line when the file started over.
   */
  async read(onLines: (lines: string[]) => void, onReset: () => void): Promise<void> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // not yet made, or mid-replacement
      throw error;
    }
    try {
      const stat = await handle.stat();
      if (await this.startedOver(handle, stat.ino, stat.size)) {
        this.offset = 0;
        this.partial = Buffer.alloc(0);
        this.fingerprint = Buffer.alloc(0);
        onReset();
      }
      this.inode = stat.ino;
      while (this.offset < stat.size) {
        const length = Math.min(CHUNK_BYTES, stat.size - this.offset);
        const chunk = await readAt(handle, this.offset, length);
        if (chunk.length === 0) break;
        this.offset += chunk.length;
        this.fingerprint = lastBytes(Buffer.concat([this.fingerprint, chunk]), FINGERPRINT_BYTES);
        const data = this.partial.length > 0 ? Buffer.concat([this.partial, chunk]) : chunk;
        const end = data.lastIndexOf(NEWLINE);
        if (end < 0) {
          this.partial = data;
          continue;
        }
        // Split on bytes so a multi-byte character cut by the chunk edge stays whole.
        this.partial = Buffer.from(data.subarray(end + 1));
        const lines = data.subarray(0, end).toString('utf8').split('\n');
        const complete = lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line)).filter((line) => line !== '');
        if (complete.length > 0) onLines(complete);
      }
    } finally {
      await handle.close();
    }
  }

  private async startedOver(handle: fs.FileHandle, inode: number, size: number): Promise<boolean> {
    if (this.inode === null) return false;
    if (inode !== this.inode || size < this.offset) return true;
    if (this.fingerprint.length === 0) return false;
    const now = await readAt(handle, this.offset - this.fingerprint.length, this.fingerprint.length);
    return !now.equals(this.fingerprint);
  }
}

async function readAt(handle: fs.FileHandle, position: number, length: number): Promise<Buffer> {
  if (length <= 0) return Buffer.alloc(0);
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

function lastBytes(buffer: Buffer, count: number): Buffer {
  return buffer.length <= count ? buffer : Buffer.from(buffer.subarray(buffer.length - count));
}

async function findLastLineStart(handle: fs.FileHandle, size: number): Promise<number> {
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - 64 * 1024);
    const block = await readAt(handle, start, end - start);
    const index = block.lastIndexOf(NEWLINE);
    if (index >= 0) return start + index + 1;
    end = start;
  }
  return 0;
}

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

  const readEvents = async () => {
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
    );
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
      reportError(new Error(`${files.metrics}: not valid JSON (${(error as Error).message})`));
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
  })().catch(reportError);

  const byName = new Map<string, keyof typeof readers>(Object.entries(files).map(([kind, file]) => [path.basename(file), kind as keyof typeof readers]));
  const watcher = watchFolder(root, (name) => {
    // Before the start, the first read covers the change.
    if (closed || !started) return;
    // No name (some platforms give none): any of the four may have changed.
    if (name === null) readAll();
    else {
      const kind = byName.get(name);
      if (kind) readers[kind].request();
    }
  });

  const poll = setInterval(() => {
    if (!closed && started) readAll();
  }, options.pollMs ?? 1000);
  poll.unref();

  return {
    placed: ready,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(poll);
      watcher?.close();
      await ready;
      await Promise.all(Object.values(readers).map((reader) => reader.idle()));
    },
  };
}

/**
 * fs.watch on the folder, calling back with the name of the entry that
 * changed. Null when the folder cannot be watched (gone, or the OS's watch
 * limit reached) or once the watch fails: the poll alone follows it then.
 */
function watchFolder(dir: string, onName: (name: string | null) => void): FSWatcher | null {
  let watcher: FSWatcher;
  try {
    watcher = watch(dir, (_event, name) => onName(name === null ? null : String(name)));
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
