// The alerts pane: errors, recoveries, limits, restores, newest first.

import { assertNever } from '../../contract/assertNever.js';
import type { AlertTone, AlertView } from '../../state/applyEvent.js';
import type { ThemeRole } from '../theme.js';
import { clockTime, truncate } from './format.js';

export interface AlertRow {
  seq: number;
  time: string;
  text: string;
  role: ThemeRole;
}

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
  return newest.map((a) => ({ seq: a.seq, time: clockTime(a.ts), text: truncate(a.text, Math.max(0, options.width - 9), options.ellipsis), role: alertRole(a.tone) }));
}
