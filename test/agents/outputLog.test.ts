// outputLogClosed: a stop waits for output.log's stream to close (its last
// lines written), within a bound.

import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OUTPUT_LOG_CLOSE_MS, outputLogClosed } from '../../src/agents/outputLog.js';

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
