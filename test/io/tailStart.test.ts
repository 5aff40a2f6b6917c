// The console's tail of a big run starts from events.idx's folded state and
// reads only the events after it, and reads session.log from its last lines
// (issue 13 §4). Expected states are folded here from the fixture's lines
// with JSON.parse and foldAll, not by the code under test; what was read is
// counted by the lines the tail delivered.

import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MegatestEvent } from '../../src/contract/events.js';
import { LogIndexUpkeep } from '../../src/io/logIndexUpkeep.js';
import { tailRunFolder, type RunFolderTail, type TailHandlers } from '../../src/io/tail.js';
import { findEventsStart, lastLinesStart } from '../../src/io/tailStart.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { foldAll, foldEvents } from '../../src/state/fold.js';
import type { RunState } from '../../src/state/runState.js';
import { createConsoleStore, InputBatcher } from '../../src/state/store.js';

// A deadline for a stuck test, not an expectation: a loaded machine draws and reads 5-10x slower.
const WAIT = { timeout: 30_000, interval: 10 };
const SIM = readFileSync(path.join(PACKAGE_ROOT, 'test', 'fixtures', 'events', 'sim_session.jsonl'), 'utf8').split('\n').filter((line) => line !== '');
const text = (lines: readonly string[]) => lines.map((line) => `${line}\n`).join('');
/** The oracle: every line that starts like an event, parsed and folded in order. */
const parsed = (lines: readonly string[]) => lines.filter((line) => line.startsWith('{"seq":')).map((line) => JSON.parse(line) as MegatestEvent);
const folded = (lines: readonly string[]) => foldAll(parsed(lines));

let dirs: string[] = [];
let tails: RunFolderTail[] = [];
afterEach(async () => {
  await Promise.all(tails.splice(0).map((t) => t.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function runFolder(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'megatest-tailstart-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'session.log'), '');
  writeFileSync(path.join(dir, 'status'), 'running\n');
  return dir;
}

/** A run folder whose events.idx was kept over `first`, and whose log then grew by `rest` (as a crash or a live run leaves it). */
async function indexedThenGrown(first: readonly string[], rest: readonly string[]): Promise<string> {
  const dir = runFolder();
  writeFileSync(path.join(dir, 'events.jsonl'), text(first));
  const upkeep = await LogIndexUpkeep.open({ root: dir, events: path.join(dir, 'events.jsonl'), sessionLog: path.join(dir, 'session.log') }, () => undefined);
  await upkeep.close();
  appendFileSync(path.join(dir, 'events.jsonl'), text(rest));
  return dir;
}

function recorder() {
  const seen = { starts: [] as RunState[], events: [] as MegatestEvent[], log: [] as string[], resets: [] as string[], errors: [] as string[] };
  const handlers: TailHandlers = {
    onStart: (state) => seen.starts.push(state),
    onEvents: (events) => seen.events.push(...events),
    onLogLines: (lines) => seen.log.push(...lines),
    onStatus: () => undefined,
    onMetrics: () => undefined,
    onReset: (file) => seen.resets.push(file),
    onError: (e) => seen.errors.push(e.message),
  };
  return { seen, handlers };
}

describe('tailRunFolder from events.idx', () => {
  const first = [...SIM.slice(0, 150), 'garbage before the index', ...SIM.slice(150, 300)];
  const rest = SIM.slice(300);

  it('starts from the folded snapshot and reads only the events after its offset', async () => {
    const dir = await indexedThenGrown(first, rest);
    const start = await findEventsStart(dir);
    expect(start.offset).toBe(Buffer.byteLength(text(first)));
    expect(start.line).toBe(first.length);
    const { seen, handlers } = recorder();
    tails.push(tailRunFolder(dir, handlers, { fromIndex: true, pollMs: 100 }));
    await vi.waitFor(() => expect(seen.events).toHaveLength(rest.length), WAIT);
    expect(seen.starts).toHaveLength(1);
    expect(seen.starts[0]).toEqual(folded(first));
    // The first event delivered is the first after the offset: nothing before it was read again.
    expect(seen.events[0]!.seq).toBe(parsed(rest)[0]!.seq);
    expect(foldEvents(seen.starts[0]!, seen.events)).toEqual(folded([...first, ...rest]));
    expect(seen.errors).toEqual([]);
  });

  it('goes on with what the log gains, numbering lines from the snapshot', async () => {
    const dir = await indexedThenGrown(first, rest.slice(0, 10));
    const { seen, handlers } = recorder();
    tails.push(tailRunFolder(dir, handlers, { fromIndex: true, pollMs: 50 }));
    await vi.waitFor(() => expect(seen.events).toHaveLength(10), WAIT);
    appendFileSync(path.join(dir, 'events.jsonl'), text(['not an event', ...rest.slice(10)]));
    await vi.waitFor(() => expect(seen.events).toHaveLength(rest.length), WAIT);
    expect(foldEvents(seen.starts[0]!, seen.events)).toEqual(folded([...first, ...rest]));
    expect(seen.errors).toEqual([expect.stringContaining(`line ${first.length + 11} is not an event`)]);
  });

  it('a log replaced after the start is read again from its first byte', async () => {
    const dir = await indexedThenGrown(first, rest);
    const { seen, handlers } = recorder();
    tails.push(tailRunFolder(dir, handlers, { fromIndex: true, pollMs: 50 }));
    await vi.waitFor(() => expect(seen.events).toHaveLength(rest.length), WAIT);
    const other = SIM.slice(0, 40);
    writeFileSync(path.join(dir, 'events.jsonl'), text(other));
    await vi.waitFor(() => expect(seen.resets).toContain('events'), WAIT);
    await vi.waitFor(() => expect(seen.events).toHaveLength(rest.length + other.length), WAIT);
    expect(foldAll(seen.events.slice(rest.length))).toEqual(folded(other));
  });

  it('with no index, or one built from another log, reads the whole log as before', async () => {
    const plain = runFolder();
    writeFileSync(path.join(plain, 'events.jsonl'), text(SIM));
    const stale = await indexedThenGrown(SIM.slice(0, 200), []);
    writeFileSync(path.join(stale, 'events.jsonl'), text(SIM.slice(0, 100)));
    expect((await findEventsStart(stale)).note).toMatch(/another events\.jsonl/);
    for (const dir of [plain, stale]) {
      const { seen, handlers } = recorder();
      const expected = dir === plain ? SIM : SIM.slice(0, 100);
      tails.push(tailRunFolder(dir, handlers, { fromIndex: true, pollMs: 100 }));
      await vi.waitFor(() => expect(seen.events).toHaveLength(parsed(expected).length), WAIT);
      expect(seen.starts).toEqual([]);
      expect(foldAll(seen.events)).toEqual(folded(expected));
    }
  });

  it('the console store holds the snapshot, then the events after it: the fold of the whole log', async () => {
    const dir = await indexedThenGrown(first, rest);
    const store = createConsoleStore('live');
    const batcher = new InputBatcher(store, 10, undefined, 0);
    const { seen, handlers } = recorder();
    tails.push(
      tailRunFolder(
        dir,
        { ...handlers, onStart: (state) => (handlers.onStart!(state), batcher.pushStart(state)), onEvents: (events) => (handlers.onEvents(events), batcher.pushEvents(events)) },
        { fromIndex: true, pollMs: 100 },
      ),
    );
    await vi.waitFor(() => expect(seen.events).toHaveLength(rest.length), WAIT);
    batcher.flush();
    const { log, nextLogId, orchestrator, ...run } = store.getState().run;
    expect({ log, nextLogId, orchestrator }).toEqual({ log: [], nextLogId: 1, orchestrator: 'unknown' });
    expect(run).toEqual(folded([...first, ...rest]));
    batcher.close();
  });
});

describe('session.log from its last lines', () => {
  const lines = Array.from({ length: 5000 }, (_, i) => `2026-01-01T00:00:00.000Z INFO  [orchestrator] line ${i + 1} ${'·'.repeat(i % 40)}`);

  it('delivers only the last N lines of the history, then what is appended', async () => {
    const dir = runFolder();
    writeFileSync(path.join(dir, 'session.log'), text(lines));
    const { seen, handlers } = recorder();
    tails.push(tailRunFolder(dir, handlers, { logLines: 2000, pollMs: 50 }));
    await vi.waitFor(() => expect(seen.log).toHaveLength(2000), WAIT);
    expect(seen.log).toEqual(lines.slice(-2000));
    appendFileSync(path.join(dir, 'session.log'), 'one more\n');
    await vi.waitFor(() => expect(seen.log.at(-1)).toBe('one more'), WAIT);
    expect(seen.log).toHaveLength(2001);
  });

  it('lastLinesStart finds the byte where the last N lines begin', async () => {
    const dir = runFolder();
    const file = path.join(dir, 'session.log');
    expect(await lastLinesStart(path.join(dir, 'absent.log'), 5)).toBe(0);
    writeFileSync(file, '');
    expect(await lastLinesStart(file, 5)).toBe(0);
    writeFileSync(file, text(lines));
    const whole = text(lines);
    for (const n of [1, 2, 1999, 4999]) expect(await lastLinesStart(file, n)).toBe(Buffer.byteLength(text(lines.slice(0, lines.length - n))));
    expect(await lastLinesStart(file, 5000)).toBe(0);
    expect(await lastLinesStart(file, 9000)).toBe(0);
    // An unfinished last line is one of the N.
    writeFileSync(file, whole + 'unfinished');
    expect(await lastLinesStart(file, 1)).toBe(Buffer.byteLength(whole));
    expect(await lastLinesStart(file, 2)).toBe(Buffer.byteLength(text(lines.slice(0, -1))));
  });
});
