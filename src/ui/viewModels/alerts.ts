// The alerts pane: errors, recoveries, limits, restores, newest first. Each
// alert is wrapped onto the rows it needs (up to ALERT_MAX_ROWS), so one that
// says what to do ("… Invalid API key · Please run /login — paused; continue
// with …") is read whole however many alerts there are; the pane shows as
// many as fit from its top alert. Where Tab puts the pane in the log's place,
// PgUp and PgDn page through the older ones (alertsPageUp, alertsPageDown).

import { assertNever } from '../../contract/assertNever.js';
import type { AlertTone, AlertView } from '../../state/applyEvent.js';
import type { ThemeRole } from '../theme.js';
import { clockTime, wrapSpans } from './format.js';

export interface AlertRow {
  /** Unique per row: the alert's seq, and the row's place in it. */
  key: string;
  seq: number;
  /** HH:MM:SS on an alert's first row, blank on the rows it continues on. */
  time: string;
  text: string;
  role: ThemeRole;
}

export interface AlertsPage {
  rows: AlertRow[];
  /** Places (1 is the newest) of the first and last alert on the page (0 and 0 with none). */
  first: number;
  last: number;
  total: number;
}

export interface AlertsPane {
  rows: number;
  width: number;
}

/**
 * At most this many rows for one alert: room for the longest a person must
 * act on (an auto-pause alert is about 150 characters: 5 rows beside the log
 * at 120 columns), while a 4 KB error message still leaves the pane to others.
 */
export const ALERT_MAX_ROWS = 8;

/** "HH:MM:SS " before each alert's text. */
const TIME_COLUMNS = 9;

export function alertRole(tone: AlertTone): ThemeRole {
  switch (tone) {
    case 'info':
      return 'info';
    case 'good':
      return 'good';
    case 'warning':
      return 'warning';
    case 'critical':
      return 'critical';
    default:
      return assertNever(tone, 'alert tone');
  }
}

/**
 * The alerts newest first, and the rows each takes in a pane, measured only
 * when asked: paging looks at a page or two of a list of up to 200.
 */
class AlertColumn {
  readonly newestFirst: readonly AlertView[];
  private readonly heights = new Map<number, number>();
  readonly room: number;
  readonly rows: number;

  constructor(alerts: readonly AlertView[], pane: AlertsPane) {
    this.newestFirst = [...alerts].reverse();
    this.room = Math.max(1, pane.width - TIME_COLUMNS);
    this.rows = Math.max(0, pane.rows);
  }

  /** Rows the alert at `index` takes: what its text needs, at most ALERT_MAX_ROWS and the pane's. */
  height(index: number): number {
    let height = this.heights.get(index);
    if (height === undefined) {
      const limit = Math.max(1, Math.min(ALERT_MAX_ROWS, this.rows));
      height = wrapSpans([{ text: this.newestFirst[index]!.text, role: 'text' }], this.room, limit).length;
      this.heights.set(index, height);
    }
    return height;
  }

  /** The top alert for an anchor: the newest at or before the anchor's seq, no further down than the last page's top. */
  topFor(anchorSeq: number | null): number {
    const count = this.newestFirst.length;
    if (anchorSeq === null || count === 0) return 0;
    let top = this.newestFirst.findIndex((alert) => alert.seq <= anchorSeq);
    if (top < 0) top = count - 1;
    return Math.min(top, this.lastTop());
  }

  /** The top of the last page: from it, the oldest alerts fill the pane whole. */
  lastTop(): number {
    let top = this.newestFirst.length - 1;
    let used = top < 0 ? 0 : this.height(top);
    while (top > 0 && used + this.height(top - 1) <= this.rows) {
      top -= 1;
      used += this.height(top);
    }
    return Math.max(0, top);
  }

  /** Alerts on the page from `top`: the index of the last, and whether it is shown whole. */
  pageEnd(top: number): { last: number; whole: boolean } {
    let used = 0;
    let index = top;
    for (; index < this.newestFirst.length && used < this.rows; index += 1) used += this.height(index);
    return { last: index - 1, whole: used <= this.rows };
  }

  anchorOf(top: number): number | null {
    return top <= 0 ? null : this.newestFirst[top]!.seq;
  }
}

/**
 * The page of alerts from the one at `anchorSeq` (null: the newest) down,
 * each wrapped whole, as many as `rows` hold; the last, if it does not fit
 * whole, shows its first rows, cut with the ellipsis.
 */
export function alertsPage(alerts: readonly AlertView[], options: AlertsPane & { anchorSeq: number | null; ellipsis: string }): AlertsPage {
  const column = new AlertColumn(alerts, options);
  const top = column.topFor(options.anchorSeq);
  const rows: AlertRow[] = [];
  let index = top;
  for (; index < column.newestFirst.length && rows.length < column.rows; index += 1) {
    const alert = column.newestFirst[index]!;
    const given = Math.min(column.height(index), column.rows - rows.length);
    const role = alertRole(alert.tone);
    wrapSpans([{ text: alert.text, role }], column.room, given, options.ellipsis).forEach((line, place) => {
      rows.push({ key: `${alert.seq}.${place}`, seq: alert.seq, time: place === 0 ? clockTime(alert.ts) : ' '.repeat(8), text: line.map((span) => span.text).join(''), role });
    });
  }
  const shown = index - top;
  return { rows, first: shown > 0 ? top + 1 : 0, last: shown > 0 ? index : 0, total: alerts.length };
}

/** The anchor PgDn sets: the page starts at the first alert the page from `anchorSeq` does not show whole (unchanged at the oldest). */
export function alertsPageDown(alerts: readonly AlertView[], anchorSeq: number | null, pane: AlertsPane): number | null {
  const column = new AlertColumn(alerts, pane);
  const top = column.topFor(anchorSeq);
  const end = column.pageEnd(top);
  const next = Math.min(column.lastTop(), Math.max(top + 1, end.whole ? end.last + 1 : end.last));
  return next <= top ? anchorSeq : column.anchorOf(next);
}

/** The anchor PgUp sets: the page of newer alerts that ends just above the page from `anchorSeq` (null: the newest). */
export function alertsPageUp(alerts: readonly AlertView[], anchorSeq: number | null, pane: AlertsPane): number | null {
  const column = new AlertColumn(alerts, pane);
  let top = column.topFor(anchorSeq);
  if (top === 0) return null;
  top -= 1;
  let used = column.height(top);
  while (top > 0 && used + column.height(top - 1) <= column.rows) {
    top -= 1;
    used += column.height(top);
  }
  return column.anchorOf(top);
}

/**
 * The pane's title: how many alerts, or which of them when paged back from
 * the newest ("6–10 of 24"); in the log's place, the keys that page it when
 * some are out of sight, and the way back to the log.
 */
export function alertsTitleDetail(page: AlertsPage, options: { inLogPlace: boolean }): string {
  const parts = [page.first > 1 ? `${page.first}–${page.last} of ${page.total}` : page.total > 0 ? String(page.total) : 'none'];
  if (options.inLogPlace && (page.first > 1 || page.last < page.total)) parts.push('PgUp/PgDn scroll');
  if (options.inLogPlace) parts.push('Tab shows the log');
  return parts.join(' · ');
}
