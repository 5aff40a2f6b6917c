import { describe, expect, it } from 'vitest';
import { ASCII_GLYPHS, UNICODE_GLYPHS } from '../../../src/ui/theme.js';
import { emptyReplayPosition, replayStatusSpans, timelineColumn, timelineModel, type ReplayPosition } from '../../../src/ui/viewModels/timeline.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const position = (over: Partial<ReplayPosition> = {}): ReplayPosition => ({
  ...emptyReplayPosition(),
  count: 100,
  startMs: T0,
  endMs: T0 + 100_000,
  clockMs: T0 + 50_000,
  cursor: 50,
  seq: 50,
  ...over,
});
const text = (spans: { text: string }[]) => spans.map((s) => s.text).join('');

describe('timeline view model', () => {
  it('spans the recording from its first to its last event, a column per share of time', () => {
    expect(timelineColumn(T0, position(), 101)).toBe(0);
    expect(timelineColumn(T0 + 100_000, position(), 101)).toBe(100);
    expect(timelineColumn(T0 + 25_000, position(), 101)).toBe(25);
    // One event, or none: everything at the first column.
    expect(timelineColumn(T0 + 5, position({ endMs: T0 }), 80)).toBe(0);
  });

  it('draws played track, cursor, marks by kind, and keeps the weightier mark where two meet', () => {
    const marks = [
      { index: 9, seq: 10, atMs: T0 + 10_000, kind: 'checkpoint' as const, label: 'c1' },
      { index: 79, seq: 80, atMs: T0 + 80_000, kind: 'checkpoint' as const, label: 'c2' },
      { index: 80, seq: 81, atMs: T0 + 80_000, kind: 'error' as const, label: 'e1' },
      { index: 88, seq: 89, atMs: T0 + 90_000, kind: 'error' as const, label: 'e2' },
      // The restore the error called for, milliseconds later, in its column: the restore is what is drawn.
      { index: 89, seq: 90, atMs: T0 + 90_003, kind: 'restore' as const, label: 'r1' },
    ];
    const damage = [{ file: 'events.jsonl', line: 70, problem: 'torn', atIndex: 69, atMs: T0 + 70_000 }];
    const model = timelineModel(position({ marks, damage }), { width: 101, glyphs: UNICODE_GLYPHS });
    const bar = text(model.bar);
    expect([...bar]).toHaveLength(101);
    expect(model.cursorColumn).toBe(50);
    expect([...bar][50]).toBe('┃');
    expect([...bar][10]).toBe('▼');
    expect([...bar][80]).toBe('✗');
    expect([...bar][90]).toBe('↺');
    expect([...bar][70]).toBe('!');
    expect([...bar][20]).toBe('━');
    expect([...bar][60]).toBe('─');
    const ascii = text(timelineModel(position({ marks, damage }), { width: 101, glyphs: ASCII_GLYPHS }).bar);
    expect(ascii).toMatch(/^[=v]+\|[-!XRv]+$/);
  });

  it('status line: play state, speed, time, offset, seq, event, end and damage', () => {
    const status = text(replayStatusSpans(position({ playing: true, speed: 50, cursor: 100, seq: 123, clockMs: T0 + 100_000, damage: [{ file: 'status', problem: 'missing', atMs: null }] })));
    expect(status).toBe('playing 50x  00:01:40  +1m40s / 1m40s  seq 123  event 100/100  end  status: missing');
    expect(text(replayStatusSpans(emptyReplayPosition()))).toBe('paused 1x  no events recorded yet');
  });
});
