// Replay in a short pane (a tmux split of 12 or 13 rows), as `megatest
// replay --frame --height 12` draws it: the agents and the log keep their
// titles, and no row is drawn over another. Replay's two extra rows (the
// timeline bar and the status line) give way before the agents and the log.

import { describe, expect, it } from 'vitest';
import { renderToString } from 'ink';
import { App } from '../../../src/ui/App.js';
import { plainText, REPLAY_ACTIONS } from '../../../src/ui/replay/replayConsole.js';
import type { ReplayController } from '../../../src/ui/replay/controller.js';
import { look } from '../helpers.js';
import { frameOf, openController, RUN_DIR, simSource } from './replayHelpers.js';

/** The same folded run drawn without replay's timeline: what the live console lays out at this size. */
function withoutTimeline(controller: ReplayController, columns: number, rows: number): string {
  const app = <App store={controller.store} actions={REPLAY_ACTIONS} look={look('mono')} runDir={RUN_DIR} columns={columns} rows={rows} now={() => controller.position.getState().clockMs} onExit={() => undefined} />;
  return plainText(renderToString(app, { columns }));
}

/** From the agents' title to the last row of the log pane. */
function body(frame: string): string[] {
  const lines = frame.split('\n');
  const from = lines.findIndex((l) => l.startsWith('── Agents'));
  const log = lines.findIndex((l) => l.startsWith('── Log'));
  return lines.slice(from, log + 2);
}

function expectWhole(frame: string, columns: number, rows: number, at: string): void {
  const lines = frame.split('\n');
  expect(lines.length, at).toBeLessThanOrEqual(rows - 1);
  for (const line of lines) expect([...line].length, at).toBeLessThanOrEqual(columns);
  const agents = lines.findIndex((l) => l.startsWith('── Agents'));
  const log = lines.findIndex((l) => l.startsWith('── Log'));
  expect(agents, at).toBeGreaterThan(0);
  // The grid's column header, then an agent, then the log's title, then a log line that starts with its time.
  expect(lines[agents + 1], at).toMatch(/^\s+agent\s+role/);
  expect(lines[agents + 2], at).toMatch(/^\S?\s*agent-\d/);
  expect(log, at).toBeGreaterThan(agents + 2);
  expect(lines[log + 1], at).toMatch(/^\d\d:\d\d:\d\d /);
  // Nothing drawn over a title (a title's tail after a log line: "…low ──").
  for (const line of lines.slice(log + 1)) expect(line, at).not.toMatch(/\S.*──/);
}

describe('replay in a short pane', () => {
  // 250: mid-run (a one-row message); the end: the session's long closing message.
  for (const at of [{ kind: 'seq', seq: 250 } as const, { kind: 'end' } as const]) {
    const where = at.kind === 'seq' ? `seq ${at.seq}` : 'the end';
    it(`at 120x12 (${where}) lays out the agents and the log as the console without a timeline does`, async () => {
      const controller = await openController(simSource(), { at });
      const replay = frameOf(controller, 120, 12);
      expectWhole(replay, 120, 12, `replay 120x12 ${where}`);
      expect(body(replay)).toEqual(body(withoutTimeline(controller, 120, 12)));
      controller.close();
    });

    it(`at 80x13 (${where}) keeps the status line and the agents and log titles`, async () => {
      const controller = await openController(simSource(), { at });
      const replay = frameOf(controller, 80, 13);
      expectWhole(replay, 80, 13, `replay 80x13 ${where}`);
      const position = controller.position.getState();
      expect(replay).toContain(`event ${position.cursor}/${position.count}`);
      controller.close();
    });
  }
});
