// events.jsonl and session.log writers. Lines are buffered and written in
// whole-line batches (one write call each) every few milliseconds: thousands
// of events a second cost a few syscalls, and a kill -9 loses at most the
// last unflushed batch, never half a line. seq stays contiguous across
// restarts because the writer resumes from the last complete line.

import { closeSync, fstatSync, ftruncateSync, openSync, readSync } from 'node:fs';
import type { EventInput, LogLevel, MegatestEvent } from '../contract/events.js';
import { printableText } from '../contract/printable.js';
import { LineAppender } from './lineAppender.js';
import type { WriteHealth } from './writeHealth.js';

/** session.log lines kept in memory while the disk refuses them; the oldest go first past it. */
const SESSION_LOG_QUEUE_BYTES = 8 * 1024 * 1024;

/** Bytes read at a time while walking the log backwards. */
const REPAIR_BLOCK = 64 * 1024;
/** No event is this long: a longer line (a run of zeros a crash left) is passed over unread. */
const MAX_EVENT_LINE = 16 << 20;

/**
 * Drops a torn last line (a crash mid-write) and returns the seq of the last
 * complete event, or 0 for an empty log. Walks back from the end a block at
 * a time: memory stays at a block and one line, however long the log or
 * however long its torn tail.
 */
export function repairEventLog(file: string): { lastSeq: number; droppedBytes: number } {
  const fd = openSync(file, 'r+');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return { lastSeq: 0, droppedBytes: 0 };
    const keep = endOfLastLine(fd, size);
    if (keep < size) ftruncateSync(fd, keep);
    return { lastSeq: lastSeqBefore(fd, keep), droppedBytes: size - keep };
  } finally {
    closeSync(fd);
  }
}

/** The byte after the last newline before `size` (0 when there is none). */
function endOfLastLine(fd: number, size: number): number {
  const block = Buffer.allocUnsafe(REPAIR_BLOCK);
  for (let end = size; end > 0; ) {
    const from = Math.max(0, end - block.length);
    const got = readSync(fd, block, 0, end - from, from);
    const newline = block.subarray(0, got).lastIndexOf(0x0a);
    if (newline >= 0) return from + newline + 1;
    end = from;
  }
  return 0;
}

/** The seq of the last line before `end` that is a JSON object with a numeric seq; 0 when none is. */
function lastSeqBefore(fd: number, end: number): number {
  const block = Buffer.allocUnsafe(REPAIR_BLOCK);
  // The line being gathered, last part first; dropped (and the line passed over) past MAX_EVENT_LINE.
  let parts: Buffer[] = [];
  let gathered = 0;
  let tooLong = false;
  const finishLine = (): number | null => {
    const seq = tooLong || gathered === 0 ? null : seqOf(Buffer.concat(parts.reverse(), gathered));
    parts = [];
    gathered = 0;
    tooLong = false;
    return seq;
  };
  for (let pos = end; pos > 0; ) {
    const from = Math.max(0, pos - block.length);
    const got = readSync(fd, block, 0, pos - from, from);
    const chunk = block.subarray(0, got);
    let lineEnd = chunk.length;
    for (;;) {
      const newline = lineEnd > 0 ? chunk.lastIndexOf(0x0a, lineEnd - 1) : -1;
      const piece = chunk.subarray(newline + 1, lineEnd);
      if (!tooLong && piece.length > 0) {
        if (gathered + piece.length > MAX_EVENT_LINE) {
          tooLong = true;
          parts = [];
        } else {
          parts.push(Buffer.from(piece));
          gathered += piece.length;
        }
      }
      if (newline < 0) break;
      const seq = finishLine();
      if (seq !== null) return seq;
      lineEnd = newline;
    }
    pos = from;
  }
  return finishLine() ?? 0;
}

function seqOf(line: Buffer): number | null {
  try {
    const parsed = JSON.parse(line.toString('utf8')) as { seq?: unknown };
    return typeof parsed.seq === 'number' ? parsed.seq : null;
  } catch {
    return null; // not a complete event; look further back
  }
}

export type EventListener = (event: MegatestEvent) => void;

export class EventLog {
  private readonly appender: LineAppender;
  private seq: number;
  private readonly listeners: EventListener[] = [];

  constructor(file: string, health?: WriteHealth) {
    this.seq = repairEventLog(file).lastSeq;
    // No event is ever dropped: the session pauses while the disk is full, so few arrive.
    this.appender = new LineAppender(file, { health, name: 'events.jsonl' });
  }

  get lastSeq(): number {
    return this.seq;
  }

  onEvent(listener: EventListener): void {
    this.listeners.push(listener);
  }

  emit(input: EventInput, now = new Date()): MegatestEvent {
    this.seq += 1;
    const event = { seq: this.seq, ts: now.toISOString(), ...input } as MegatestEvent;
    this.appender.append(JSON.stringify(event) + '\n');
    for (const listener of this.listeners) listener(event);
    return event;
  }

  flush(): void {
    this.appender.flush();
  }

  close(): void {
    this.appender.close();
  }
}

export type LogSink = (level: LogLevel, source: string, message: string) => void;

const LEVEL_RANK: Record<LogLevel, number> = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3 };

/** session.log: `<ISO time> <LEVEL> [<source>] <message>`, one line each. */
export class SessionLog {
  private readonly appender: LineAppender;
  private readonly sinks: LogSink[] = [];

  /** minLevel: [monitoring] log_level; lines below it stay out of session.log (the sinks still get them). */
  constructor(
    file: string,
    health?: WriteHealth,
    private readonly minLevel: LogLevel = 'DEBUG',
  ) {
    this.appender = new LineAppender(file, {
      health,
      name: 'session.log',
      maxQueuedBytes: SESSION_LOG_QUEUE_BYTES,
      droppedLine: (count) => `${new Date().toISOString()} WARN  [orchestrator] ${count} log ${count === 1 ? 'line' : 'lines'} dropped while the disk was full\n`,
    });
  }

  onLine(sink: LogSink): void {
    this.sinks.push(sink);
  }

  write(level: LogLevel, source: string, message: string, now = new Date()): void {
    // One printable line: an agent's colours, carriage returns or a clear-screen in an error message would act on the terminal of whoever tails session.log.
    const oneLine = printableText(message.replace(/\r?\n/g, ' | '));
    if (LEVEL_RANK[level] >= LEVEL_RANK[this.minLevel]) this.appender.append(`${now.toISOString()} ${level.padEnd(5)} [${source}] ${oneLine}\n`);
    for (const sink of this.sinks) sink(level, source, oneLine);
  }

  info(source: string, message: string): void {
    this.write('INFO', source, message);
  }
  warn(source: string, message: string): void {
    this.write('WARN', source, message);
  }
  error(source: string, message: string): void {
    this.write('ERROR', source, message);
  }
  debug(source: string, message: string): void {
    this.write('DEBUG', source, message);
  }

  flush(): void {
    this.appender.flush();
  }

  close(): void {
    this.appender.close();
  }
}
