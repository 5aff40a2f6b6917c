// Small pure formatters shared by the view-models. Widths are terminal
// columns and text is cut between grapheme clusters (textCells.ts): agents
// print emoji and CJK, and a cell measured in code points overran its
// column, shifted the row and wrapped the frame past the screen.

import type { ThemeRole } from '../theme.js';
import { clustersOf, headWithin, textWidth, type Cluster } from './textCells.js';

export { textWidth } from './textCells.js';

/** A run of text in one role: what a component draws as one <Text>. */
export interface Span {
  text: string;
  role: ThemeRole;
}

/** Cuts `text` to `width` columns, ending with `ellipsis` when it was cut; exactly `width` columns when cut. */
export function truncate(text: string, width: number, ellipsis = '…'): string {
  if (width <= 0) return '';
  const total = textWidth(text);
  if (total <= width) return text;
  const ellipsisWidth = textWidth(ellipsis);
  if (width <= ellipsisWidth) return padTo(headWithin(text, width), width);
  // A 2-column character that would straddle the edge gives way to a space after the ellipsis.
  const head = headWithin(text, width - ellipsisWidth);
  return head.text + ellipsis + ' '.repeat(width - ellipsisWidth - head.width);
}

function padTo(head: { text: string; width: number }, width: number): string {
  return head.text + ' '.repeat(Math.max(0, width - head.width));
}

/** Truncates and pads to exactly `width` columns. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left', ellipsis = '…'): string {
  const cut = truncate(text, width, ellipsis);
  const pad = ' '.repeat(Math.max(0, width - textWidth(cut)));
  return align === 'left' ? cut + pad : pad + cut;
}

export function spansWidth(spans: readonly Span[]): number {
  return spans.reduce((sum, s) => sum + textWidth(s.text), 0);
}

/** Cuts a line of spans to `width` columns (no ellipsis); where a 2-column character does not fit, a space takes its column. */
export function clipSpans(spans: readonly Span[], width: number): Span[] {
  const out = clipWithin(spans, width);
  const short = width - spansWidth(out);
  if (short > 0 && spans.length > 0 && spansWidth(spans) > width) out.push({ text: ' '.repeat(short), role: (out[out.length - 1] ?? spans[0]!).role });
  return out;
}

/** The spans that fit in `width` columns, whole clusters only. */
function clipWithin(spans: readonly Span[], width: number): Span[] {
  const out: Span[] = [];
  let left = width;
  for (const span of spans) {
    if (left <= 0) break;
    const spanWidth = textWidth(span.text);
    if (spanWidth <= left) {
      out.push(span);
      left -= spanWidth;
    } else {
      const head = headWithin(span.text, left);
      if (head.text !== '') out.push({ text: head.text, role: span.role });
      left = 0;
    }
  }
  return out;
}

/** 45s, 12m05s, 1h02m, 2d03h (src/state/durationText.ts: as `ls` and `compare` write it). */
export { compactDuration as formatDuration } from '../../state/durationText.js';

/** $0.247, $3.42, $128: an amount in dollars in 4 to 7 columns, to a tenth of a cent below one dollar. */
export function formatUsd(value: number): string {
  if (value < 1) return `$${value.toFixed(3)}`;
  if (value < 100) return `$${value.toFixed(2)}`;
  return `$${Math.round(value)}`;
}

/** 950, 12.3k, 4.56M: at most 5 columns for any count below 10^12. */
export function formatCount(value: number): string {
  const abs = Math.abs(value);
  const sign = value < 0 ? '-' : '';
  const scaled = (n: number, suffix: string) => {
    const digits = n < 10 ? 2 : n < 100 ? 1 : 0;
    return `${sign}${n.toFixed(digits)}${suffix}`;
  };
  if (abs < 1000) return `${sign}${Number.isInteger(abs) ? abs : abs.toFixed(abs < 10 ? 1 : 0)}`;
  if (abs < 1e6) return scaled(abs / 1e3, 'k');
  if (abs < 1e9) return scaled(abs / 1e6, 'M');
  return scaled(abs / 1e9, 'G');
}

export function formatPercent(fraction: number | null): string {
  return fraction === null ? '–' : `${Math.round(fraction * 100)}%`;
}

/** HH:MM:SS of an ISO time, in UTC like session.log itself, so the two read alike. */
export function clockTime(iso: string | null): string {
  if (iso === null) return '--:--:--';
  const match = /T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return match ? match[1]! : '--:--:--';
}

/** Cuts a line of spans to `width` columns, ending with `ellipsis` when something was cut. */
export function clipSpansWithEllipsis(spans: readonly Span[], width: number, ellipsis: string): Span[] {
  if (spansWidth(spans) <= width) return [...spans];
  const room = Math.max(0, width - textWidth(ellipsis));
  const cut = clipWithin(spans, room);
  const last = cut[cut.length - 1];
  // A 2-column character that would straddle the edge gives way to a space after the ellipsis.
  const short = room - spansWidth(cut);
  return [...cut, { text: ellipsis + ' '.repeat(short), role: last?.role ?? 'muted' }];
}

const ASCII_STAND_INS: Record<string, string> = {
  '—': '-', '–': '-', '’': "'", '‘': "'", '“': '"', '”': '"', '…': '~', '·': '.', '→': '>', '←': '<', '↑': '^', '↓': 'v', '▌': '_', '×': 'x',
};

/** ASCII for each character, as many columns as it took (👩‍👩‍👧‍👦 is "??", not seven), so widths stay as laid out. */
export function toAscii(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return text;
  return clustersOf(text)
    .map(({ text: c, width }) => {
      // eslint-disable-next-line no-control-regex
      if (/^[\x00-\x7f]+$/.test(c)) return c;
      if (c.charCodeAt(0) < 0x80 && width === 1) return c[0]!; // e and a combining accent: the e
      return ASCII_STAND_INS[c] ?? '?'.repeat(width);
    })
    .join('');
}

/**
 * Lays a line of spans out over at most `maxRows` rows of `width` columns:
 * a row ends at "\n" or at its last space that fits (the space dropped),
 * and a word wider than a row is cut where the row ends. What still does
 * not fit ends the last row with `ellipsis`. For the few lines a person
 * must read whole (a command to copy), never for lines that scroll.
 */
export function wrapSpans(spans: readonly Span[], width: number, maxRows: number, ellipsis = '…'): Span[][] {
  const chars = spanCells(spans);
  const rows: Span[][] = [];
  let start = 0;
  let lastStart = 0;
  while (start < chars.length && rows.length < maxRows) {
    lastStart = start;
    let newline = -1;
    let end = start;
    for (let used = 0; end < chars.length; end += 1) {
      const cell = chars[end]!;
      if (isNewline(cell.char)) {
        newline = end;
        break;
      }
      if (used + cell.width > width) break;
      used += cell.width;
    }
    let next = newline === -1 ? end : newline + 1;
    if (newline === -1 && end < chars.length) {
      // Break at the last space of the row, when the row has one past its start.
      const space = chars[end]!.char === ' ' ? end : lastSpace(chars, start, end);
      if (space > start) {
        end = space;
        next = space + 1;
      } else if (end === start) next = end + 1; // a 2-column character in a 1-column row: left out, not looped on
    }
    rows.push(spansOf(chars.slice(start, end)));
    start = next;
  }
  if (start < chars.length) {
    // More than the rows hold: the last row shows what fits of the rest, cut with the ellipsis.
    const rest = chars.slice(lastStart).map((cell) => (isNewline(cell.char) ? { ...cell, char: ' ' } : cell));
    rows[rows.length - 1] = clipSpansWithEllipsis(spansOf(rest), width, ellipsis);
  }
  return rows.length === 0 ? [[]] : rows;
}

interface SpanCell {
  char: string;
  width: number;
  role: Span['role'];
}

/** The spans' clusters, each with its width and role. */
function spanCells(spans: readonly Span[]): SpanCell[] {
  const cells: SpanCell[] = [];
  for (const span of spans) for (const { text, width } of clustersOf(span.text)) cells.push({ char: text, width, role: span.role });
  return cells;
}

function isNewline(char: string): boolean {
  return char === '\n' || char === '\r\n';
}

function lastSpace(chars: readonly { char: string }[], start: number, end: number): number {
  for (let i = end - 1; i > start; i -= 1) if (chars[i]!.char === ' ') return i;
  return -1;
}

function spansOf(chars: readonly { char: string; role: Span['role'] }[]): Span[] {
  const out: Span[] = [];
  for (const { char, role } of chars) {
    const last = out[out.length - 1];
    if (last !== undefined && last.role === role) last.text += char;
    else out.push({ text: char, role });
  }
  return out;
}

/** text in lines of `width` after `indent`, broken at spaces (a word longer than a line is cut where the line ends). */
export function wrapText(text: string, width: number, indent: string): string[] {
  const room = Math.max(1, width - textWidth(indent));
  const out: string[] = [];
  let line = '';
  let lineWidth = 0;
  for (const word of text.split(' ')) {
    let rest: readonly Cluster[] = clustersOf(word);
    let restWidth = textWidth(word);
    if (line !== '' && lineWidth + 1 + restWidth <= room) {
      line += ' ' + word;
      lineWidth += 1 + restWidth;
      continue;
    }
    if (line !== '') out.push(indent + line);
    while (restWidth > room) {
      // A word wider than a line: as much of it as fits, whole characters (at least one, so a 2-column one in 1 column ends).
      let used = 0;
      let taken = 0;
      while (taken < rest.length && used + rest[taken]!.width <= room) used += rest[taken++]!.width;
      if (taken === 0) taken = 1;
      out.push(indent + rest.slice(0, taken).map((c) => c.text).join(''));
      rest = rest.slice(taken);
      restWidth = rest.reduce((sum, c) => sum + c.width, 0);
    }
    line = rest.map((c) => c.text).join('');
    lineWidth = restWidth;
  }
  if (line !== '' || out.length === 0) out.push(indent + line);
  return out;
}
