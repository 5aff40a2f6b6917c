// The restore picker: every checkpoint, newest first, with the figures
// measured when it was taken, and a mark on those found damaged since.

import type { CheckpointView } from '../../state/applyEvent.js';
import { clockTime, formatCount, formatPercent } from './format.js';
import { fitCells, fitColumns, headerCells, windowStart, type Cell, type ColumnSpec, type FittedColumn } from './table.js';

export type PickerColumn = 'marker' | 'id' | 'time' | 'phase' | 'trigger' | 'loc' | 'pass';

export const PICKER_COLUMNS: readonly ColumnSpec<PickerColumn>[] = [
  { key: 'marker', title: '', width: 1 },
  { key: 'id', title: 'checkpoint', width: 14 },
  { key: 'time', title: 'time', width: 8 },
  { key: 'phase', title: 'phase', width: 10, flexible: true },
  { key: 'trigger', title: 'trigger', width: 10, dropPriority: 1 },
  { key: 'loc', title: 'LOC', width: 6, align: 'right' },
  { key: 'pass', title: 'pass', width: 5, align: 'right' },
];

export interface PickerModel {
  columns: FittedColumn<PickerColumn>[];
  header: Cell[];
  rows: { id: string; selected: boolean; cells: Cell[] }[];
  empty: boolean;
  hiddenAbove: number;
  hiddenBelow: number;
}

/** Checkpoints as the picker lists them: newest first. */
export function pickerOrder(checkpoints: readonly CheckpointView[]): CheckpointView[] {
  return [...checkpoints].reverse();
}

/** Where checkpoint `id` is listed (newest first); the top when it is not listed. */
export function pickerIndexOf(checkpoints: readonly CheckpointView[], id: string): number {
  return Math.max(0, pickerOrder(checkpoints).findIndex((c) => c.id === id));
}

export function pickerModel(
  checkpoints: readonly CheckpointView[],
  options: { index: number; width: number; rows: number; selectedMark: string; ellipsis: string },
): PickerModel {
  const ordered = pickerOrder(checkpoints);
  const columns = fitColumns(PICKER_COLUMNS, options.width);
  const start = windowStart(ordered.length, options.rows, options.index);
  const visible = ordered.slice(start, start + Math.max(0, options.rows));
  const rows = visible.map((c, i) => {
    const selected = start + i === options.index;
    const cells: Record<PickerColumn, Cell> = {
      // A damaged one is marked "!" (red), and so is its id: a restore of it is refused or falls back to the one before.
      marker: { text: selected ? options.selectedMark : c.damaged ? '!' : ' ', role: c.damaged && !selected ? 'critical' : 'accent' },
      id: { text: c.id, role: c.damaged ? 'critical' : selected ? 'accent' : 'text' },
      time: { text: clockTime(c.ts), role: 'muted' },
      phase: { text: c.phase, role: 'text' },
      trigger: { text: c.trigger, role: 'muted' },
      loc: { text: c.linesOfCode === null ? '–' : formatCount(c.linesOfCode), role: 'text' },
      pass: { text: formatPercent(c.testPassRate), role: c.testPassRate !== null && c.testPassRate < 1 ? 'warning' : 'text' },
    };
    return { id: c.id, selected, cells: fitCells(columns, cells, options.ellipsis) };
  });
  return { columns, header: headerCells(columns), rows, empty: ordered.length === 0, hiddenAbove: start, hiddenBelow: Math.max(0, ordered.length - start - visible.length) };
}
