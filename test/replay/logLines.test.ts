// session.log as of a moment: logLinesAt(ms, n) gives the last n lines
// written at or before ms, with a seek and a short read. Checked against a
// naive reading of the same lines (a line's time is its own, or the one
// before it when it has none; the running maximum decides), on a log long
// enough to be sampled many times, and as the log grows.

import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { open } from 'node:fs/promises';
import { scanLines } from '../../src/replay/lineScan.js';
import { openReplaySource } from '../../src/replay/source.js';
import { fixtureLines, linesText, removeTempDirs, runDirWith, tempRunDir } from './runDirs.js';

afterAll(removeTempDirs);

const T0 = Date.parse('2026-05-01T08:00:00.000Z');
const events = linesText(fixtureLines('sim_session.jsonl'));

/** A session.log of `count` lines: every 9th has no time (raw output), times step 0–40 ms, one step back. */
function logLines(count: number, from = 0): { lines: string[]; times: number[] } {
  const lines: string[] = [];
  const times: number[] = [];
  let ms = T0 + from * 20;
  for (let i = from; i < from + count; i++) {
    ms += (i * 7919) % 41;
    if (i === 2500) ms -= 5000;
    if (i % 9 === 4) {
      lines.push(`    at frame ${i} (raw output without a time, ünïcode ✓)`);
      times.push(NaN);
    } else {
      lines.push(`${new Date(ms).toISOString()} ${i % 5 === 0 ? 'WARN ' : 'INFO '} [agent-${i % 4}] line ${i} ${'x'.repeat(i % 60)}`);
      times.push(ms);
    }
  }
  return { lines, times };
}

/** The naive answer: lines whose running-maximum time is <= ms; the last n. Untimed lines at the start count at every time. */
function naiveLinesAt(lines: readonly string[], times: readonly number[], ms: number, n: number): string[] {
  let max = -Infinity;
  let cut = lines.length;
  for (let i = 0; i < lines.length; i++) {
    if (!Number.isNaN(times[i]!)) max = Math.max(max, times[i]!);
    if (max > ms) {
      cut = i;
      break;
    }
  }
  return lines.slice(Math.max(0, cut - n), cut);
}

describe('logLinesAt', () => {
  const { lines, times } = logLines(60_000);
  const dir = runDirWith(events, linesText(['untimed banner line', ...lines]));
  const all = ['untimed banner line', ...lines];
  const allTimes = [NaN, ...times];

  it('gives the last n lines at or before any time, from the first open and from the kept index', async () => {
    for (const round of ['built', 'loaded']) {
      const source = await openReplaySource(dir);
      expect(source.index?.opened).toBe(round);
      const timed = times.filter((t) => !Number.isNaN(t));
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: T0 - 1000, max: Math.max(...timed) + 1000 }), fc.integer({ min: 0, max: 300 }), async (ms, n) => {
          expect(await source.logLinesAt(ms, n)).toEqual(naiveLinesAt(all, allTimes, ms, n));
        }),
        { numRuns: 150 },
      );
      // At each line's own time, and just before it.
      for (const i of [0, 1, 2, 3, 4, 5, 2499, 2500, 2501, 30_000, 59_999]) {
        if (Number.isNaN(times[i]!)) continue;
        expect(await source.logLinesAt(times[i]!, 40)).toEqual(naiveLinesAt(all, allTimes, times[i]!, 40));
        expect(await source.logLinesAt(times[i]! - 1, 40)).toEqual(naiveLinesAt(all, allTimes, times[i]! - 1, 40));
      }
      await source.close();
    }
  });

  it('follows a log that grows, up to its last whole line', async () => {
    const growing = runDirWith(events, linesText(lines.slice(0, 1000)));
    const source = await openReplaySource(growing);
    const end = Math.max(...times.filter((t) => !Number.isNaN(t)));
    expect(await source.logLinesAt(end, 3)).toEqual(lines.slice(997, 1000));
    appendFileSync(path.join(growing, 'session.log'), linesText(lines.slice(1000, 1500)) + 'a half-written li');
    await source.refresh();
    expect(await source.logLinesAt(end, 3)).toEqual(lines.slice(1497, 1500));
    appendFileSync(path.join(growing, 'session.log'), 'ne\n');
    await source.refresh();
    expect(await source.logLinesAt(end, 2)).toEqual([lines[1499], 'a half-written line']);
    await source.close();
  });

  it('a run without session.log has no lines, and n <= 0 gives none', async () => {
    const source = await openReplaySource(runDirWith(events));
    expect(await source.logLinesAt(Date.now(), 10)).toEqual([]);
    await source.close();
    const withLog = await openReplaySource(dir);
    expect(await withLog.logLinesAt(Date.now(), 0)).toEqual([]);
    await withLog.close();
  });
});

describe('scanLines', () => {
  it('hands over the same lines and byte ranges whatever the chunk size; over-long lines come as null', async () => {
    const dir = tempRunDir();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.string({ maxLength: 30 }), fc.constant('é✓ unicode'), fc.constant('y'.repeat(200))), { maxLength: 40 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 64 }),
        async (parts, tail, chunkBytes) => {
          const clean = parts.map((p) => p.replace(/\n/g, ' '));
          const text = clean.join('\n') + (tail ? '\nend without newline' : '\n');
          const file = path.join(dir, 'lines.txt');
          writeFileSync(file, text);
          const handle = await open(file, 'r');
          const seen: [string | null, number, number][] = [];
          const bytes = Buffer.byteLength(text);
          const end = await scanLines(handle, 0, bytes, (line, start, stop) => void seen.push([line, start, stop]), { chunkBytes, maxLineBytes: 128 });
          await handle.close();
          const expected: [string | null, number, number][] = [];
          let at = 0;
          // Complete lines: every piece before a newline.
          const whole = text.split('\n').slice(0, -1);
          for (const line of whole) {
            const length = Buffer.byteLength(line);
            expected.push([length + 1 > 128 ? null : line, at, at + length + 1]);
            at += length + 1;
          }
          expect(seen).toEqual(expected);
          expect(end.end).toBe(at);
          expect(end.tailBytes).toBe(bytes - at);
        },
      ),
      { numRuns: 200 },
    );
  });
});
