// Playing into the end of a run that recorded no end: a run still going is
// followed (the play stays on, for what it writes next), but one whose
// orchestrator is gone (killed) will write nothing more, and the play stops
// there as at the end of a finished run; play again starts from the start.

import { describe, expect, it } from 'vitest';
import { memorySource } from '../../replay/memorySource.js';
import { ManualTimers, openController, restoreEvents, RUN_DIR } from './replayHelpers.js';

const killed = () => restoreEvents().filter((e) => e.type !== 'session_ended');

describe('the end of a run with no end recorded', () => {
  it('killed (orchestrator gone): the play stops there, and play again starts from the start', async () => {
    const timers = new ManualTimers();
    const events = killed();
    const controller = await openController(memorySource(events, { runDir: RUN_DIR }), { timers, speed: 1000, play: true, orchestratorGone: true });
    await timers.advance(2000, controller);
    expect(controller.runState().ended).toBeNull();
    expect(controller.position.getState()).toMatchObject({ cursor: events.length, playing: false });
    controller.play();
    await controller.idle();
    expect(controller.position.getState().cursor).toBeLessThan(events.length);
    expect(controller.position.getState().playing).toBe(true);
    controller.close();
  });

  it('still going (orchestrator not known gone): the play stays on at the end, following the log', async () => {
    const timers = new ManualTimers();
    const events = killed();
    const controller = await openController(memorySource(events, { runDir: RUN_DIR }), { timers, speed: 1000, play: true });
    await timers.advance(2000, controller);
    expect(controller.position.getState()).toMatchObject({ cursor: events.length, playing: true });
    controller.close();
  });
});
