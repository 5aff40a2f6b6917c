// Fitting a table to a width: columns keep their natural width, the flexible
// column takes what is left, and when even that is too narrow the
// least-needed columns are dropped. Cells are truncated and padded so every
// row is exactly as wide as the header.

import type { ThemeRole } from '../theme.js';
import { fit } from './format.js';

export interface ColumnSpec<K extends string = string> {
  key: K;
  title: string;
  width: number;
  align?: 'left' | 'right';
  /** Takes the width left over (at least `width`). At most one column. */
  flexible?: boolean;
  /** Dropped first when the table is too narrow: higher goes first; absent never. */
  dropPriority?: number;
}

export interface FittedColumn<K extends string = string> {
  key: K;
  title: string;
  width: number;
  align: 'left' | 'right';
}

export interface Cell {
  text: string;
  role: ThemeRole;
}

export const COLUMN_GAP = 1;

export function fitColumns<K extends string>(specs: readonly ColumnSpec<K>[], width: number): FittedColumn<K>[] {
  let kept = [...specs];
  const needed = (cols: readonly ColumnSpec<K>[]) => cols.reduce((sum, c) => sum + c.width, 0) + COLUMN_GAP * Math.max(0, cols.length - 1);
  while (needed(kept) > width) {
    const droppable = kept.filter((c) => c.dropPriority !== undefined);
    if (droppable.length === 0) break;
    const first = droppable.reduce((a, b) => ((b.dropPriority ?? 0) > (a.dropPriority ?? 0) ? b : a));
    kept = kept.filter((c) => c !== first);
  }
  const spare = Math.max(0, width - needed(kept));
  const fitted = kept.map((c) => ({ key: c.key, title: c.title, width: c.width + (c.flexible ? spare : 0), align: c.align ?? 'left' }));
  // Nothing flexible left, or still too wide: shrink from the right.
  let over = fitted.reduce((s, c) => s + c.width, 0) + COLUMN_GAP * Math.max(0, fitted.length - 1) - width;
  for (let i = fitted.length - 1; i >= 0 && over > 0; i--) {
    const cut = Math.min(over, Math.max(0, fitted[i]!.width - 1));
    fitted[i]!.width -= cut;
    over -= cut;
  }
  return fitted;
}

export function fitCells<K extends string>(columns: readonly FittedColumn<K>[], cells: Record<K, Cell>, ellipsis: string): Cell[] {
  return columns.map((c) => ({ text: fit(cells[c.key].text, c.width, c.align, ellipsis), role: cells[c.key].role }));
}

export function headerCells<K extends string>(columns: readonly FittedColumn<K>[]): Cell[] {
  return columns.map((c) => ({ text: fit(c.title, c.width, c.align, ''), role: 'muted' as ThemeRole }));
}

/** First row to show so that `selected` is visible in a window of `rows`. */
export function windowStart(count: number, rows: number, selected: number): number {
  if (count <= rows || rows <= 0) return 0;
  if (selected < 0) return 0;
  return Math.min(count - rows, Math.max(0, selected - rows + 1));
}
