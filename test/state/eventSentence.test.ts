// The one-line sentences of the headless log and of webhook notifications.

import { describe, expect, it } from 'vitest';
import type { MegatestEvent } from '../../src/contract/events.js';
import { eventSentence } from '../../src/state/eventSentence.js';
import { loadEvents } from './foldOracle.js';

describe('eventSentence', () => {
  it("gives a phase's budget and the session's duration in whole seconds, as session.log does", () => {
    const phase = { seq: 9, ts: '2026-01-01T00:00:00.000Z', type: 'phase_started', phase: 'bootstrap', index: 0, duration_seconds: 3.977, tasks: ['a', 'b'] } as MegatestEvent;
    expect(eventSentence(phase)).toBe('phase 1 bootstrap started: 2 tasks, 4 s');
    for (const event of loadEvents('sim_session.jsonl')) {
      if (event.type !== 'session_started' && event.type !== 'phase_started') continue;
      expect(eventSentence(event)).toMatch(new RegExp(`, ${Math.round(event.duration_seconds)} s$`));
    }
  });
});
