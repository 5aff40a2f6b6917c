// The status snapshot's `pause` (since, by, why) says a pause is in effect.
// A restore in a paused session, or one paused while the restore runs,
// starts the agents again paused: the session is 'recovering' meanwhile,
// and the pause still holds (status said none until the restore ended).

import { describe, expect, it } from 'vitest';
import type { AgentPool } from '../../src/engine/agentPool.js';
import type { CheckpointKeeper } from '../../src/engine/checkpointKeeper.js';
import type { Compressor } from '../../src/engine/compressor.js';
import type { EngineContext } from '../../src/engine/context.js';
import { ControlSurface } from '../../src/engine/controlSurface.js';
import type { Measurer } from '../../src/engine/measurer.js';
import { initialRunState } from '../../src/state/runState.js';

const PAUSE = { since: '2026-12-06T01:00:00.000Z', by: 'key', why: null };

function statusPause(status: EngineContext['status'], restoreUnderWay: EngineContext['restoreUnderWay'], pause: typeof PAUSE | null) {
  const state = initialRunState();
  state.pause = pause as typeof state.pause;
  const ctx = {
    info: { session_id: 's', agent_kind: 'sim', simulated: true },
    template: { type: 'task_queue' },
    status,
    restoreUnderWay,
    currentPhase: { name: 'development' },
    state,
    config: { session: { duration_seconds: 60 } },
  } as unknown as EngineContext;
  const surface = new ControlSurface(ctx, {} as AgentPool, { lastCheckpoint: null } as unknown as CheckpointKeeper, {} as Measurer, {} as Compressor);
  return surface.status().pause;
}

describe("the status snapshot's pause", () => {
  it('is the pause in effect while paused, and while a restore that ends paused runs', () => {
    expect(statusPause('paused', null, PAUSE)).toEqual(PAUSE);
    expect(statusPause('recovering', { endsPaused: true }, PAUSE)).toEqual(PAUSE);
  });

  it('is none while running, once ended, or in a restore that ends running (a continue came meanwhile)', () => {
    expect(statusPause('running', null, null)).toBeNull();
    expect(statusPause('recovering', { endsPaused: false }, null)).toBeNull();
    expect(statusPause('recovering', null, PAUSE)).toBeNull();
    expect(statusPause('completed', null, PAUSE)).toBeNull();
  });
});

describe('a command before the session has started', () => {
  it('is refused with 503 (the session is starting), never taken and lost', async () => {
    const state = initialRunState();
    const ctx = { status: 'starting', stopRequest: null, state, events: { flush: () => undefined } } as unknown as EngineContext;
    const surface = new ControlSurface(ctx, {} as AgentPool, {} as CheckpointKeeper, {} as Measurer, {} as Compressor);
    for (const command of [() => surface.pause('api'), () => surface.checkpoint('api'), () => surface.stop('api')]) {
      await expect(command()).rejects.toMatchObject({ status: 503, message: expect.stringMatching(/ yet: the session is starting; try again in a moment$/) });
    }
  });
});
