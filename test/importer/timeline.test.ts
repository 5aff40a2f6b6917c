// Each file's clock: the stream's own timestamps when it has them, else line order.

import { describe, expect, it } from 'vitest';
import { FileClock, lineTimestampMs, type FileSurvey } from '../../src/importer/timeline.js';

const survey = (over: Partial<FileSurvey>): FileSurvey => ({
  file: 'f',
  lines: 4,
  bytes: 100,
  mtimeMs: 1_000_000,
  firstTimestampMs: null,
  lastTimestampMs: null,
  ...over,
});
const at = (iso: string) => JSON.stringify({ type: 'assistant', timestamp: iso });

describe('the timeline of an imported file', () => {
  it('reads a top-level ISO timestamp only, and never from selfware\'s output', () => {
    expect(lineTimestampMs('claude-code', at('2026-03-01T10:00:00Z'))).toBe(Date.parse('2026-03-01T10:00:00Z'));
    expect(lineTimestampMs('claude-code', JSON.stringify({ message: { timestamp: '2026-03-01T10:00:00Z' } }))).toBeUndefined();
    expect(lineTimestampMs('claude-code', '{"timestamp": "not a time"}')).toBeUndefined();
    expect(lineTimestampMs('selfware', at('2026-03-01T10:00:00Z'))).toBeUndefined();
  });

  it('line order: 1 ms per line, the last line 1 ms before the modification time, the end at it', () => {
    const clock = new FileClock('codex', survey({}));
    expect(clock.kind).toBe('line_order');
    expect([0, 1, 2, 3].map((i) => clock.at(i, '{}'))).toEqual([999_996, 999_997, 999_998, 999_999]);
    expect(clock.startMs).toBe(999_996);
    expect(clock.endMs()).toBe(1_000_000);
    expect(clock.describe()).toMatch(/^line order, not time/);
  });

  it("the stream's own times: a line without one, or one that steps back, keeps the time before it", () => {
    const t = (s: number) => Date.parse('2026-03-01T10:00:00Z') + s * 1000;
    const clock = new FileClock('claude-code', survey({ firstTimestampMs: t(5), lastTimestampMs: t(9) }));
    expect(clock.kind).toBe('stream');
    const lines = ['{"type":"system"}', at(new Date(t(5)).toISOString()), at(new Date(t(9)).toISOString()), at(new Date(t(7)).toISOString()), 'plain'];
    expect(lines.map((line, i) => clock.at(i, line))).toEqual([t(5), t(5), t(9), t(9), t(9)]);
    expect(clock.endMs()).toBe(t(9));
    expect(clock.plannedEndMs).toBe(t(9));
  });
});
