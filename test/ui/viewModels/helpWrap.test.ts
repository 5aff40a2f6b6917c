// The help wraps a long description under itself instead of cutting it at the
// pane's edge, in one column (80 wide) and in two (120 wide).

import { describe, expect, it } from 'vitest';
import { helpSections, KEYMAP } from '../../../src/ui/keymap.js';
import { helpModel } from '../../../src/ui/viewModels/help.js';

/** The help's words in order, whatever the rows they were wrapped into. */
function words(rows: { text: string }[][]): string {
  return rows.map((spans) => spans.map((s) => s.text).join('')).join(' ').replace(/\s+/g, ' ');
}

describe('help descriptions', () => {
  for (const width of [80, 120]) {
    it(`every description is there in full at ${width} columns, and no row is wider than its column`, () => {
      const model = helpModel(helpSections(KEYMAP, 'live', false), { width, rows: 400, scroll: 0 });
      const columnWidth = model.columns.length > 1 ? Math.floor((width - 2) / 2) : width;
      const text = model.columns.map((column) => words(column)).join(' ').replace(/\s+/g, ' ');
      // A binding is never split between the columns: the second starts at a key or a section's title.
      if (model.columns.length > 1) expect(model.columns[1]![0]![0]!.role).not.toBe('text');
      for (const binding of KEYMAP.filter((b) => b.modes.includes('live'))) expect(text).toContain(binding.description.replace(/\s+/g, ' '));
      for (const column of model.columns) for (const row of column) expect([...row.map((s) => s.text).join('')].length).toBeLessThanOrEqual(columnWidth);
    });
  }
});
