// Golden frames: the replay console at fixed cursor positions of recorded
// runs, at fixed sizes, compared as plain text with test/fixtures/replay/.
// UPDATE_GOLDEN=1 rewrites them (then read the diff before keeping it).

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { App } from '../../../src/ui/App.js';
import { plainText, REPLAY_ACTIONS } from '../../../src/ui/replay/replayConsole.js';
import { EVENTS_FIXTURES } from '../../replay/memorySource.js';
import { look, renderAt } from '../helpers.js';
import { frameOf, openController, restoreSource, RUN_DIR, simSource } from './replayHelpers.js';

const GOLDEN_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/replay');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

afterEach(() => {
  cleanup();
});

function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN_DIR, name);
  if (UPDATE || !existsSync(file)) {
    if (!UPDATE) throw new Error(`${name} is missing: run with UPDATE_GOLDEN=1 to write it`);
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, actual + '\n');
  }
  expect(actual + '\n').toBe(readFileSync(file, 'utf8'));
}

/** Lines of the recorded file that are events, counted by a pattern of the test's own. */
function eventLines(file: string): number {
  return readFileSync(path.join(EVENTS_FIXTURES, file), 'utf8')
    .split('\n')
    .filter((l) => /^\{"seq":\d+,/.test(l)).length;
}

const RESTORE_EVENTS = eventLines('restore_session.jsonl');
// Seqs of restore_session.jsonl: 43 is bootstrap's first test run; 130 the restore; 421 the session's end.
const POSITIONS = [
  { name: 'bootstrap', seq: 43 },
  { name: 'after-restore', seq: 130 },
  { name: 'end', seq: 421 },
];
const SIZES = [
  { columns: 100, rows: 40, ascii: false },
  { columns: 80, rows: 24, ascii: true },
];

describe('golden frames of restore_session.jsonl', () => {
  for (const { name, seq } of POSITIONS) {
    for (const { columns, rows, ascii } of SIZES) {
      it(`${name} (seq ${seq}) at ${columns}x${rows}${ascii ? ' ASCII' : ''}`, async () => {
        const controller = await openController(restoreSource(), { at: { kind: 'seq', seq } });
        const frame = frameOf(controller, columns, rows, ascii);
        golden(`restore_session.seq${seq}.${columns}x${rows}.txt`, frame);
        // Facts the golden text must hold, from the file itself.
        expect(frame).toContain(`seq ${seq}`);
        expect(frame).toMatch(new RegExp(`event \\d+/${RESTORE_EVENTS}`));
        const lines = frame.split('\n');
        expect(lines.length).toBeLessThanOrEqual(rows - 1);
        for (const line of lines) expect([...line].length).toBeLessThanOrEqual(columns);
        if (ascii) expect(frame).toMatch(/^[\x20-\x7e\n]*$/);
        controller.close();
      });
    }
  }

  it('the end frame says the session completed, with the exit code', async () => {
    const controller = await openController(restoreSource(), { at: { kind: 'end' } });
    const ended = restoreSource().eventAt(RESTORE_EVENTS - 1);
    expect((await ended)?.type).toBe('session_ended');
    expect(frameOf(controller)).toMatch(/completed \(exit 0\)/);
  });

  it('the interactive console draws the same frame (ink-testing-library, 100 columns)', async () => {
    const controller = await openController(restoreSource(), { at: { kind: 'seq', seq: 130 } });
    const instance = render(
      <App store={controller.store} actions={REPLAY_ACTIONS} look={look('mono')} runDir={RUN_DIR} columns={100} rows={40} replay={controller} now={() => 0} onExit={() => undefined} />,
    );
    const expected = readFileSync(path.join(GOLDEN_DIR, 'restore_session.seq130.100x40.txt'), 'utf8').trimEnd();
    await vi.waitFor(() => expect(plainText(instance.lastFrame() ?? '')).toBe(expected), { timeout: 30_000, interval: 10 });
  });

  it('and at 80 columns in ASCII', async () => {
    const controller = await openController(restoreSource(), { at: { kind: 'seq', seq: 43 } });
    const instance = renderAt(
      <App store={controller.store} actions={REPLAY_ACTIONS} look={look('mono', true)} runDir={RUN_DIR} columns={80} rows={24} replay={controller} now={() => 0} onExit={() => undefined} />,
      80,
      24,
    );
    const expected = readFileSync(path.join(GOLDEN_DIR, 'restore_session.seq43.80x24.txt'), 'utf8').trimEnd();
    await vi.waitFor(() => expect(plainText(instance.lastFrame())).toBe(expected), { timeout: 30_000, interval: 10 });
    instance.unmount();
  });
});

describe('golden frame of sim_session with its session.log', () => {
  it('after the crash recovery (seq 242) at 120x40: log as of the cursor, alerts beside it', async () => {
    const source = simSource();
    const controller = await openController(source, { at: { kind: 'seq', seq: 242 } });
    const frame = frameOf(controller, 120, 40);
    golden('sim_session.seq242.120x40.txt', frame);
    // The newest log line shown is the last one written at or before the cursor's event.
    const at = Date.parse((await source.eventAt((await source.cursorOfSeq(242)) - 1))!.ts);
    const log = readFileSync(path.join(EVENTS_FIXTURES, 'sim_session.log'), 'utf8').split('\n').filter((l) => l !== '');
    const written = log.filter((l) => Date.parse(l.split(' ')[0]!) <= at);
    // As the log pane draws a line: HH:MM:SS, the level and the source.
    const drawn = (line: string) => {
      const [ts, level, source] = line.split(/\s+/);
      return `${ts!.slice(11, 19)} ${level!.padEnd(5)} ${source}`;
    };
    expect(frame).toContain(drawn(written[written.length - 1]!));
    expect(frame).not.toContain(drawn(log[written.length]!));
  });
});
