// Attached to a run whose orchestrator died minutes ago: the console's first
// frames, before it knows, count on with the wall clock, and the live floor
// (a view never shows time going back) then held that figure over the run's
// own. A run whose orchestrator is gone stands at its last event.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MegatestEvent } from '../../../src/contract/events.js';
import { PACKAGE_ROOT } from '../../../src/paths.js';
import { applyEvents, initialConsoleState } from '../../../src/state/applyEvent.js';
import { elapsedSecondsAt, lastEventMs } from '../../../src/state/runState.js';
import { headerModel } from '../../../src/ui/viewModels/header.js';

const events = readFileSync(path.join(PACKAGE_ROOT, 'test', 'fixtures', 'events', 'sim_session.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as MegatestEvent)
  .filter((event) => event.type !== 'session_ended');

describe('the header of a run whose orchestrator is gone', () => {
  it("gives the run's elapsed time at its last event, whatever the live floor held", () => {
    const run = applyEvents(initialConsoleState(), events);
    const atDeath = elapsedSecondsAt(run, lastEventMs(run));
    const tenMinutesLater = lastEventMs(run) + 600_000;
    // Before it knew: the wall clock's figure, which became the floor.
    const floor = headerModel(run, { nowMs: tenMinutesLater, runDir: 'x' }).elapsedSeconds;
    expect(floor).toBeGreaterThan(atDeath + 500);
    const dead = headerModel({ ...run, orchestrator: 'dead' }, { nowMs: tenMinutesLater, runDir: 'x', minElapsedSeconds: floor });
    expect(dead.elapsedSeconds).toBe(atDeath);
  });
});
