// The alerts pane: errors, recoveries, limits, restores, newest first. Each
// alert takes a row; rows the pane has to spare go to the newest ones, so an
// alert that says what to do ("… Invalid API key · Please run /login —
// paused; continue with …") is read whole when there is room.

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

/** At most this many rows for one alert. */
const ROWS_PER_ALERT = 3;

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

export function alertRows(alerts: readonly AlertView[], options: { rows: number; width: number; ellipsis: string }): AlertRow[] {
  const newest = alerts.slice(Math.max(0, alerts.length - options.rows)).reverse();
  // "HH:MM:SS " takes nine columns.
  const room = Math.max(1, options.width - 9);
  let spare = Math.max(0, options.rows - newest.length);
  const rows: AlertRow[] = [];
  for (const alert of newest) {
    const needed = Math.min(ROWS_PER_ALERT, wrapSpans([{ text: alert.text, role: 'text' }], room, ROWS_PER_ALERT).length);
    const given = 1 + Math.min(spare, needed - 1);
    spare -= given - 1;
    const role = alertRole(alert.tone);
    wrapSpans([{ text: alert.text, role }], room, given, options.ellipsis).forEach((line, index) => {
      rows.push({ key: `${alert.seq}.${index}`, seq: alert.seq, time: index === 0 ? clockTime(alert.ts) : ' '.repeat(8), text: line.map((span) => span.text).join(''), role });
    });
  }
  return rows;
}
