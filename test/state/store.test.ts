import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_LOG_LINES } from '../../src/state/limits.js';
import { createConsoleStore, DEFAULT_FLUSH_MS, InputBatcher, MIN_FLUSH_GAP_MS } from '../../src/state/store.js';
import { fixtureEvents, fixtureLogLines } from '../ui/helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('InputBatcher', () => {
  it('applies a burst in one store update per flush interval', () => {
    vi.useFakeTimers();
    const store = createConsoleStore();
    let updates = 0;
    store.subscribe(() => (updates += 1));
    const batcher = new InputBatcher(store);
    for (const event of fixtureEvents()) batcher.pushEvents([event]);
    batcher.pushLogLines(fixtureLogLines());
    batcher.pushStatus('running');
    expect(updates).toBe(0);
    vi.advanceTimersByTime(DEFAULT_FLUSH_MS - 1);
    expect(updates).toBe(0);
    vi.advanceTimersByTime(1);
    expect(updates).toBe(1);
    const run = store.getState().run;
    expect(run.lastSeq).toBe(fixtureEvents().at(-1)!.seq);
    expect(run.log.length).toBe(fixtureLogLines().length);
    // The session ended by its own event: a stale "running" file does not revive it.
    expect(run.status).toBe('completed');
    batcher.close();
  });

  it('applies a steady stream at most once per MIN_FLUSH_GAP_MS, and input after a quiet spell within DEFAULT_FLUSH_MS', () => {
    vi.useFakeTimers();
    const store = createConsoleStore();
    const flushedAt: number[] = [];
    store.subscribe(() => flushedAt.push(Date.now()));
    const batcher = new InputBatcher(store);
    const start = Date.now();
    // A line every 10 ms for 2 s.
    for (let ms = 0; ms < 2000; ms += 10) {
      batcher.pushLogLines([`line ${ms}`]);
      vi.advanceTimersByTime(10);
    }
    expect(flushedAt[0]! - start).toBe(DEFAULT_FLUSH_MS);
    const gaps = flushedAt.slice(1).map((at, i) => at - flushedAt[i]!);
    expect(gaps.length).toBeGreaterThan(0);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(MIN_FLUSH_GAP_MS);
    // Every line arrives in the end.
    vi.advanceTimersByTime(MIN_FLUSH_GAP_MS);
    expect(store.getState().run.log.at(-1)?.message).toBe('line 1990');
    // After a quiet spell, one more line shows DEFAULT_FLUSH_MS after it came.
    vi.advanceTimersByTime(MIN_FLUSH_GAP_MS);
    const before = flushedAt.length;
    const pushedAt = Date.now();
    batcher.pushLogLines(['after the quiet']);
    vi.advanceTimersByTime(DEFAULT_FLUSH_MS);
    expect(flushedAt.length).toBe(before + 1);
    expect(flushedAt.at(-1)! - pushedAt).toBe(DEFAULT_FLUSH_MS);
    batcher.close();
  });

  it('starts the state over when events.jsonl was replaced, keeping the log', () => {
    vi.useFakeTimers();
    const store = createConsoleStore();
    const batcher = new InputBatcher(store);
    batcher.pushEvents(fixtureEvents());
    batcher.pushLogLines(['a line']);
    batcher.flush();
    batcher.reset('events');
    batcher.pushEvents(fixtureEvents().slice(0, 10));
    // The flush just before counts: the next comes MIN_FLUSH_GAP_MS after it.
    vi.advanceTimersByTime(MIN_FLUSH_GAP_MS);
    const run = store.getState().run;
    expect(run.lastSeq).toBe(10);
    expect(run.checkpoints).toEqual([]);
    expect(run.log).toHaveLength(1);
    batcher.reset('log');
    batcher.flush();
    expect(store.getState().run.log).toHaveLength(0);
    batcher.close();
  });

  it('holds no more pending log lines than can be shown, ids still counting every line', () => {
    const store = createConsoleStore();
    const batcher = new InputBatcher(store);
    for (let chunk = 0; chunk < 10; chunk++) batcher.pushLogLines(Array.from({ length: 1000 }, (_, i) => `line ${chunk * 1000 + i}`));
    batcher.flush();
    const run = store.getState().run;
    expect(run.log.length).toBe(MAX_LOG_LINES);
    expect(run.log.at(-1)).toMatchObject({ id: 10_000, message: 'line 9999' });
    expect(run.nextLogId).toBe(10_001);
    batcher.close();
  });

  it('records orchestrator liveness', () => {
    const store = createConsoleStore();
    const batcher = new InputBatcher(store);
    batcher.pushLiveness('dead');
    batcher.flush();
    expect(store.getState().run.orchestrator).toBe('dead');
    batcher.close();
  });
});
