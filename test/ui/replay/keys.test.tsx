// Replay's keys, pressed on the console: each moves the cursor (or the
// speed, or play) as the keymap says; live-only keys do nothing and are not
// shown; the help lists replay's keys from the same table.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { App } from '../../../src/ui/App.js';
import type { ConsoleOutcome } from '../../../src/ui/actions.js';
import { REPLAY_ACTIONS, plainText } from '../../../src/ui/replay/replayConsole.js';
import { KEYMAP } from '../../../src/ui/keymap.js';
import { look } from '../helpers.js';
import { ManualTimers, openController, RUN_DIR, simSource } from './replayHelpers.js';

// A deadline for a stuck test, not an expectation: a loaded machine draws and reads 5-10x slower.
const WAIT = { timeout: 30_000, interval: 10 };
const KEYS = { right: '\u001B[C', left: '\u001B[D', shiftRight: '\u001B[1;2C', shiftLeft: '\u001B[1;2D' };

afterEach(() => {
  cleanup();
});

async function setup() {
  const source = simSource();
  const timers = new ManualTimers();
  const controller = await openController(source, { timers, at: { kind: 'seq', seq: 100 } });
  const exits: ConsoleOutcome[] = [];
  const instance = render(
    <App store={controller.store} actions={REPLAY_ACTIONS} look={look('mono')} runDir={RUN_DIR} columns={100} rows={40} replay={controller} now={timers.now} onExit={(o) => exits.push(o)} />,
  );
  const position = () => controller.position.getState();
  const frame = () => plainText(instance.lastFrame() ?? '');
  const press = async (key: string, settled: () => void) => {
    instance.stdin.write(key);
    await vi.waitFor(async () => {
      await controller.idle();
      settled();
    }, WAIT);
  };
  // Ink reads keys once its input hook is mounted.
  await vi.waitFor(() => expect(frame()).toContain('seq 100'), WAIT);
  return { source, controller, timers, exits, instance, position, frame, press };
}

describe('replay keys', () => {
  it('space plays and pauses; +/- change the speed', async () => {
    const { position, press, frame, timers, controller } = await setup();
    const clock = position().clockMs;
    await press(' ', () => expect(position().playing).toBe(true));
    await vi.waitFor(() => expect(frame()).toMatch(/playing 1x/), WAIT);
    // Play runs on the (manual) timers: one second at 1x is one second of the recording.
    await timers.advance(1000, controller);
    expect(position().clockMs).toBe(clock + 1000);
    expect(frame()).toMatch(/space pause/);
    await press('+', () => expect(position().speed).toBe(2));
    await press('+', () => expect(position().speed).toBe(5));
    await press('-', () => expect(position().speed).toBe(2));
    await press(' ', () => expect(position().playing).toBe(false));
    await vi.waitFor(() => expect(frame()).toMatch(/paused 2x/), WAIT);
  });

  it('→/← step one event; Shift+→/← one minute', async () => {
    const { position, press, source, frame } = await setup();
    const cursor = position().cursor;
    await press(KEYS.right, () => expect(position().cursor).toBe(cursor + 1));
    await press(KEYS.right, () => expect(position().cursor).toBe(cursor + 2));
    await press(KEYS.left, () => expect(position().cursor).toBe(cursor + 1));
    const seq = (await source.eventAt(cursor))!.seq;
    await vi.waitFor(() => expect(frame()).toContain(`seq ${seq}`), WAIT);
    const clock = position().clockMs;
    await press(KEYS.shiftRight, () => expect(position().clockMs).toBe(clock + 60_000));
    await press(KEYS.shiftLeft, () => expect(position().clockMs).toBe(clock));
  });

  it('g/G go to the start and the end; n/N and e/E to the marks', async () => {
    const { position, press, source } = await setup();
    await press('G', () => expect(position().cursor).toBe(source.count()));
    // The start: every event written at the first event's time.
    const start = await source.cursorAtMs(source.startMs());
    expect(start).toBeGreaterThan(0);
    await press('g', () => expect(position().cursor).toBe(start));
    const checkpoints = source.marks().filter((m) => m.kind === 'checkpoint' || m.kind === 'restore');
    const errors = source.marks().filter((m) => m.kind === 'error' || m.kind === 'recovery');
    await press('n', () => expect(position().seq).toBe(checkpoints[0]!.seq));
    await press('n', () => expect(position().seq).toBe(checkpoints[1]!.seq));
    await press('N', () => expect(position().seq).toBe(checkpoints[0]!.seq));
    await press('e', () => expect(position().seq).toBe(errors[0]!.seq));
    await press('e', () => expect(position().seq).toBe(errors[1]!.seq));
    await press('E', () => expect(position().seq).toBe(errors[0]!.seq));
  });

  it('q leaves the replay', async () => {
    const { press, exits } = await setup();
    await press('q', () => expect(exits.length).toBe(1));
  });

  it('live-only keys (c z r p Q) do nothing and are not shown; ? lists replay’s keys', async () => {
    const { position, frame, instance, controller } = await setup();
    const before = position();
    for (const key of ['c', 'z', 'r', 'p', 'Q']) instance.stdin.write(key);
    await controller.idle();
    expect(position()).toEqual(before);
    expect(controller.store.getState().ui.toast).toBeNull();
    expect(frame()).not.toMatch(/c checkpoint|z compress|r restore|Q stop/);
    expect(frame()).toMatch(/space play\s+←→ step/);
    instance.stdin.write('?');
    await vi.waitFor(() => expect(frame()).toContain('── Help'), WAIT);
    // The help is taller than the room: PgDn through it, reading every page.
    let seen = frame();
    while (/↓ \d+ more/.test(frame())) {
      const before = frame();
      instance.stdin.write('\u001B[6~');
      await vi.waitFor(() => expect(frame()).not.toBe(before), WAIT);
      seen += frame();
    }
    for (const binding of KEYMAP.filter((b) => b.modes.includes('replay') && b.contexts.includes('main'))) {
      expect(seen).toContain((binding.replayDescription ?? binding.description).slice(0, 30));
    }
    expect(seen).not.toContain('Take a checkpoint now');
    // Nothing of the live run's: no `z`, no run that goes on, no restore picker or confirmation.
    expect(seen).not.toMatch(/`z` means all|the run goes on|Restore|Confirm/);
  });
});
