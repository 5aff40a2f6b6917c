// The log pane's view-model: what the pane shows when the filter matches
// nothing, and that every entry on screen starts with its time (a wrapped
// line is never shown from its middle).

import { describe, expect, it } from 'vitest';
import { clockTime } from '../../../src/ui/viewModels/format.js';
import { filterLog, logPaneModel } from '../../../src/ui/viewModels/logPane.js';
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
