// Small pure formatters shared by the view-models. Widths count code points:
// what the console draws (names, tasks, log text) is overwhelmingly
// single-width; a wide character may overrun its cell by one column, never
// break the layout, because every line is also cut by Ink's truncate wrap.

import type { ThemeRole } from '../theme.js';

/** A run of text in one role: what a component draws as one <Text>. */
export interface Span {
  text: string;
  role: ThemeRole;
}

export function textWidth(text: string): number {
  let width = 0;
  for (const _ of text) width += 1;
  return width;
}

/** Cuts `text` to `width` columns, ending with `ellipsis` when it was cut. */
export function truncate(text: string, width: number, ellipsis = '…'): string {
  if (width <= 0) return '';
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= ellipsis.length) return chars.slice(0, width).join('');
  return chars.slice(0, width - ellipsis.length).join('') + ellipsis;
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

/** Cuts a line of spans to `width` columns (no ellipsis). */
export function clipSpans(spans: readonly Span[], width: number): Span[] {
  const out: Span[] = [];
  let left = width;
  for (const span of spans) {
    if (left <= 0) break;
    const chars = [...span.text];
    if (chars.length <= left) {
      out.push(span);
      left -= chars.length;
    } else {
      out.push({ text: chars.slice(0, left).join(''), role: span.role });
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
  const cut = clipSpans(spans, Math.max(0, width - textWidth(ellipsis)));
  const last = cut[cut.length - 1];
  return [...cut, { text: ellipsis, role: last?.role ?? 'muted' }];
}

const ASCII_STAND_INS: Record<string, string> = {
  '—': '-', '–': '-', '’': "'", '‘': "'", '“': '"', '”': '"', '…': '~', '·': '.', '→': '>', '←': '<', '↑': '^', '↓': 'v', '▌': '_', '×': 'x',
};

/** One ASCII character for each non-ASCII one, so widths stay as laid out. */
export function toAscii(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return text;
  return [...text].map((c) => (c.charCodeAt(0) < 0x80 ? c : (ASCII_STAND_INS[c] ?? '?'))).join('');
}

/**
 * Lays a line of spans out over at most `maxRows` rows of `width` columns:
 * a row ends at "\n" or at its last space that fits (the space dropped),
 * and a word wider than a row is cut where the row ends. What still does
 * not fit ends the last row with `ellipsis`. For the few lines a person
 * must read whole (a command to copy), never for lines that scroll.
 */
export function wrapSpans(spans: readonly Span[], width: number, maxRows: number, ellipsis = '…'): Span[][] {
  const chars: { char: string; role: Span['role'] }[] = [];
  for (const span of spans) for (const char of span.text) chars.push({ char, role: span.role });
  const rows: Span[][] = [];
  let start = 0;
  let lastStart = 0;
  while (start < chars.length && rows.length < maxRows) {
    lastStart = start;
    let newline = -1;
    for (let i = start; i < chars.length && i <= start + width; i += 1) {
      if (chars[i]!.char === '\n') {
        newline = i;
        break;
      }
    }
    let end = newline === -1 ? Math.min(chars.length, start + width) : newline;
    let next = newline === -1 ? end : newline + 1;
    if (newline === -1 && end < chars.length) {
      // Break at the last space of the row, when the row has one past its start.
      const space = chars[end]!.char === ' ' ? end : lastSpace(chars, start, end);
      if (space > start) {
        end = space;
        next = space + 1;
      }
    }
    rows.push(spansOf(chars.slice(start, end)));
    start = next;
  }
  if (start < chars.length) {
    // More than the rows hold: the last row shows what fits of the rest, cut with the ellipsis.
    const rest = chars.slice(lastStart).map(({ char, role }) => ({ char: char === '\n' ? ' ' : char, role }));
    rows[rows.length - 1] = clipSpansWithEllipsis(spansOf(rest), width, ellipsis);
  }
  return rows.length === 0 ? [[]] : rows;
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
  const room = Math.max(1, width - indent.length);
  const out: string[] = [];
  let line: string[] = [];
  for (const word of text.split(' ')) {
    let chars = [...word];
    if (line.length > 0 && line.length + 1 + chars.length <= room) {
      line.push(' ', ...chars);
      continue;
    }
    if (line.length > 0) out.push(indent + line.join(''));
    while (chars.length > room) {
      out.push(indent + chars.slice(0, room).join(''));
      chars = chars.slice(room);
    }
    line = chars;
  }
  if (line.length > 0 || out.length === 0) out.push(indent + line.join(''));
  return out;
}
