// The `?` help as lines to draw: every section of the keymap, one row per
// binding, scrolled to where the person is (↑/↓, PgUp/PgDn) when it is
// taller than the room, so an 80x24 terminal reaches every key. Wide
// terminals get two columns when that shows it all at once.

import type { HelpSection } from '../keymap.js';
import { fit, wrapText, type Span } from './format.js';

export interface HelpModel {
  /** Rows shown: one column, or the left and right halves side by side. */
  columns: Span[][][];
  /** Rows scrolled off the top, and the most that can be. */
  scroll: number;
  maxScroll: number;
  /** Rows above and below the window (for the title's "↑ 3 more · ↓ 12 more"). */
  above: number;
  below: number;
}

/** Each binding's description wraps under itself, past the keys' column: cut at the edge, the longer ones lost their end. */
function helpRows(sections: readonly HelpSection[], width: number): Span[][] {
  const keyWidth = Math.max(4, ...sections.flatMap((s) => s.rows.map((r) => [...r.keys].length))) + 3;
  const rows: Span[][] = [];
  for (const section of sections) {
    rows.push([{ text: section.title, role: 'title' }]);
    for (const row of section.rows) {
      const lines = wrapText(row.description, Math.max(keyWidth + 20, width), ' '.repeat(keyWidth));
      rows.push([
        { text: fit(`  ${row.keys}`, keyWidth), role: 'key' },
        { text: lines[0]!.slice(keyWidth), role: 'text' },
      ]);
      for (const more of lines.slice(1)) rows.push([{ text: more, role: 'text' }]);
    }
  }
  return rows;
}

/** The help fitted to `rows` lines of body (the title line not counted) at `width`, from `scroll`. */
export function helpModel(sections: readonly HelpSection[], options: { width: number; rows: number; scroll: number }): HelpModel {
  const room = Math.max(1, options.rows);
  if (options.width >= 100) {
    // Two columns, each a little under half the width (the gap between them), when that shows it all at once.
    const narrow = helpRows(sections, Math.floor((options.width - 2) / 2));
    // The second column starts at a binding or a section's title, never inside a wrapped description.
    let split = Math.ceil(narrow.length / 2);
    while (split < narrow.length && narrow[split]![0]!.role === 'text') split += 1;
    if (split <= room && narrow.length - split <= room) return { columns: [narrow.slice(0, split), narrow.slice(split)], scroll: 0, maxScroll: 0, above: 0, below: 0 };
  }
  const all = helpRows(sections, options.width);
  const maxScroll = Math.max(0, all.length - room);
  const scroll = Math.max(0, Math.min(maxScroll, options.scroll));
  const shown = all.slice(scroll, scroll + room);
  return { columns: [shown], scroll, maxScroll, above: scroll, below: all.length - scroll - shown.length };
}
