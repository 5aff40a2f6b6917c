// The alerts pane's view-model: every alert shown is wrapped onto the rows it
// needs (up to ALERT_MAX_ROWS), newest first, and the pane pages through the
// older ones (PgUp/PgDn/End when Tab puts the alerts in the log's place).

import { describe, expect, it } from 'vitest';
import type { AlertView } from '../../../src/state/applyEvent.js';
import { ALERT_MAX_ROWS, alertsPage, alertsPageDown, alertsPageUp, alertsTitleDetail } from '../../../src/ui/viewModels/alerts.js';
import { clockTime, wrapSpans } from '../../../src/ui/viewModels/format.js';

/** "HH:MM:SS " before each alert's text. */
const TIME_COLUMNS = 9;
const PAUSED = 'consensus_deadlock on agent-2: consensus deadlock: no quorum after voting timeout — paused; continue with `megatest continue` or the console\'s p key';

function alert(seq: number, text: string, tone: AlertView['tone'] = 'warning'): AlertView {
  return { seq, ts: new Date(Date.UTC(2026, 11, 6, 12, 0, seq)).toISOString(), kind: 'error', tone, text, agent: null };
}

/** Alerts of one to three rows at 80 columns, oldest first, the auto-pause one newest. */
function manyAlerts(count: number): AlertView[] {
  const alerts = Array.from({ length: count }, (_, i) => alert(i + 1, `agent-${(i % 3) + 1}: rate_limit #${i + 1} ${'retrying after backoff '.repeat(i % 5)}done`));
  return [...alerts, alert(count + 1, PAUSED, 'critical')];
}

/** Each alert's text as the pane shows it: its rows joined back together. */
function textsShown(rows: readonly { seq: number; text: string }[]): Map<number, string> {
  const texts = new Map<number, string>();
  for (const row of rows) texts.set(row.seq, texts.has(row.seq) ? `${texts.get(row.seq)} ${row.text}` : row.text);
  return texts;
}

describe('alerts pane: wrapped, not cut', () => {
  for (const [where, width, rows] of [['in the log’s place at 80x24', 80, 5], ['beside the log at 120x40', 42, 12]] as const) {
    it(`${where}: with many alerts, the newest is read whole, and every alert above the pane's last is too`, () => {
      const alerts = manyAlerts(30);
      const page = alertsPage(alerts, { anchorSeq: null, rows, width, ellipsis: '…' });
      expect(page.rows).toHaveLength(rows);
      const texts = textsShown(page.rows);
      const shown = [...texts.keys()];
      expect(shown[0]).toBe(alerts.at(-1)!.seq);
      expect(texts.get(shown[0]!)).toBe(PAUSED);
      for (const seq of shown.slice(0, -1)) expect(texts.get(seq)).toBe(alerts.find((a) => a.seq === seq)!.text);
      // An alert's first row has its time; the rows it continues on are blank there.
      for (const row of page.rows) {
        const first = page.rows.find((r) => r.seq === row.seq) === row;
        expect(row.time).toBe(first ? clockTime(alerts.find((a) => a.seq === row.seq)!.ts) : ' '.repeat(8));
        expect([...row.text].length).toBeLessThanOrEqual(width - TIME_COLUMNS);
      }
      expect(page).toMatchObject({ first: 1, last: shown.length, total: alerts.length });
    });
  }

  it(`an alert longer than ${ALERT_MAX_ROWS} rows takes ${ALERT_MAX_ROWS}, its last cut with the ellipsis`, () => {
    const long = alert(2, 'word '.repeat(400).trim());
    const page = alertsPage([alert(1, 'older'), long], { anchorSeq: null, rows: 40, width: 80, ellipsis: '~' });
    expect(page.rows.filter((r) => r.seq === long.seq)).toHaveLength(ALERT_MAX_ROWS);
    expect(page.rows.filter((r) => r.seq === long.seq).at(-1)!.text.endsWith('~')).toBe(true);
    expect(page.rows.at(-1)!.text).toBe('older');
  });

  it('the last alert that does not fit whole shows its head, cut with the ellipsis', () => {
    const alerts = [alert(1, PAUSED), alert(2, 'newest')];
    const needed = wrapSpans([{ text: PAUSED, role: 'text' }], 80 - TIME_COLUMNS, ALERT_MAX_ROWS).length;
    const page = alertsPage(alerts, { anchorSeq: null, rows: needed, width: 80, ellipsis: '~' });
    expect(page.rows.map((r) => r.key)).toEqual(['2.0', ...Array.from({ length: needed - 1 }, (_, i) => `1.${i}`)]);
    expect(page.rows.at(-1)!.text.endsWith('~')).toBe(true);
  });
});

describe('alerts pane: paging', () => {
  const alerts = manyAlerts(30);
  const pane = { rows: 5, width: 80 };
  const pageAt = (anchorSeq: number | null) => alertsPage(alerts, { anchorSeq, ...pane, ellipsis: '…' });

  it('PgDn pages to older alerts until the oldest, each alert read whole on some page; PgUp pages back to the newest', () => {
    const seen = new Map<number, string>();
    const anchors: (number | null)[] = [null];
    for (;;) {
      const page = pageAt(anchors.at(-1)!);
      for (const [seq, text] of textsShown(page.rows)) if (text === alerts.find((a) => a.seq === seq)!.text) seen.set(seq, text);
      const next = alertsPageDown(alerts, anchors.at(-1)!, pane);
      if (next === anchors.at(-1)) break;
      anchors.push(next);
      expect(anchors.length).toBeLessThanOrEqual(alerts.length);
    }
    expect([...seen.keys()].sort((a, b) => a - b)).toEqual(alerts.map((a) => a.seq));
    const last = pageAt(anchors.at(-1)!);
    expect(last.rows.at(-1)!.seq).toBe(alerts[0]!.seq);
    expect(last.last).toBe(alerts.length);
    expect(last.first).toBeGreaterThan(1);
    // Back up, a page at a time, to the newest (null: the pane shows new alerts as they come).
    let anchor: number | null = anchors.at(-1)!;
    for (let i = 0; anchor !== null; i += 1) {
      expect(i).toBeLessThan(alerts.length);
      const before = pageAt(anchor).first;
      anchor = alertsPageUp(alerts, anchor, pane);
      expect(pageAt(anchor).first).toBeLessThan(before);
    }
    expect(pageAt(null).first).toBe(1);
  });

  it('a page back ends where the page it came from starts: no alert is skipped', () => {
    const second = alertsPageDown(alerts, null, pane);
    const third = alertsPageDown(alerts, second, pane);
    const back = pageAt(alertsPageUp(alerts, third, pane));
    expect(back.last).toBeGreaterThanOrEqual(pageAt(third).first - 1);
  });

  it('scrolled back, the page stays on its alerts as new ones come; a pane with all alerts in sight does not move', () => {
    const anchor = alertsPageDown(alerts, null, pane);
    const before = pageAt(anchor);
    const newer = [...alerts, alert(100, 'a new alert')];
    const after = alertsPage(newer, { anchorSeq: anchor, ...pane, ellipsis: '…' });
    expect(after.rows).toEqual(before.rows);
    expect(after.first).toBe(before.first + 1);
    const few = [alert(1, 'one'), alert(2, 'two')];
    expect(alertsPageDown(few, null, pane)).toBeNull();
    expect(alertsPageUp(few, null, pane)).toBeNull();
  });
});

describe('alerts pane: its title', () => {
  it('says how many, which when paged back, and in the log’s place the keys that page it while some are out of sight', () => {
    const alerts = manyAlerts(30);
    const pane = { rows: 5, width: 80 };
    const newest = alertsPage(alerts, { anchorSeq: null, ...pane, ellipsis: '…' });
    expect(alertsTitleDetail(newest, { inLogPlace: false })).toBe(String(alerts.length));
    expect(alertsTitleDetail(newest, { inLogPlace: true })).toBe(`${alerts.length} · PgUp/PgDn scroll · Tab shows the log`);
    const older = alertsPage(alerts, { anchorSeq: alertsPageDown(alerts, null, pane), ...pane, ellipsis: '…' });
    expect(alertsTitleDetail(older, { inLogPlace: true })).toBe(`${older.first}–${older.last} of ${alerts.length} · PgUp/PgDn scroll · Tab shows the log`);
    const few = alertsPage([alert(1, 'one')], { anchorSeq: null, ...pane, ellipsis: '…' });
    expect(alertsTitleDetail(few, { inLogPlace: true })).toBe('1 · Tab shows the log');
    expect(alertsTitleDetail(alertsPage([], { anchorSeq: null, ...pane, ellipsis: '…' }), { inLogPlace: false })).toBe('none');
  });
});
