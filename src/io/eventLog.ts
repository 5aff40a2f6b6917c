// events.jsonl and session.log writers. Lines are buffered and written in
// whole-line batches (one write call each) every few milliseconds: thousands
// of events a second cost a few syscalls, and a kill -9 loses at most the
// last unflushed batch, never half a line. seq stays contiguous across
// restarts because the writer resumes from the last complete line.

import { closeSync, fstatSync, ftruncateSync, openSync, readSync } from 'node:fs';
import type { EventInput, LogLevel, MegatestEvent } from '../contract/events.js';
import { LineAppender } from './lineAppender.js';
import type { WriteHealth } from './writeHealth.js';

/** session.log lines kept in memory while the disk refuses them; the oldest go first past it. */
const SESSION_LOG_QUEUE_BYTES = 8 * 1024 * 1024;

/**
 * Drops a torn last line (a crash mid-write) and returns the seq of the last
 * complete event, or 0 for an empty log.
 */
export function repairEventLog(file: string): { lastSeq: number; droppedBytes: number } {
  const fd = openSync(file, 'r+');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return { lastSeq: 0, droppedBytes: 0 };
    // Read backwards in blocks until two newlines (or the start) are found.
    const block = 64 * 1024;
    let start = Math.max(0, size - block);
    let text = '';
    for (;;) {
      const buffer = Buffer.alloc(size - start);
      readSync(fd, buffer, 0, buffer.length, start);
      text = buffer.toString('utf8');
      const complete = text.lastIndexOf('\n', text.length - 2);
      if (complete >= 0 || start === 0) break;
      start = Math.max(0, start - block);
    }
    let droppedBytes = 0;
    if (!text.endsWith('\n')) {
      const lastNewline = text.lastIndexOf('\n');
      const keep = lastNewline < 0 ? start : start + Buffer.byteLength(text.slice(0, lastNewline + 1));
      droppedBytes = size - keep;
      ftruncateSync(fd, keep);
      text = lastNewline < 0 ? '' : text.slice(0, lastNewline + 1);
    }
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    for (let i = lines.length - 1; i >= 0; i--) {
      try {
        const parsed = JSON.parse(lines[i]!) as { seq?: unknown };
        if (typeof parsed.seq === 'number') return { lastSeq: parsed.seq, droppedBytes };
      } catch {
        // not a complete event; look further back
      }
    }
    return { lastSeq: 0, droppedBytes };
  } finally {
    closeSync(fd);
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
      droppedLine: (count) => `${new Date().toISOString()} WARN  [orchestrator] ${count} log line(s) dropped while the disk was full\n`,
    });
  }

  onLine(sink: LogSink): void {
    this.sinks.push(sink);
  }

  write(level: LogLevel, source: string, message: string, now = new Date()): void {
    const oneLine = message.replace(/\r?\n/g, ' | ');
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
