// Below the smallest terminal the dashboard can be laid out in, the console
// says so in the rows it has. layout.ts draws at least 20x10, so a smaller
// window (a tmux split, a phone's SSH client) got a frame taller or wider
// than itself: the terminal scrolled the header, SIMULATED with it, off the
// top and drew the panes' titles into each other. Here the header's first
// row (what runs, SIMULATED or not, its status) stays on top, the key line
// (how to leave) at the bottom, and the rows between say what size is needed.

import type { KeyLineItem } from '../keymap.js';
import { wrapSpans, type Span } from './format.js';

/** Below this many columns an agent's row and a log line are cut to a few letters. */
export const MIN_CONSOLE_COLUMNS = 40;
/** Below this many rows one agent and one log line no longer fit under the header, the phase bar and the key line (layout.ts ESSENTIAL_ROWS). */
export const MIN_CONSOLE_ROWS = 12;

export function isTooSmall(columns: number, rows: number): boolean {
  return columns < MIN_CONSOLE_COLUMNS || rows < MIN_CONSOLE_ROWS;
}

/** What is short: the columns, the rows, or both (a wide but short pane needs no more columns). */
function shortOf(columns: number, rows: number): string {
  if (columns >= MIN_CONSOLE_COLUMNS) return `${MIN_CONSOLE_ROWS} rows`;
  if (rows >= MIN_CONSOLE_ROWS) return `${MIN_CONSOLE_COLUMNS} columns`;
  return `${MIN_CONSOLE_COLUMNS}x${MIN_CONSOLE_ROWS}`;
}

/** The key line as spans: each item `key text`, two spaces apart. */
export function keyLineSpans(keys: readonly KeyLineItem[]): Span[] {
  const spans: Span[] = [];
  keys.forEach((item, i) => {
    if (i > 0) spans.push({ text: '  ', role: 'text' });
    spans.push({ text: item.key, role: 'key' }, { text: ` ${item.text}`, role: 'muted' });
  });
  return spans;
}

/**
 * The rows drawn in a terminal too small for the dashboard: one less than it
 * has (as layout.ts, so Ink never scrolls), at least one. The header row
 * comes first, the key line last where there are three rows or more, and the
 * message wraps onto the rows between (cut with the ellipsis where even they
 * are too few). Each row is cut to `columns` where it is drawn.
 */
export function tooSmallRows(columns: number, rows: number, header: readonly Span[], keys: readonly KeyLineItem[], ellipsis: string): Span[][] {
  const available = Math.max(1, rows - 1);
  const message: Span[] = [
    { text: `${columns}x${rows} is too small for the console: it needs ${shortOf(columns, rows)} or more.`, role: 'warning' },
    { text: ' The run goes on.', role: 'muted' },
  ];
  if (available === 1) return [[...header]];
  const keyRow = available >= 3 ? [keyLineSpans(keys)] : [];
  const messageRows = wrapSpans(message, Math.max(1, columns), available - 1 - keyRow.length, ellipsis);
  return [[...header], ...messageRows, ...keyRow];
}
