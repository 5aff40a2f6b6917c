// outputLogClosed: a stop waits for output.log's stream to close (its last
// lines written), within a bound. recordOutput: what the agent prints goes
// to its log and on to the parsers, and a log that falls behind pauses the
// agent's pipes until it drains.

import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OUTPUT_LOG_CLOSE_MS, outputLogClosed, recordOutput } from '../../src/agents/outputLog.js';

let dir: string | undefined;
afterEach(() => {
  vi.useRealTimers();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('outputLogClosed', () => {
  it('resolves once an ended stream has written everything and closed', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'megatest-outputlog-'));
    const file = path.join(dir, 'output.log');
    const log = createWriteStream(file, { flags: 'a' });
    const text = 'received {"cmd":"stop"}\n'.repeat(5000);
    log.write(text);
    log.end();
    await outputLogClosed(log);
    expect(log.closed).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(text);
    // Closed already, or no stream at all: nothing to wait for.
    await outputLogClosed(log);
    await outputLogClosed(undefined);
  });

  it('gives up after its bound when the stream never closes', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'megatest-outputlog-'));
    const log = createWriteStream(path.join(dir, 'output.log'));
    vi.useFakeTimers();
    let done = false;
    const waiting = outputLogClosed(log).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(OUTPUT_LOG_CLOSE_MS - 1);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await waiting;
    expect(done).toBe(true);
    vi.useRealTimers();
    log.end();
    await outputLogClosed(log);
  });
});

describe('recordOutput', () => {
  it('copies both pipes into the log and hands each chunk on', () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const written: string[] = [];
    const log = new Writable({ write: (chunk: Buffer, _encoding, done) => (written.push(chunk.toString()), done()) });
    const out: string[] = [];
    const err: string[] = [];
    recordOutput(stdout, stderr, () => log as never, (c) => out.push(c.toString()), (c) => err.push(c.toString()));
    stdout.write('{"type":"state"}\n');
    stderr.write('warning\n');
    expect(out).toEqual(['{"type":"state"}\n']);
    expect(err).toEqual(['warning\n']);
    expect(written).toEqual(['{"type":"state"}\n', 'warning\n']);
  });

  it('hands chunks on with no log (none yet, or closed)', () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out: string[] = [];
    recordOutput(stdout, stderr, () => undefined, (c) => out.push(c.toString()), () => undefined);
    stdout.write('a\n');
    expect(out).toEqual(['a\n']);
  });

  it('pauses both pipes while the log is behind, and resumes them once it drains', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    // A log that holds every write until it is let go: the disk is slow.
    const held: (() => void)[] = [];
    const log = new Writable({ highWaterMark: 4, write: (_chunk, _encoding, done) => void held.push(done) });
    recordOutput(stdout, stderr, () => log as never, () => undefined, () => undefined);
    stdout.write('more than four bytes\n');
    expect(stdout.isPaused()).toBe(true);
    expect(stderr.isPaused()).toBe(true);
    let drained = false;
    log.once('drain', () => (drained = true));
    // (a write let go after write() returned ends in 'drain' there and then)
    while (held.length > 0) held.shift()!();
    expect(drained).toBe(true);
    expect(stdout.isPaused()).toBe(false);
    expect(stderr.isPaused()).toBe(false);
  });

  it('resumes the pipes when the log is closed or fails while they wait for it to drain', async () => {
    for (const end of ['destroy', 'error'] as const) {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const log = new Writable({ highWaterMark: 4, write: () => undefined });
      log.on('error', () => undefined);
      recordOutput(stdout, stderr, () => log as never, () => undefined, () => undefined);
      stdout.write('more than four bytes\n');
      expect(stdout.isPaused()).toBe(true);
      if (end === 'destroy') log.destroy();
      else log.emit('error', new Error('EIO'));
      // ('close' after destroy comes on the next tick)
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(stdout.isPaused(), end).toBe(false);
      expect(stderr.isPaused(), end).toBe(false);
    }
  });
});

