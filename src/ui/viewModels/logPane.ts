// The log pane: session.log's tail, levels coloured, `/` filter with the
// matches highlighted, following the newest line unless scrolled back. Long
// lines wrap to the pane's width.

import type { LogLevel } from '../../contract/events.js';
import type { LogLine } from '../../state/applyEvent.js';
import { lastIndexAtOrBefore } from '../../state/uiState.js';
import type { ThemeRole } from '../theme.js';
import { clockTime, type Span } from './format.js';
import { clustersOf, isPlainAscii, textWidth } from './textCells.js';

export interface Range {
  start: number;
  end: number;
}

/** Case-insensitive, non-overlapping occurrences of `query` in `text`, in grapheme clusters (a highlight never splits 👩‍👩‍👧‍👦). */
export function matchRanges(text: string, query: string): Range[] {
  if (query === '') return [];
  const haystack = clustersOf(text).map((c) => c.text.toLowerCase());
  const needle = clustersOf(query).map((c) => c.text.toLowerCase());
  const ranges: Range[] = [];
  let at = 0;
  while (at + needle.length <= haystack.length) {
    if (needle.every((c, i) => haystack[at + i] === c)) {
      ranges.push({ start: at, end: at + needle.length });
      at += needle.length;
    } else at += 1;
  }
  return ranges;
}

export function logLineText(line: LogLine): string {
  if (line.level === null) return line.message;
  return `${clockTime(line.ts)} ${line.level.padEnd(5)} [${line.source}] ${line.message}`;
}

export function filterLog(lines: readonly LogLine[], filter: string): LogLine[] {
  if (filter === '') return lines as LogLine[];
  const needle = filter.toLowerCase();
  return lines.filter((line) => logLineText(line).toLowerCase().includes(needle));
}

export function levelRole(level: LogLevel | null): ThemeRole {
  return level === null ? 'text' : (`log.${level}` as ThemeRole);
}

/** Splits spans where highlight ranges (over their joined text) begin and end. */
export function highlightSpans(spans: readonly Span[], ranges: readonly Range[]): Span[] {
  if (ranges.length === 0) return [...spans];
  const out: Span[] = [];
  let offset = 0;
  for (const span of spans) {
    const chars = clustersOf(span.text).map((c) => c.text);
    let piece = '';
    let pieceHighlighted: boolean | null = null;
    chars.forEach((char, i) => {
      const at = offset + i;
      const highlighted = ranges.some((r) => at >= r.start && at < r.end);
      if (pieceHighlighted !== null && highlighted !== pieceHighlighted) {
        out.push({ text: piece, role: pieceHighlighted ? 'highlight' : span.role });
        piece = '';
      }
      piece += char;
      pieceHighlighted = highlighted;
    });
    if (piece !== '') out.push({ text: piece, role: pieceHighlighted ? 'highlight' : span.role });
    offset += chars.length;
  }
  return out;
}

/** The id of a row that is the pane's own note (no line matches the filter); log line ids start at 1. */
export const NOTE_ROW_ID = -1;

export interface LogRow {
  /** The log line's id; a wrapped line gives several rows the same id. NOTE_ROW_ID: the pane's own note, no line's. */
  id: number;
  /** Unique per row: the line's id and which of its rows this is. */
  key: string;
  spans: Span[];
}

export interface LogPaneModel {
  rows: LogRow[];
  following: boolean;
  /** Lines the filter lets through, and lines kept in all. */
  shown: number;
  total: number;
  /** "lines 120–135 of 400" when scrolled back. */
  position: string;
}

/** The row with `mark` at its end, within `width` columns (its last characters give way). */
function endWith(row: readonly Span[], mark: string, width: number): Span[] {
  const cells: { char: string; role: Span['role'] }[] = [];
  let room = Math.max(0, width - textWidth(mark));
  for (const span of row) {
    for (const { text, width: columns } of clustersOf(span.text)) {
      if (columns > room) break;
      room -= columns;
      cells.push({ char: text, role: span.role });
    }
  }
  cells.push({ char: mark, role: 'muted' });
  return mergeSpans(cells.map((cell) => ({ text: cell.char, role: cell.role })));
}

/** Continuation rows of a wrapped line start with this, so a line's start stands out. */
const WRAP_INDENT = '  ';

/**
 * Splits a line of spans into rows of at most `width` columns, at a space
 * where there is one in the row's second half (a long log line wraps rather
 * than being cut: nothing it says is lost at 80 columns).
 */
export function wrapSpans(spans: readonly Span[], width: number): Span[][] {
  const room = Math.max(1, width);
  // Most lines are printable ASCII that fits: one row, drawn the same as below, without a cell per character every frame.
  let length = 0;
  let plain = true;
  for (const span of spans) {
    length += span.text.length;
    plain &&= isPlainAscii(span.text);
  }
  if (plain && length <= room) return [mergeSpans(spans)];
  const cells: { char: string; width: number; role: Span['role'] }[] = [];
  let total = 0;
  for (const span of spans) {
    for (const { text, width: columns } of clustersOf(span.text)) {
      cells.push({ char: text, width: columns, role: span.role });
      total += columns;
    }
  }
  if (total <= room) return [mergeSpans(spans)];
  const indent = room > WRAP_INDENT.length * 4 ? WRAP_INDENT : '';
  const rows: Span[][] = [];
  let at = 0;
  do {
    const lead = rows.length === 0 ? '' : indent;
    const fits = room - lead.length;
    // The cells within the row's columns (a 2-column character at the edge goes on to the next row).
    let end = at;
    for (let used = 0; end < cells.length && used + cells[end]!.width <= fits; end++) used += cells[end]!.width;
    if (end === at) end = at + 1; // one 2-column character in a 1-column pane: drawn, not looped on
    let next = end;
    if (end < cells.length && cells[end]!.char !== ' ') {
      // Break after the last space of the row, if that keeps at least half of it.
      let before = columnsOf(cells, at, end);
      for (let i = end - 1; i > at; i--) {
        before -= cells[i]!.width; // the columns ahead of cell i
        if (before <= fits / 2) break;
        if (cells[i]!.char === ' ') {
          end = i;
          next = i + 1;
          break;
        }
      }
    } else if (end < cells.length) next = end + 1;
    const row: Span[] = lead ? [{ text: lead, role: 'muted' }] : [];
    for (const cell of cells.slice(at, end)) {
      const last = row[row.length - 1];
      if (last && last.role === cell.role && !(row.length === 1 && lead)) last.text += cell.char;
      else row.push({ text: cell.char, role: cell.role });
    }
    rows.push(row);
    at = next;
  } while (at < cells.length);
  return rows;
}

function columnsOf(cells: readonly { width: number }[], from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += cells[i]!.width;
  return sum;
}

/** Adjacent spans of one role as one, empty ones left out (as the cells give them). */
function mergeSpans(spans: readonly Span[]): Span[] {
  const row: Span[] = [];
  for (const span of spans) {
    if (span.text === '') continue;
    const last = row[row.length - 1];
    if (last && last.role === span.role) last.text += span.text;
    else row.push({ text: span.text, role: span.role });
  }
  return row;
}

function lineSpans(line: LogLine, filter: string): Span[] {
  const spans: Span[] =
    line.level === null
      ? [{ text: line.message, role: 'text' }]
      : [
          { text: `${clockTime(line.ts)} `, role: 'muted' },
          { text: line.level.padEnd(5), role: levelRole(line.level) },
          { text: ` [${line.source}] `, role: 'muted' },
          { text: line.message, role: line.level === 'ERROR' || line.level === 'WARN' ? levelRole(line.level) : 'text' },
        ];
  if (filter === '') return spans;
  const drawn = spans.map((s) => s.text).join('');
  return highlightSpans(spans, matchRanges(drawn, filter));
}

/** What the pane shows when the filter lets no line through (Esc clears the filter, typing or not). */
function noMatchRow(): LogRow {
  return { id: NOTE_ROW_ID, key: 'no-match', spans: [{ text: 'no line matches the filter (Esc clears it)', role: 'muted' }] };
}

type PaneOptions = { filter: string; anchorId: number | null; height: number; width: number; ellipsis?: string };

/** The lines the filter lets through and each one's rows at the pane's width, measured when asked. */
class LogColumn {
  readonly visible: LogLine[];
  readonly ids: number[];
  private readonly wrapped = new Map<number, Span[][]>();

  constructor(
    lines: readonly LogLine[],
    private readonly options: PaneOptions,
  ) {
    this.visible = filterLog(lines, options.filter);
    this.ids = this.visible.map((l) => l.id);
  }

  rowsOf(index: number): Span[][] {
    let rows = this.wrapped.get(index);
    if (rows === undefined) {
      rows = wrapSpans(lineSpans(this.visible[index]!, this.options.filter), this.options.width);
      this.wrapped.set(index, rows);
    }
    return rows;
  }

  height(index: number): number {
    return this.rowsOf(index).length;
  }

  /** The line at the pane's bottom for the anchor: the newest at or before it; one before every line shown puts the first at the top. */
  bottomFor(anchorId: number | null): number {
    if (anchorId === null) return this.visible.length - 1;
    return Math.max(0, lastIndexAtOrBefore(this.ids, anchorId));
  }

  /** The page with `bottom` at the bottom: its top line, and the line it shows last (below `bottom` when the first line is on top and rows are left). */
  page(bottom: number, rows: number): { top: number; last: number; topWhole: boolean } {
    let used = 0;
    let top = bottom;
    for (let i = bottom; i >= 0 && used < rows; i--) {
      used += this.height(i);
      top = i;
    }
    let last = bottom;
    for (let i = bottom + 1; i < this.visible.length && used < rows; i++) {
      used += this.height(i);
      last = i;
    }
    return { top, last, topWhole: top === bottom || this.rowsAbove(top, bottom) <= rows };
  }

  private rowsAbove(top: number, bottom: number): number {
    let sum = 0;
    for (let i = top; i <= bottom; i++) sum += this.height(i);
    return sum;
  }
}

/**
 * The pane's rows: the line at the anchor (or the newest) at the bottom, the
 * lines before it above, each wrapped to the width, as many as `height` rows
 * hold. Every line shown starts with its head: one that does not fit whole
 * (the top one) shows its first rows, cut with an ellipsis. At the first
 * line, rows left below the anchor show the lines after it.
 */
export function logPaneModel(lines: readonly LogLine[], options: PaneOptions): LogPaneModel {
  const column = new LogColumn(lines, options);
  const { visible } = column;
  const height = Math.max(0, options.height);
  const bottom = column.bottomFor(options.anchorId);
  const following = options.anchorId === null || bottom >= visible.length - 1;
  const ellipsis = options.ellipsis ?? '…';
  const rowsOf = (index: number, room: number): LogRow[] => {
    const wrapped = column.rowsOf(index).map((parts, part) => ({ id: visible[index]!.id, key: `${visible[index]!.id}.${part}`, spans: parts }));
    if (wrapped.length > room) {
      // A line taller than the rows left (the bottom line in a short tmux
      // split, or the top line as it scrolls out of sight) shows its head,
      // with its time and level, cut with an ellipsis: a row from its middle
      // ("  tokens") at the top of the pane would say neither when nor who.
      wrapped.length = room;
      const last = wrapped[room - 1]!;
      last.spans = endWith(last.spans, ellipsis, options.width);
    }
    return wrapped;
  };
  const rows: LogRow[] = [];
  let top = bottom + 1;
  for (let i = bottom; i >= 0 && rows.length < height; i--) {
    rows.unshift(...rowsOf(i, height - rows.length));
    top = i;
  }
  // Paged back to the first line: the rows it leaves show what came next, not a blank.
  let last = bottom;
  for (let i = bottom + 1; i < visible.length && rows.length < height && !following; i++) {
    rows.push(...rowsOf(i, height - rows.length));
    last = i;
  }
  // A blank pane under `filter "zzz" 0/67` reads as a broken console: say why it is empty, and the way out.
  if (visible.length === 0 && options.filter !== '' && height > 0) rows.push(noMatchRow());
  const position = following ? 'follow' : `${top + 1}–${last + 1} of ${visible.length}`;
  return { rows, following, shown: visible.length, total: lines.length, position };
}

/**
 * The anchor (the id of the line at the pane's bottom; null follows the
 * newest) a page up or down from `options.anchorId` gives. Pages are
 * counted in rows, as the pane draws them: a line wrapped onto three rows
 * takes three. Pages overlap by a line (the top line of the page left is
 * the bottom one of the page up, whole), and the first line can be paged
 * to, whole at the top.
 */
export function logPageAnchor(lines: readonly LogLine[], options: PaneOptions, direction: -1 | 1): number | null {
  const column = new LogColumn(lines, options);
  const count = column.visible.length;
  const height = Math.max(1, options.height);
  if (count === 0) return options.anchorId;
  const bottom = column.bottomFor(options.anchorId);
  const { top, last, topWhole } = column.page(bottom, height);
  if (direction < 0) {
    if (top === 0 && topWhole) return options.anchorId; // the first line is on top, whole: nothing above
    // The top line (cut or whole) goes to the bottom; one line taller than the pane steps back a line.
    const next = top < bottom ? top : bottom - 1;
    return column.ids[Math.max(0, next)]!;
  }
  if (last >= count - 1) return null;
  // The bottom line goes to the top, and the page runs on down from it as far as whole lines fill it.
  const newTop = last > top ? last : last + 1;
  let newBottom = newTop;
  for (let used = column.height(newTop); newBottom + 1 < count && used + column.height(newBottom + 1) <= height; ) used += column.height(++newBottom);
  if (newBottom <= last) newBottom = last + 1;
  return newBottom >= count - 1 ? null : column.ids[newBottom]!;
}
