import { appendFileSync, mkdirSync, mkdtempSync, promises as fsPromises, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MegatestEvent } from '../../src/contract/events.js';
import type { SessionMetrics } from '../../src/contract/metrics.js';
import { IncrementalLineReader, tailRunFolder, type RunFolderTail } from '../../src/io/tail.js';
import { writeFileAtomicSync } from '../../src/io/atomic.js';
import { fixtureEvents } from '../ui/helpers.js';

// A deadline for a stuck test, not an expectation: a loaded machine draws and reads 5-10x slower.
const WAIT = { timeout: 30_000, interval: 10 };
const line = (e: MegatestEvent) => JSON.stringify(e) + '\n';

function recorder() {
  const seen = { events: [] as MegatestEvent[], log: [] as string[], status: [] as string[], metrics: [] as SessionMetrics[], errors: [] as string[], resets: [] as string[] };
  return {
    seen,
    handlers: {
      onEvents: (events: MegatestEvent[]) => seen.events.push(...events),
      onLogLines: (lines: string[]) => seen.log.push(...lines),
      onStatus: (status: string) => seen.status.push(status),
      onMetrics: (m: SessionMetrics) => seen.metrics.push(m),
      onError: (e: Error) => seen.errors.push(e.message),
      onReset: (file: 'events' | 'log') => seen.resets.push(file),
    },
  };
}

let dirs: string[] = [];
let tails: RunFolderTail[] = [];
function runFolder(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'megatest-tail-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'events.jsonl'), '');
  writeFileSync(path.join(dir, 'session.log'), '');
  writeFileSync(path.join(dir, 'status'), 'starting\n');
  return dir;
}

afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(tails.map((t) => t.close()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  tails = [];
  dirs = [];
});

const events = fixtureEvents();

describe('tailRunFolder', () => {
  it('replays the history, then delivers appends as they come', async () => {
    const dir = runFolder();
    appendFileSync(path.join(dir, 'events.jsonl'), events.slice(0, 20).map(line).join(''));
    appendFileSync(path.join(dir, 'session.log'), '2025-11-24T09:00:00.000Z INFO  [orchestrator] started\n');
    const { seen, handlers } = recorder();
    tails.push(tailRunFolder(dir, handlers, { pollMs: 200 }));
    await vi.waitFor(() => expect(seen.events).toHaveLength(20), WAIT);
    // Each file is read on its own: the log and the status word may come a moment after the events.
    await vi.waitFor(() => expect(seen.log).toEqual(['2025-11-24T09:00:00.000Z INFO  [orchestrator] started']), WAIT);
    await vi.waitFor(() => expect(seen.status).toEqual(['starting']), WAIT);
    appendFileSync(path.join(dir, 'events.jsonl'), events.slice(20, 50).map(line).join(''));
    await vi.waitFor(() => expect(seen.events.map((e) => e.seq)).toEqual(events.slice(0, 50).map((e) => e.seq)), WAIT);
    expect(seen.resets).toEqual([]);
  });

  it('says it has caught up only once every event the log held has been delivered, a history longer than one read too', async () => {
    const dir = runFolder();
    // Several thousand events: more than one read of the file.
    const history = Array.from({ length: 8 }, () => events.map(line).join('')).join('');
    appendFileSync(path.join(dir, 'events.jsonl'), history);
    const lines = history.split('\n').length - 1;
    const { seen, handlers } = recorder();
    const tail = tailRunFolder(dir, handlers, { pollMs: 200 });
    tails.push(tail);
    await tail.caughtUp;
    expect(seen.events).toHaveLength(lines);
  });

  it('has caught up at once when there is no log yet, and when closed before its first read', async () => {
    const dir = runFolder();
    rmSync(path.join(dir, 'events.jsonl'));
    const { handlers } = recorder();
    const tail = tailRunFolder(dir, handlers, { pollMs: 200 });
    tails.push(tail);
    await tail.caughtUp;
    const closedFirst = tailRunFolder(runFolder(), recorder().handlers, { pollMs: 200 });
    await closedFirst.close();
    await closedFirst.caughtUp;
  });

  it('holds a partial last line until its newline arrives', async () => {
    const dir = runFolder();
    const { seen, handlers } = recorder();
    tails.push(tailRunFolder(dir, handlers, { pollMs: 100 }));
    const text = line(events[0]!);
    appendFileSync(path.join(dir, 'events.jsonl'), text.slice(0, 40));
    appendFileSync(path.join(dir, 'session.log'), 'half a ');
    // Something complete written after the partial line proves the partial one was seen and held.
    writeFileAtomicSync(path.join(dir, 'status'), 'running\n');
    await vi.waitFor(() => expect(seen.status).toContain('running'), WAIT);
    await vi.waitFor(() => expect(seen.errors).toEqual([]), WAIT);
    expect(seen.events).toEqual([]);
    expect(seen.log).toEqual([]);
    appendFileSync(path.join(dir, 'events.jsonl'), text.slice(40));
    appendFileSync(path.join(dir, 'session.log'), 'line — done\n');
    await vi.waitFor(() => expect(seen.events).toHaveLength(1), WAIT);
    await vi.waitFor(() => expect(seen.log).toEqual(['half a line — done']), WAIT);
  });

  it('starts a truncated file over from its beginning', async () => {
    const dir = runFolder();
    const file = path.join(dir, 'events.jsonl');
    appendFileSync(file, events.slice(0, 30).map(line).join(''));
    const { seen, handlers } = recorder();
    tails.push(tailRunFolder(dir, handlers, { pollMs: 100 }));
    await vi.waitFor(() => expect(seen.events).toHaveLength(30), WAIT);
    truncateSync(file, 0);
    appendFileSync(file, events.slice(0, 3).map(line).join(''));
    await vi.waitFor(() => expect(seen.resets).toContain('events'), WAIT);
    await vi.waitFor(() => expect(seen.events.slice(30).map((e) => e.seq)).toEqual([1, 2, 3]), WAIT);
  });

  it('notices a file replaced by another (rename over it) and reads the new one whole', async () => {
    const dir = runFolder();
    const file = path.join(dir, 'session.log');
    appendFileSync(file, 'old 1\nold 2\n');
    const { seen, handlers } = recorder();
    tails.push(tailRunFolder(dir, handlers, { pollMs: 100 }));
    await vi.waitFor(() => expect(seen.log).toEqual(['old 1', 'old 2']), WAIT);
    writeFileSync(path.join(dir, 'replacement'), 'new 1\nnew 2\nnew 3\n');
    renameSync(path.join(dir, 'replacement'), file);
    await vi.waitFor(() => expect(seen.log).toEqual(['old 1', 'old 2', 'new 1', 'new 2', 'new 3']), WAIT);
    expect(seen.resets).toEqual(['log']);
  });

  it('re-reads status and metrics_current.json when they are replaced', async () => {
    const dir = runFolder();
    const { seen, handlers } = recorder();
    tails.push(tailRunFolder(dir, handlers, { pollMs: 100 }));
    await vi.waitFor(() => expect(seen.status).toEqual(['starting']), WAIT);
    const snapshot = events.find((e) => e.type === 'metrics');
    if (snapshot?.type !== 'metrics') throw new Error('fixture has no metrics');
    writeFileAtomicSync(path.join(dir, 'metrics_current.json'), JSON.stringify(snapshot.metrics));
    writeFileAtomicSync(path.join(dir, 'status'), 'paused\n');
    await vi.waitFor(() => expect(seen.status).toEqual(['starting', 'paused']), WAIT);
    await vi.waitFor(() => expect(seen.metrics.map((m) => m.timestamp)).toEqual([snapshot.metrics.timestamp]), WAIT);
  });

  it('a metrics_current.json of another shape (the original runner\'s) is reported, not handed on; a snapshot after it is', async () => {
    const dir = runFolder();
    // run_mega_test.sh writes one of that name: no agents in it.
    writeFileAtomicSync(path.join(dir, 'metrics_current.json'), JSON.stringify({ timestamp: '2026-03-06T06:00:00+01:00', elapsed_seconds: 60, checkpoints: 0 }));
    const { seen, handlers } = recorder();
    tails.push(tailRunFolder(dir, handlers, { pollMs: 100 }));
    const file = path.join(dir, 'metrics_current.json');
    await vi.waitFor(() => expect(seen.errors).toEqual([`${file}: not a megatest metrics snapshot (no timestamp or agents)`]), WAIT);
    const snapshot = events.find((e) => e.type === 'metrics');
    if (snapshot?.type !== 'metrics') throw new Error('fixture has no metrics');
    writeFileAtomicSync(file, JSON.stringify(snapshot.metrics));
    await vi.waitFor(() => expect(seen.metrics.map((m) => m.timestamp)).toEqual([snapshot.metrics.timestamp]), WAIT);
  });

  it('reports a line that is not an event, naming the file and line, and goes on', async () => {
    const dir = runFolder();
    appendFileSync(path.join(dir, 'events.jsonl'), line(events[0]!) + 'garbage\n' + line(events[1]!));
    const { seen, handlers } = recorder();
    tails.push(tailRunFolder(dir, handlers, { pollMs: 100 }));
    await vi.waitFor(() => expect(seen.events).toHaveLength(2), WAIT);
    expect(seen.errors).toEqual([`${path.join(dir, 'events.jsonl')}: line 2 is not an event; skipped`]);
  });

  it('with fromStart false delivers only what is written afterwards', async () => {
    const dir = runFolder();
    appendFileSync(path.join(dir, 'events.jsonl'), events.slice(0, 10).map(line).join('') + line(events[10]!).slice(0, 25));
    const { seen, handlers } = recorder();
    tails.push(tailRunFolder(dir, handlers, { fromStart: false, pollMs: 100 }));
    await vi.waitFor(() => expect(seen.status).toEqual(['starting']), WAIT);
    appendFileSync(path.join(dir, 'events.jsonl'), line(events[10]!).slice(25) + line(events[11]!));
    await vi.waitFor(() => expect(seen.events.map((e) => e.seq)).toEqual([11, 12]), WAIT);
  });
});

// With the backup poll an hour away, only the folder's watch can deliver these.
const NO_POLL = { pollMs: 3_600_000 };

describe('tailRunFolder watching the folder', () => {
  it('follows appends, a status file replaced by rename and a metrics file made later, by watching alone', async () => {
    const dir = runFolder();
    const { seen, handlers } = recorder();
    tails.push(tailRunFolder(dir, handlers, NO_POLL));
    await vi.waitFor(() => expect(seen.status).toEqual(['starting']), WAIT);
    appendFileSync(path.join(dir, 'events.jsonl'), events.slice(0, 5).map(line).join(''));
    await vi.waitFor(() => expect(seen.events.map((e) => e.seq)).toEqual(events.slice(0, 5).map((e) => e.seq)), WAIT);
    appendFileSync(path.join(dir, 'session.log'), 'a line\n');
    await vi.waitFor(() => expect(seen.log).toEqual(['a line']), WAIT);
    writeFileAtomicSync(path.join(dir, 'status'), 'running\n');
    await vi.waitFor(() => expect(seen.status).toEqual(['starting', 'running']), WAIT);
    // Replaced again: the watch is on the folder, not on the first file's inode.
    writeFileAtomicSync(path.join(dir, 'status'), 'paused\n');
    await vi.waitFor(() => expect(seen.status).toEqual(['starting', 'running', 'paused']), WAIT);
    const snapshot = events.find((e) => e.type === 'metrics');
    if (snapshot?.type !== 'metrics') throw new Error('fixture has no metrics');
    writeFileAtomicSync(path.join(dir, 'metrics_current.json'), JSON.stringify(snapshot.metrics));
    await vi.waitFor(() => expect(seen.metrics.map((m) => m.timestamp)).toEqual([snapshot.metrics.timestamp]), WAIT);
    // events.jsonl replaced by another file: read whole again from its start.
    writeFileSync(path.join(dir, 'replacement'), events.slice(0, 2).map(line).join(''));
    renameSync(path.join(dir, 'replacement'), path.join(dir, 'events.jsonl'));
    await vi.waitFor(() => expect(seen.resets).toEqual(['events']), WAIT);
    await vi.waitFor(() => expect(seen.events.slice(5).map((e) => e.seq)).toEqual([1, 2]), WAIT);
  });

  it('reads none of its four files when only other files in the folder change', async () => {
    const dir = runFolder();
    mkdirSync(path.join(dir, 'checkpoints'));
    const read: string[] = [];
    const open = fsPromises.open.bind(fsPromises);
    const readFile = fsPromises.readFile.bind(fsPromises);
    vi.spyOn(fsPromises, 'open').mockImplementation(((file: string, ...rest: unknown[]) => {
      read.push(path.basename(String(file)));
      return (open as (...a: unknown[]) => Promise<unknown>)(file, ...rest);
    }) as typeof fsPromises.open);
    vi.spyOn(fsPromises, 'readFile').mockImplementation(((file: string, ...rest: unknown[]) => {
      read.push(path.basename(String(file)));
      return (readFile as (...a: unknown[]) => Promise<unknown>)(file, ...rest);
    }) as typeof fsPromises.readFile);
    const { seen, handlers } = recorder();
    tails.push(tailRunFolder(dir, handlers, NO_POLL));
    await vi.waitFor(() => expect(seen.status).toEqual(['starting']), WAIT);
    // The first read of each file, once.
    await vi.waitFor(() => expect([...read].sort()).toEqual(['events.jsonl', 'metrics_current.json', 'session.log', 'status']), WAIT);
    for (let i = 0; i < 20; i++) {
      writeFileAtomicSync(path.join(dir, 'control.json'), JSON.stringify({ pid: i }));
      writeFileSync(path.join(dir, 'checkpoints', `c${i}.json`), '{}');
      appendFileSync(path.join(dir, 'config.json'), ' ');
    }
    // Watch events come in order: once this append is seen, the ones before it were handled.
    appendFileSync(path.join(dir, 'events.jsonl'), line(events[0]!));
    await vi.waitFor(() => expect(seen.events).toHaveLength(1), WAIT);
    // events.jsonl is read through the handle kept open since its first read: nothing is opened again.
    expect(read.slice(4)).toEqual([]);
  });

  it('keeps events.jsonl and session.log open across a stream of appends, and opens the new file once after a replacement', async () => {
    const dir = runFolder();
    const opened: string[] = [];
    const open = fsPromises.open.bind(fsPromises);
    vi.spyOn(fsPromises, 'open').mockImplementation(((file: string, ...rest: unknown[]) => {
      opened.push(path.basename(String(file)));
      return (open as (...a: unknown[]) => Promise<unknown>)(file, ...rest);
    }) as typeof fsPromises.open);
    const { seen, handlers } = recorder();
    tails.push(tailRunFolder(dir, handlers, { ...NO_POLL, minReadGapMs: 0 }));
    await vi.waitFor(() => expect(seen.status).toEqual(['starting']), WAIT);
    // One append at a time, each seen before the next: every one is a read of its own.
    for (let i = 0; i < 20; i++) {
      appendFileSync(path.join(dir, 'events.jsonl'), line(events[i]!));
      appendFileSync(path.join(dir, 'session.log'), `line ${i}\n`);
      await vi.waitFor(() => expect(seen.events).toHaveLength(i + 1), WAIT);
      await vi.waitFor(() => expect(seen.log).toHaveLength(i + 1), WAIT);
    }
    expect(opened.filter((name) => name === 'events.jsonl')).toEqual(['events.jsonl']);
    expect(opened.filter((name) => name === 'session.log')).toEqual(['session.log']);
    writeFileSync(path.join(dir, 'replacement'), 'new 1\n');
    renameSync(path.join(dir, 'replacement'), path.join(dir, 'session.log'));
    await vi.waitFor(() => expect(seen.log.slice(20)).toEqual(['new 1']), WAIT);
    expect(seen.resets).toEqual(['log']);
    appendFileSync(path.join(dir, 'session.log'), 'new 2\n');
    await vi.waitFor(() => expect(seen.log.slice(20)).toEqual(['new 1', 'new 2']), WAIT);
    expect(opened.filter((name) => name === 'session.log')).toEqual(['session.log', 'session.log']);
  });
});

describe('IncrementalLineReader', () => {
  it('reads only what was appended, and keeps multi-byte characters split across reads whole', async () => {
    const dir = runFolder();
    const file = path.join(dir, 'session.log');
    const reader = new IncrementalLineReader(file);
    const lines: string[] = [];
    const collect = (got: string[]) => lines.push(...got);
    const bytes = Buffer.from('première ligne — ok\n');
    appendFileSync(file, bytes.subarray(0, 3)); // cuts 'è' in half
    await reader.read(collect, () => lines.push('RESET'));
    appendFileSync(file, bytes.subarray(3));
    await reader.read(collect, () => lines.push('RESET'));
    await reader.read(collect, () => lines.push('RESET'));
    await reader.close();
    expect(lines).toEqual(['première ligne — ok']);
  });

  it('reads a history longer than one read whole, lines and multi-byte characters across read edges intact', async () => {
    const dir = runFolder();
    const file = path.join(dir, 'session.log');
    // About 1.5 MB: past the first read's size and past one full-size chunk.
    const written = Array.from({ length: 30_000 }, (_, i) => `ligne ${i} — é${'x'.repeat(i % 37)}`);
    writeFileSync(file, written.join('\n') + '\n');
    const reader = new IncrementalLineReader(file);
    const lines: string[] = [];
    await reader.read((got) => lines.push(...got), () => lines.push('RESET'));
    appendFileSync(file, 'after\n');
    await reader.read((got) => lines.push(...got), () => lines.push('RESET'));
    await reader.close();
    expect(lines).toEqual([...written, 'after']);
  });

  it('notices a file rewritten in place to a larger size', async () => {
    const dir = runFolder();
    const file = path.join(dir, 'session.log');
    writeFileSync(file, 'aaaa\n');
    const reader = new IncrementalLineReader(file);
    const lines: string[] = [];
    await reader.read((got) => lines.push(...got), () => lines.push('RESET'));
    writeFileSync(file, 'bbbbbbbb\ncc\n'); // same inode, larger, different bytes before the old offset
    await reader.read((got) => lines.push(...got), () => lines.push('RESET'));
    await reader.close();
    expect(lines).toEqual(['aaaa', 'RESET', 'bbbbbbbb', 'cc']);
  });

  it('notices a file removed and made again once asked to check its path (the tail asks on the rename notice)', async () => {
    const dir = runFolder();
    const file = path.join(dir, 'session.log');
    writeFileSync(file, 'old\n');
    const reader = new IncrementalLineReader(file);
    const lines: string[] = [];
    const collect = (got: string[]) => lines.push(...got);
    await reader.read(collect, () => lines.push('RESET'));
    rmSync(file);
    reader.checkPath();
    await reader.read(collect, () => lines.push('RESET'));
    writeFileSync(file, 'new\n');
    await reader.read(collect, () => lines.push('RESET'));
    await reader.close();
    expect(lines).toEqual(['old', 'RESET', 'new']);
  });
});
