// Follows a run folder for the console (DESIGN §1): events.jsonl and
// session.log are read incrementally from the last offset, never re-read
// whole; a partial last line is held until its newline arrives; truncation
// and replacement (another inode, a shorter file, or changed bytes before
// the offset) restart the file from its beginning. status and
// metrics_current.json are small and replaced atomically, so they are read
// whole when they change.
//
// chokidar says when something changed; a slow stat poll backs it up, since
// file-change notification is unreliable on network and container mounts.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { parseEventLine, type MegatestEvent } from '../contract/events.js';
import type { SessionMetrics } from '../contract/metrics.js';

export interface RunFolderTail {
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
}

export interface TailOptions {
  /** Default true: deliver the whole history first. False: only what is written from now on. */
  fromStart?: boolean;
  /** Backup stat poll, ms (default 1000). */
  pollMs?: number;
}

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

  /** Skips what the file holds now: later reads return only new lines. */
  async skipToEnd(): Promise<void> {
    try {
      const handle = await fs.open(this.file, 'r');
      try {
        const stat = await handle.stat();
        this.inode = stat.ino;
        this.offset = stat.size;
        this.partial = Buffer.alloc(0);
        this.fingerprint = await readAt(handle, Math.max(0, stat.size - FINGERPRINT_BYTES), Math.min(stat.size, FINGERPRINT_BYTES));
        // A partial last line would be cut in half: start after the last newline instead.
        const lastNewline = this.fingerprint.lastIndexOf(NEWLINE);
        if (stat.size > 0 && lastNewline !== this.fingerprint.length - 1) {
          // Hold the unterminated tail as partial so the line arrives whole once finished.
          const tailStart = await findLastLineStart(handle, stat.size);
          this.partial = await readAt(handle, tailStart, stat.size - tailStart);
        }
      } finally {
        await handle.close();
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
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

  // One read at a time per file; a change noticed mid-read runs one more read after it.
  const readers = { events: serialize(readEvents, reportError), log: serialize(readLog, reportError), status: serialize(readStatus, reportError), metrics: serialize(readMetrics, reportError) };
  const readAll = () => Promise.all(Object.values(readers).map((r) => r.request()));

  const ready = (async () => {
    if (!fromStart) await Promise.all([eventsReader.skipToEnd(), logReader.skipToEnd()]);
    await readAll();
  })().catch(reportError);

  const byPath = new Map<string, keyof typeof readers>(Object.entries(files).map(([kind, file]) => [file, kind as keyof typeof readers]));
  const watcher: FSWatcher = watch(root, {
    depth: 0,
    ignoreInitial: true,
    ignored: (candidate: string) => candidate !== root && !byPath.has(path.resolve(candidate)),
  });
  const onChange = (changed: string) => {
    const kind = byPath.get(path.resolve(changed));
    if (kind && !closed) void ready.then(() => readers[kind].request());
  };
  watcher.on('add', onChange).on('change', onChange).on('unlink', onChange).on('error', reportError);

  const poll = setInterval(() => {
    if (!closed) void ready.then(readAll);
  }, options.pollMs ?? 1000);
  poll.unref();

  return {
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(poll);
      await watcher.close();
      await ready;
      await Promise.all(Object.values(readers).map((r) => r.idle()));
    },
  };
}

async function readSmallFile(file: string): Promise<string | null> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function serialize(task: () => Promise<void>, onError: (e: unknown) => void): { request(): Promise<void>; idle(): Promise<void> } {
  let running: Promise<void> | null = null;
  let again = false;
  const run = async () => {
    do {
      again = false;
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
      if (running) {
        again = true;
        return running;
      }
      running = run();
      return running;
    },
    idle() {
      return running ?? Promise.resolve();
    },
  };
}
