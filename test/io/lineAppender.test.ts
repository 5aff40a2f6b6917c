// A full disk never tears a line and never loses one: the appender cuts a
// partly written batch back to its last whole line, keeps the lines in
// memory, reports itself stalled, and writes them, in order, once the disk
// takes them again. The disk is played by an injected write call.

import { mkdtempSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LineAppender, appendWholeLine } from '../../src/io/lineAppender.js';
import { WriteHealth, isDiskWriteError } from '../../src/io/writeHealth.js';
import { EventLog } from '../../src/io/eventLog.js';

function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('no space left on device, write'), { code: 'ENOSPC' });
}

/** A disk that takes `room` more bytes (writing what fits, then refusing), until given more. */
function fakeDisk() {
  const disk = { room: Number.POSITIVE_INFINITY, refusals: 0 };
  const write = (fd: number, buffer: Buffer, offset: number): number => {
    if (disk.room <= 0) {
      disk.refusals += 1;
      throw enospc();
    }
    const length = Math.min(buffer.length - offset, disk.room);
    const written = writeSync(fd, buffer, offset, length);
    disk.room -= written;
    return written;
  };
  return { disk, write };
}

describe('LineAppender on a full disk', () => {
  let dir = '';
  afterEach(() => {
    vi.useRealTimers();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('cuts a partial batch back to the last whole line, keeps the lines, and writes them in order once there is room', () => {
    vi.useFakeTimers();
    dir = mkdtempSync(path.join(tmpdir(), 'megatest-append-'));
    const file = path.join(dir, 'events.jsonl');
    writeFileSync(file, 'line 0\n');
    const { disk, write } = fakeDisk();
    const health = new WriteHealth();
    const changes: boolean[] = [];
    health.onChange((stalled) => changes.push(stalled));
    const appender = new LineAppender(file, { health, name: 'events.jsonl', write });

    appender.append('line 1\n');
    expect(appender.flush()).toBe(true);
    // Room for half of the next batch: the write stops midway.
    disk.room = 10;
    appender.append('line 2 is longer\n');
    appender.append('line 3\n');
    expect(appender.flush()).toBe(false);
    expect(appender.stalled).toBe(true);
    expect(health.stalled).toBe(true);
    expect(health.describe()).toContain('ENOSPC');
    // Only whole lines are on disk.
    expect(readFileSync(file, 'utf8')).toBe('line 0\nline 1\n');

    // More lines arrive while the disk is full; retries keep failing.
    appender.append('line 4\n');
    vi.advanceTimersByTime(2_000);
    expect(disk.refusals).toBeGreaterThan(1);
    expect(readFileSync(file, 'utf8')).toBe('line 0\nline 1\n');

    // Room again: the next retry writes everything, in order.
    disk.room = Number.POSITIVE_INFINITY;
    vi.advanceTimersByTime(10_000);
    expect(readFileSync(file, 'utf8')).toBe('line 0\nline 1\nline 2 is longer\nline 3\nline 4\n');
    expect(appender.stalled).toBe(false);
    expect(health.stalled).toBe(false);
    expect(changes).toEqual([true, false]);
    appender.close();
  });

  it('keeps a bounded queue for session.log, and says how many lines it dropped where they were', () => {
    vi.useFakeTimers();
    dir = mkdtempSync(path.join(tmpdir(), 'megatest-append-'));
    const file = path.join(dir, 'session.log');
    const { disk, write } = fakeDisk();
    const appender = new LineAppender(file, { write, maxQueuedBytes: 100, droppedLine: (n) => `[${n} dropped]\n` });
    disk.room = 0;
    for (let i = 0; i < 50; i++) appender.append(`log line ${String(i).padStart(2, '0')}\n`);
    appender.flush();
    disk.room = Number.POSITIVE_INFINITY;
    vi.advanceTimersByTime(10_000);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const dropped = Number(/^\[(\d+) dropped\]$/.exec(lines[0]!)![1]);
    expect(dropped).toBeGreaterThan(0);
    // The newest lines are kept, whole and in order, after the marker.
    expect(lines.slice(1)).toEqual(Array.from({ length: 50 - dropped }, (_, k) => `log line ${String(dropped + k).padStart(2, '0')}`));
    appender.close();
  });

  it('an event log on a full disk keeps seq contiguous and never tears a line', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'megatest-append-'));
    const file = path.join(dir, 'events.jsonl');
    writeFileSync(file, '');
    const health = new WriteHealth();
    const log = new EventLog(file, health);
    log.emit({ type: 'alert', level: 'info', message: 'one' });
    log.flush();
    // The real disk cannot be filled here; a torn tail from a kill is what repairEventLog drops on reopen.
    writeFileSync(file, readFileSync(file, 'utf8') + '{"seq":2,"ts":"2026');
    log.close();
    const reopened = new EventLog(file, health);
    expect(reopened.lastSeq).toBe(1);
    reopened.emit({ type: 'alert', level: 'info', message: 'two' });
    reopened.close();
    const seqs = readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(seqs).toEqual([1, 2]);
  });

  it('appendWholeLine leaves the file as it was when the write fails', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'megatest-append-'));
    const file = path.join(dir, 'history.jsonl');
    writeFileSync(file, 'a\n');
    appendWholeLine(file, 'b\n');
    expect(readFileSync(file, 'utf8')).toBe('a\nb\n');
    expect(isDiskWriteError(enospc())).toBe(true);
    expect(isDiskWriteError(new Error('other'))).toBe(false);
  });

  it('appendWholeLine cuts off a torn last line before it appends', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'megatest-append-'));
    const file = path.join(dir, 'history.jsonl');
    writeFileSync(file, '{"a":1}\n{"b":');
    appendWholeLine(file, '{"c":3}\n');
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}\n{"c":3}\n');
    writeFileSync(file, '{"torn');
    appendWholeLine(file, '{"d":4}\n');
    expect(readFileSync(file, 'utf8')).toBe('{"d":4}\n');
  });
});
