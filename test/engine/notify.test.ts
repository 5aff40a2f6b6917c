// A webhook notification's text: the event as one sentence a person reads in
// a channel, the same as the headless log's line after its time.

import { describe, expect, it } from 'vitest';
import type { MegatestEvent } from '../../src/contract/events.js';
import { headlessLine } from '../../src/cli/headless.js';
import { notificationText } from '../../src/engine/notify.js';
import { loadEvents } from '../state/foldOracle.js';

const recorded = loadEvents('restore_session.jsonl');
const first = <T extends MegatestEvent['type']>(type: T) => recorded.find((e): e is Extract<MegatestEvent, { type: T }> => e.type === type)!;

describe('notificationText', () => {
  it('a phase end: the result and the criteria counted, not their JSON', () => {
    const ended = first('phase_ended');
    const text = notificationText('s1', ended);
    const passed = ended.criteria.filter((c) => c.passed).length;
    expect(text).toMatch(new RegExp(`^megatest s1: phase ${ended.index + 1} ${ended.phase} ended: (PASS|FAIL) \\(${passed}/${ended.criteria.length} criteria\\)`));
    expect(text).not.toContain('{');
  });

  it('each event the headless log tells: the same sentence, after the session', () => {
    for (const type of ['session_started', 'checkpoint_created', 'checkpoint_restored', 'session_ended', 'error', 'alert'] as const) {
      const event = recorded.find((e) => e.type === type);
      if (!event) continue;
      expect(notificationText('s1', event), type).toBe(`megatest s1: ${headlessLine(event)!.slice('00:00:00 '.length)}`);
    }
    expect(notificationText('s1', first('session_ended'))).toMatch(/^megatest s1: session ended: \w+, exit code \d+/);
  });

  it('an event told by no sentence: its fields', () => {
    const call = first('tool_call');
    expect(notificationText('s1', call)).toBe(`megatest s1: tool_call agent=${call.agent} tool=${call.tool} ok=${call.ok} duration_ms=${call.duration_ms}`);
  });
});
