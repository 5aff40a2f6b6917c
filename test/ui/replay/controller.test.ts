// The replay controller: stepping, seeking and playing reach the same state
// (and the same frame) at the same point; steps fold forward instead of
// asking the source; play runs on the timers at a capped frame rate.

import { describe, expect, it } from 'vitest';
import { foldAll } from '../../../src/state/fold.js';
import { FRAME_MS, MAX_QUIET_WALL_MS, nextSpeed, REFRESH_MS, SPEEDS } from '../../../src/ui/replay/controller.js';
import { memorySource } from '../../replay/memorySource.js';
import { frameOf, ManualTimers, openController, restoreEvents, restoreSource, simSource } from './replayHelpers.js';

const events = restoreEvents();

describe('seeking and stepping', () => {
  for (const cursor of [43, 130, 300]) {
    it(`cursor ${cursor}: stepping forward, seeking forward and seeking back give one state and one frame`, async () => {
      const stepped = await openController(restoreSource(), { at: { kind: 'seq', seq: 0 } });
      const calls = (stepped.source as ReturnType<typeof restoreSource>).calls;
      const stateAtBefore = calls.stateAt ?? 0;
      for (let i = 0; i < cursor; i++) stepped.stepForward();
      await stepped.idle();
      // Each step folded the next event onto the state it had.
      expect(calls.stateAt ?? 0).toBe(stateAtBefore);
      expect(stepped.position.getState().cursor).toBe(cursor);

      const sought = await openController(restoreSource(), { at: { kind: 'seq', seq: events[cursor - 1]!.seq } });
      // Backwards: a seek back from the end, and steps back from a little further on.
      const back = await openController(restoreSource(), { at: { kind: 'end' } });
      await back.goTo({ kind: 'seq', seq: events[cursor - 1]!.seq });
      const stepBack = await openController(restoreSource(), { at: { kind: 'seq', seq: events[cursor + 4]!.seq } });
      for (let i = 0; i < 5; i++) stepBack.stepBack();
      await stepBack.idle();

      const expected = foldAll(events.slice(0, cursor));
      for (const controller of [stepped, sought, back, stepBack]) {
        expect(controller.position.getState().cursor).toBe(cursor);
        expect(controller.runState()).toEqual(expected);
      }
      expect(frameOf(sought)).toBe(frameOf(stepped));
      expect(frameOf(back)).toBe(frameOf(stepped));
      expect(frameOf(stepBack)).toBe(frameOf(stepped));
    });
  }

  it('Shift+←/→ move one minute of the recording, clamped to the run', async () => {
    const source = simSource();
    const controller = await openController(source, { at: { kind: 'offset', ms: 5 * 60_000 } });
    const start = source.startMs();
    expect(controller.position.getState().clockMs).toBe(start + 5 * 60_000);
    controller.minuteForward();
    await controller.idle();
    const at = controller.position.getState();
    expect(at.clockMs).toBe(start + 6 * 60_000);
    expect(at.cursor).toBe(await source.cursorAtMs(start + 6 * 60_000));
    for (let i = 0; i < 10; i++) controller.minuteBack();
    await controller.idle();
    expect(controller.position.getState().clockMs).toBe(start);
  });

  it('n/N and e/E jump to the marks after and before the cursor', async () => {
    const source = simSource();
    const controller = await openController(source, { at: { kind: 'seq', seq: 0 } });
    const marks = source.marks();
    const checkpoints = marks.filter((m) => m.kind === 'checkpoint' || m.kind === 'restore');
    const errors = marks.filter((m) => m.kind === 'error' || m.kind === 'recovery');
    expect(errors.length).toBeGreaterThan(1);
    for (const mark of checkpoints) {
      controller.nextCheckpoint();
      await controller.idle();
      expect(controller.position.getState().seq).toBe(mark.seq);
    }
    controller.previousCheckpoint();
    await controller.idle();
    expect(controller.position.getState().seq).toBe(checkpoints[checkpoints.length - 2]!.seq);
    controller.toStart();
    for (const mark of errors) {
      controller.nextError();
      await controller.idle();
      expect(controller.position.getState().seq).toBe(mark.seq);
    }
    controller.previousError();
    await controller.idle();
    expect(controller.position.getState().seq).toBe(errors[errors.length - 2]!.seq);
    // Nothing later: the cursor stays, and a toast says so.
    controller.toEnd();
    controller.nextError();
    await controller.idle();
    expect(controller.store.getState().ui.toast?.message).toBe('no later error or recovery');
  });

  it('+ and - walk the speeds 1x … 1000x and stop at the ends', () => {
    expect(SPEEDS[0]).toBe(1);
    expect(SPEEDS[SPEEDS.length - 1]).toBe(1000);
    let speed = 1;
    const up: number[] = [];
    for (let i = 0; i < SPEEDS.length + 2; i++) up.push((speed = nextSpeed(speed, 1)));
    expect(up.slice(0, SPEEDS.length - 1)).toEqual(SPEEDS.slice(1));
    expect(speed).toBe(1000);
    expect(nextSpeed(3, 1)).toBe(5);
    expect(nextSpeed(3, -1)).toBe(2);
    expect(nextSpeed(1, -1)).toBe(1);
  });
});

describe('playing', () => {
  it('plays at event times × speed, at most 10 frames a second, and stops at the end of a finished run', async () => {
    const timers = new ManualTimers();
    const source = restoreSource();
    const controller = await openController(source, { timers, speed: 10, play: true });
    const start = source.startMs();
    const first = controller.position.getState().cursor;
    await timers.advance(1000, controller);
    // One wall second at 10x: ten seconds of the recording, in frames of FRAME_MS.
    expect(timers.fired).toBe(1000 / FRAME_MS);
    expect(FRAME_MS).toBeGreaterThanOrEqual(100);
    const at = controller.position.getState();
    expect(at.clockMs).toBe(start + 10_000);
    expect(at.cursor).toBe(await source.cursorAtMs(start + 10_000));
    expect(at.cursor).toBeGreaterThan(first);

    // Playing to a point and seeking there give the same state and frame.
    controller.pause();
    const sought = await openController(restoreSource(), { speed: 10, at: { kind: 'time', ms: at.clockMs } });
    expect(controller.runState()).toEqual(sought.runState());
    expect(frameOf(controller)).toBe(frameOf(sought));

    controller.setSpeed(1000);
    controller.play();
    await timers.advance(1000, controller);
    const end = controller.position.getState();
    expect(end.cursor).toBe(events.length);
    expect(end.playing).toBe(false);
    expect(controller.runState()).toEqual(foldAll(events));
  });

  it('a step pauses the play, so the cursor stays where the step put it', async () => {
    const timers = new ManualTimers();
    const controller = await openController(restoreSource(), { timers, at: { kind: 'seq', seq: 100 } });
    controller.play();
    await timers.advance(500, controller);
    const cursor = controller.position.getState().cursor;
    controller.stepBack();
    await controller.idle();
    await timers.advance(1000, controller);
    expect(controller.position.getState()).toMatchObject({ playing: false, cursor: cursor - 1 });
  });

  it('skips a quiet stretch: at most a few seconds of nothing on screen', async () => {
    const base = restoreEvents().slice(0, 50);
    const hourLater = (iso: string) => new Date(Date.parse(iso) + 3_600_000).toISOString();
    const shifted = restoreEvents().slice(50, 60).map((e) => ({ ...e, ts: hourLater(e.ts) }));
    const timers = new ManualTimers();
    const controller = await openController(memorySource([...base, ...shifted]), { timers, at: { kind: 'seq', seq: base[49]!.seq } });
    controller.play();
    await timers.advance(MAX_QUIET_WALL_MS + 2 * FRAME_MS, controller);
    expect(controller.position.getState().cursor).toBeGreaterThan(50);
  });

  it('a run still going is replayed up to its present, and followed while playing at the end', async () => {
    const timers = new ManualTimers();
    const source = memorySource(events.slice(0, 200));
    const controller = await openController(source, { timers, follow: true, at: { kind: 'end' } });
    expect(controller.position.getState().count).toBe(200);
    controller.setSpeed(1000);
    controller.play();
    source.append(events.slice(200));
    await timers.advance(REFRESH_MS, controller);
    expect(controller.position.getState().count).toBe(events.length);
    await timers.advance(2000, controller);
    expect(controller.position.getState().cursor).toBe(events.length);
    expect(controller.position.getState().playing).toBe(false);
    controller.close();
    expect(timers.count()).toBe(0);
  });
});

describe('following a run still going', () => {
  it('at 1x, what the run wrote since the last look is shown at once, as its end: the replay never falls behind the run', async () => {
    const timers = new ManualTimers();
    const source = memorySource(events.slice(0, 200));
    const controller = await openController(source, { timers, follow: true, at: { kind: 'end' } });
    controller.play();
    for (const upTo of [230, 260, 300]) {
      source.append(events.slice(controller.position.getState().count, upTo));
      await timers.advance(REFRESH_MS, controller);
      // Played from where the clock stopped at the last end, it lagged by the time it had waited there, more at each look.
      expect(controller.position.getState()).toMatchObject({ count: upTo, cursor: upTo, clockMs: Date.parse(events[upTo - 1]!.ts) });
    }
    controller.close();
  });
});

describe('a log empty when opened', () => {
  it('plays its events once they arrive', async () => {
    const timers = new ManualTimers();
    const source = memorySource([]);
    const controller = await openController(source, { timers, follow: true, play: true, speed: 1000 });
    await timers.advance(500, controller);
    expect(controller.position.getState()).toMatchObject({ count: 0, cursor: 0, playing: true });
    source.append(events);
    await timers.advance(REFRESH_MS + 2000, controller);
    expect(controller.position.getState().cursor).toBe(events.length);
    controller.close();
  });
});

describe('damage', () => {
  it('shows on the status line and as a mark on the timeline', async () => {
    const source = memorySource(events, { damage: [{ file: 'events.jsonl', line: 212, problem: 'torn', atIndex: 211 }, { file: 'status', problem: 'missing' }] });
    const controller = await openController(source, { at: { kind: 'seq', seq: 100 } });
    const frame = frameOf(controller, 120);
    expect(frame).toContain('events.jsonl: line 212 torn; status: missing');
    // Damage before the event at 211 is placed at the event before it, where the sources mark it (one '!', not two).
    expect(controller.position.getState().damage[0]!.atMs).toBe(Date.parse(events[210]!.ts));
    const timeline = frame.split('\n')[4]!;
    expect(timeline).toContain('!');
  });
});
