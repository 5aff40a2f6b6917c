// The log pane: session.log's tail, levels coloured, `/` filter with the
// matches highlighted, following the newest line unless scrolled back.

import type { LogLevel } from '../../contract/events.js';
import type { LogLine } from '../../state/applyEvent.js';
import { lastIndexAtOrBefore } from '../../state/uiState.js';
import type { ThemeRole } from '../theme.js';
import { clipSpans, clockTime, type Span } from './format.js';

export interface Range {
  start: number;
  end: number;
}

/** Case-insensitive, non-overlapping occurrences of `query` in `text`, in code points. */
export function matchRanges(text: string, query: string): Range[] {
  if (query === '') return [];
  const haystack = [...text].map((c) => c.toLowerCase());
  const needle = [...query].map((c) => c.toLowerCase());
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
    const chars = [...span.text];
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

export interface LogRow {
  id: number;
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
  /** Ids of the lines the filter lets through, oldest first (for paging). */
  visibleIds: number[];
}

export function logPaneModel(lines: readonly LogLine[], options: { filter: string; anchorId: number | null; height: number; width: number }): LogPaneModel {
  const visible = filterLog(lines, options.filter);
  const visibleIds = visible.map((l) => l.id);
  const height = Math.max(0, options.height);
  let bottom = visible.length - 1;
  if (options.anchorId !== null) {
    const at = lastIndexAtOrBefore(visibleIds, options.anchorId);
    bottom = at < 0 ? Math.min(visible.length - 1, height - 1) : at;
  }
  const top = Math.max(0, bottom - height + 1);
  const window = visible.slice(top, bottom + 1);
  const following = options.anchorId === null || bottom >= visible.length - 1;
  // Measure matches on the line as drawn (after clipping) so highlights line up.
  const rows = window.map((line) => {
    const spans: Span[] =
      line.level === null
        ? [{ text: line.message, role: 'text' }]
        : [
            { text: `${clockTime(line.ts)} `, role: 'muted' },
            { text: line.level.padEnd(5), role: levelRole(line.level) },
            { text: ` [${line.source}] `, role: 'muted' },
            { text: line.message, role: line.level === 'ERROR' || line.level === 'WARN' ? levelRole(line.level) : 'text' },
          ];
    const clipped = clipSpans(spans, options.width);
    const drawn = clipped.map((s) => s.text).join('');
    return { id: line.id, spans: highlightSpans(clipped, matchRanges(drawn, options.filter)) };
  });
  const position = following ? 'follow' : `${top + 1}–${bottom + 1} of ${visible.length}`;
  return { rows, following, shown: visible.length, total: lines.length, position, visibleIds };
}
