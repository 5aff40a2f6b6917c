// A snapshot decodes to the state that was encoded, shared objects shared
// again (a decoded state is as cheap to fold on as the original); a delta
// snapshot, decoded against its keyframe, to its own state; and the sharing
// is what keeps snapshots small.

import { describe, expect, it } from 'vitest';
import { deflateRawSync } from 'node:zlib';
import type { MegatestEvent } from '../../src/contract/events.js';
import { decodeState, encodeState, GroupDecoder, SnapshotEncoder } from '../../src/replay/snapshotCodec.js';
import { foldAll, foldEvents } from '../../src/state/fold.js';
import { eventsOf, fixtureLines } from './runDirs.js';

describe('snapshot codec', () => {
  const events = eventsOf(fixtureLines('restore_session.jsonl'));

  it('round-trips prefix states of a recorded log', () => {
    for (let cursor = 0; cursor <= events.length; cursor += 10) {
      const state = foldAll(events.slice(0, cursor));
      expect(decodeState(encodeState(state))).toStrictEqual(state);
    }
  });

  it('a group decodes in order from its keyframe to each snapshot\'s own state; deltas are smaller than keyframes', () => {
    const encoder = new SnapshotEncoder(4);
    let state = foldAll([]);
    let decoder = new GroupDecoder();
    const sizes = { keyframe: [] as number[], delta: [] as number[] };
    for (let cursor = 0; cursor < events.length; cursor += 20) {
      state = foldEvents(state, events.slice(cursor, cursor + 20));
      const { bytes, keyframe } = encoder.encode(state);
      if (keyframe) decoder = new GroupDecoder();
      else expect(() => new GroupDecoder().next(bytes)).toThrow(/needs the snapshots before it/);
      expect(decoder.next(bytes)).toStrictEqual(state);
      (keyframe ? sizes.keyframe : sizes.delta).push(bytes.length);
    }
    expect(sizes.keyframe).toHaveLength(Math.ceil(Math.ceil(events.length / 20) / 4));
    const mean = (list: number[]) => list.reduce((a, b) => a + b, 0) / list.length;
    expect(mean(sizes.delta)).toBeLessThan(mean(sizes.keyframe) * 0.75);
  });

  it('arrays of numbers (chart series) come back as the same numbers, odd values included', () => {
    const state = foldAll(events);
    const odd = { ...state, series: { ...state.series, errors: [0, -1, 1.5, 1e21, 5e-324, -2.5e-7, 123456789.123, 7, 8, 9], coverage: [1, NaN, 2, 3, 4, 5, 6, 7, 8] } };
    const decoded = decodeState(encodeState(odd));
    expect(decoded.series.errors).toStrictEqual(odd.series.errors);
    // JSON writes NaN as null; so does the codec.
    expect(decoded.series.coverage).toStrictEqual(JSON.parse(JSON.stringify(odd.series.coverage)));
  });

  it('keeps strings that look like references, and restores shared objects as shared', () => {
    const state = foldAll(events);
    const odd: MegatestEvent = { seq: 10_000, ts: '2026-12-02T03:00:00.000Z', type: 'error', class: '§3', severity: 'transient', message: '§k1 not a reference' };
    const withOdd = foldEvents(state, [odd]);
    const decoded = decodeState(encodeState(withOdd));
    expect(decoded).toStrictEqual(withOdd);
    expect(decoded.counters.errorsByClass['§3']).toBe(1);
    // The fold shares a checkpoint's phases with the state as it was; so does the decoded state.
    const shared = withOdd.rollbackPoints.filter((p) => p.phases === withOdd.phases).length;
    expect(shared).toBeGreaterThan(0);
    expect(decoded.rollbackPoints.filter((p) => p.phases === decoded.phases)).toHaveLength(shared);
  });

  it('is smaller than the state written out as plain deflated JSON', () => {
    const state = foldAll(events);
    expect(encodeState(state).length).toBeLessThan(deflateRawSync(Buffer.from(JSON.stringify(state)), { level: 1 }).length);
  });

  it('refuses bytes that are not a snapshot', () => {
    const keyframe = (json: string) => Buffer.concat([Buffer.from('K'), deflateRawSync(Buffer.from(json))]);
    expect(() => decodeState(Buffer.from('nonsense'))).toThrow();
    expect(() => decodeState(keyframe('{"a":1}'))).toThrow(/not a run state/);
    expect(() => decodeState(keyframe('{"counters":"§9","agents":[]}'))).toThrow(/does not have/);
    expect(() => decodeState(Buffer.concat([Buffer.from('D'), deflateRawSync(Buffer.from('{}'))]))).toThrow(/needs the snapshots before it/);
  });
});
