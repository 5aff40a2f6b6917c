// The log pane's view-model: what the pane shows when the filter matches
// nothing, and that every entry on screen starts with its time (a wrapped
// line is never shown from its middle).

import { describe, expect, it } from 'vitest';
import { clockTime } from '../../../src/ui/viewModels/format.js';
import type { LogLine } from '../../../src/state/applyEvent.js';
import { filterLog, logPageAnchor, logPaneModel } from '../../../src/ui/viewModels/logPane.js';
import { fixtureState } from '../helpers.js';

const done = fixtureState();
const spanText = (spans: readonly { text: string }[]) => spans.map((s) => s.text).join('');

describe('log pane: a filter that matches nothing', () => {
  it('shows one dim line saying so, and that Esc clears the filter', () => {
    const filter = 'zzz';
    expect(filterLog(done.log, filter)).toHaveLength(0);
    const model = logPaneModel(done.log, { filter, anchorId: null, height: 6, width: 80 });
    expect(model.shown).toBe(0);
    expect(model.total).toBe(done.log.length);
    expect(model.rows).toHaveLength(1);
    const [row] = model.rows;
    expect(row!.spans.every((s) => s.role === 'muted')).toBe(true);
    expect(spanText(row!.spans)).toMatch(/no line matches the filter/);
    expect(spanText(row!.spans)).toMatch(/Esc/);
  });

  it('says nothing of a filter when there is none (an empty log stays empty), nor in a pane of no rows', () => {
    expect(logPaneModel([], { filter: '', anchorId: null, height: 6, width: 80 }).rows).toEqual([]);
    expect(logPaneModel(done.log, { filter: 'zzz', anchorId: null, height: 0, width: 80 }).rows).toEqual([]);
  });
});

describe('log pane: only whole entries', () => {
  it('every line on screen shows its head (its time first), however the lines wrap and wherever the pane is scrolled', () => {
    const lines = done.log;
    const anchors = [null, ...[10, 50, 120, lines.length - 2].map((i) => lines[i]!.id)];
    for (const width of [24, 30, 50, 80]) {
      for (let height = 1; height <= 12; height += 1) {
        for (const anchorId of anchors) {
          const at = `width ${width} height ${height} anchor ${anchorId}`;
          const model = logPaneModel(lines, { filter: '', anchorId, height, width, ellipsis: '~' });
          const shownIds = [...new Set(model.rows.map((r) => r.id))];
          for (const id of shownIds) {
            const line = lines.find((l) => l.id === id)!;
            const first = model.rows.find((r) => r.id === id)!;
            expect(first.key, at).toBe(`${id}.0`);
            expect(spanText(first.spans).startsWith(clockTime(line.ts)), at).toBe(true);
          }
          // The pane is still filled: as many rows as it has, when the lines have them.
          const everyRow = logPaneModel(lines, { filter: '', anchorId, height: Number.MAX_SAFE_INTEGER, width }).rows.length;
          expect(model.rows.length, at).toBe(Math.min(height, everyRow));
        }
      }
    }
  });

  it('an older line whose head fits but not its end shows its head, cut with an ellipsis', () => {
    const last = done.log.at(-1)!;
    const full = logPaneModel([last], { filter: '', anchorId: null, height: 20, width: 24 }).rows.map((r) => spanText(r.spans));
    expect(full.length).toBeGreaterThan(2);
    const older = { ...last, id: last.id - 1 };
    const rows = logPaneModel([older, last], { filter: '', anchorId: null, height: full.length + 2, width: 24, ellipsis: '~' }).rows;
    expect(rows.map((r) => r.key)).toEqual([`${older.id}.0`, `${older.id}.1`, ...full.map((_, i) => `${last.id}.${i}`)]);
    expect(spanText(rows[0]!.spans)).toBe(full[0]);
    const cut = spanText(rows[1]!.spans);
    expect(cut.endsWith('~')).toBe(true);
    expect([...cut].length).toBeLessThanOrEqual(24);
  });
});

describe('log pane: PgUp and PgDn page by rows', () => {
  // 40 lines of 1, 2 or 3 rows at 50 columns. Paged by lines as if each took a row, PgUp skipped lines never shown
  // and stopped a "page" short of the oldest, which stayed out of reach.
  const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i}`).join(' ');
  const lines: LogLine[] = Array.from({ length: 40 }, (_, i) => ({
    id: i + 1,
    ts: `2026-01-01T00:00:${String(i).padStart(2, '0')}.000Z`,
    level: 'INFO',
    source: 'agent-1',
    message: `line ${i + 1} ${words([1, 8, 14][i % 3]!)}`,
  }));
  const fullRows = (line: LogLine, width: number) => logPaneModel([line], { filter: '', anchorId: null, height: 100, width }).rows.length;

  function pages(width: number, height: number, direction: -1 | 1, start: number | null) {
    const seen: number[][] = [];
    const touched: number[][] = [];
    let anchorId = start;
    for (let turn = 0; turn < 200; turn++) {
      const model = logPaneModel(lines, { filter: '', anchorId, height, width });
      expect(model.rows.length, `anchor ${anchorId}`).toBe(height);
      touched.push([...new Set(model.rows.map((r) => r.id))]);
      // The lines shown whole on this page.
      seen.push([...new Set(model.rows.map((r) => r.id))].filter((id) => model.rows.filter((r) => r.id === id).length === fullRows(lines[id - 1]!, width)));
      const next = logPageAnchor(lines, { filter: '', anchorId, height, width }, direction);
      if (next === anchorId) break;
      anchorId = next;
      if (direction > 0 && anchorId === null) {
        const model = logPaneModel(lines, { filter: '', anchorId, height, width });
        seen.push([...new Set(model.rows.map((r) => r.id))]);
        break;
      }
    }
    return { seen, touched, anchorId };
  }

  it.each([
    [50, 7],
    [50, 4],
    [80, 9],
    [30, 5],
  ])('at %ix%i every line is shown whole on some page, pages overlap, the first line is reached, and PgDn comes back to follow', (width, height) => {
    const up = pages(width, height, -1, null);
    const shownUp = new Set(up.seen.flat());
    for (const line of lines) expect(shownUp.has(line.id), `line ${line.id} going up`).toBe(true);
    expect(up.seen.at(-1)).toContain(1);
    // Each page shows a line of the one before it (its top line, cut there, whole here), unless that was one line filling the pane.
    for (let i = 1; i < up.touched.length; i++) {
      const before = up.touched[i - 1]!;
      expect(up.touched[i]!.some((id) => before.includes(id)) || before.length === 1, `page ${i} overlaps`).toBe(true);
    }
    const down = pages(width, height, 1, up.anchorId);
    const shownDown = new Set(down.seen.flat());
    for (const line of lines) expect(shownDown.has(line.id), `line ${line.id} going down`).toBe(true);
    expect(down.anchorId).toBeNull();
  });

  it('says which lines the page shows, from the first', () => {
    const top = logPaneModel(lines, { filter: '', anchorId: 0, height: 5, width: 50 });
    expect(top.rows[0]!.key).toBe('1.0');
    expect(top.position).toMatch(/^1–\d+ of 40$/);
  });
});
