// The layout in a short pane (a tmux split of 12 or 13 rows): the agents and
// the log, each with its title, always fit; replay's timeline and a long
// message's extra rows give way to them, so nothing is drawn over anything.

import { describe, expect, it } from 'vitest';
import { computeLayout, type Layout } from '../../../src/ui/viewModels/layout.js';
import { MESSAGE_MAX_ROWS } from '../../../src/ui/viewModels/screen.js';

/** Rows the layout hands out, top to bottom. */
function rowsUsed(layout: Layout): number {
  const logBlock = layout.alerts.beside ? 1 + layout.log.rows : 1 + layout.log.rows + (layout.alerts.rows > 0 ? 1 + layout.alerts.rows : 0);
  return layout.header + layout.phaseBar + layout.timeline + layout.charts.chartRows * (layout.charts.height + 1) + 2 + layout.agents.rows + logBlock + layout.footer;
}

/** The smallest height `megatest replay --frame` takes (src/cli/replay.ts). */
const SMALLEST_FRAME_ROWS = 12;

describe('layout in a short pane', () => {
  it('from the smallest frame up, never asks for more rows than the screen has, whatever the timeline and the message want', () => {
    for (let rows = SMALLEST_FRAME_ROWS; rows <= 60; rows += 1) {
      for (const columns of [40, 50, 80, 100, 120, 200]) {
        for (const timeline of [0, 2]) {
          for (let messageRows = 1; messageRows <= MESSAGE_MAX_ROWS; messageRows += 1) {
            for (const counts of [{ agents: 2, alerts: 0 }, { agents: 6, alerts: 5 }, { agents: 16, alerts: 20 }]) {
              const layout = computeLayout(columns, rows, { ...counts, timeline, messageRows });
              const at = `${columns}x${rows} timeline ${timeline} message ${messageRows} ${JSON.stringify(counts)}`;
              expect(rowsUsed(layout), at).toBeLessThanOrEqual(rows - 1);
              expect(layout.agents.rows, at).toBeGreaterThanOrEqual(1);
              expect(layout.log.rows, at).toBeGreaterThanOrEqual(1);
              // What gives way gives rows back, never takes more than was asked for.
              expect(layout.timeline, at).toBeLessThanOrEqual(timeline);
              expect(layout.footer - 1, at).toBeGreaterThanOrEqual(1);
              expect(layout.footer - 1, at).toBeLessThanOrEqual(messageRows);
            }
          }
        }
      }
    }
  });

  it('where there is room, the timeline and the message keep every row they asked for', () => {
    for (const [columns, rows] of [[80, 24], [100, 40], [120, 40], [120, 20]] as const) {
      const layout = computeLayout(columns, rows, { agents: 3, alerts: 10, timeline: 2, messageRows: MESSAGE_MAX_ROWS });
      expect(layout.timeline, `${columns}x${rows}`).toBe(2);
      expect(layout.footer, `${columns}x${rows}`).toBe(1 + MESSAGE_MAX_ROWS);
    }
  });

  it('replay at 120x12 lays the agents and the log out as the live console does: its timeline gives way', () => {
    const counts = { agents: 3, alerts: 24, messageRows: 1 };
    const live = computeLayout(120, 12, { ...counts, timeline: 0 });
    const replay = computeLayout(120, 12, { ...counts, timeline: 2 });
    expect(rowsUsed(live)).toBeLessThanOrEqual(11);
    expect(replay.agents).toEqual(live.agents);
    expect(replay.log).toEqual(live.log);
    expect(replay.timeline).toBe(0);
  });

  it('replay at 80x13 keeps its status line (where the replay stands) and drops the timeline bar first', () => {
    const layout = computeLayout(80, 13, { agents: 3, alerts: 24, messageRows: 1, timeline: 2 });
    expect(layout.timeline).toBe(1);
    expect(rowsUsed(layout)).toBe(12);
    // A message that wants three rows: its extra rows go before the status line does.
    const long = computeLayout(80, 13, { agents: 3, alerts: 24, messageRows: 3, timeline: 2 });
    expect(long.timeline).toBe(1);
    expect(long.footer).toBe(2);
    expect(rowsUsed(long)).toBe(12);
  });
});
