// A damaged events.jsonl opens, shows what it can and says where it is
// damaged (issue 10, "Bad input"): a torn last line, garbage lines, a gap in
// seq, events out of time order. Each damaged copy is written here from the
// recorded log; the expected line numbers and positions are counted from the
// written lines, and the states are the fold of the lines that are events.

import { afterAll, describe, expect, it } from 'vitest';
import type { ReplayDamage } from '../../src/replay/types.js';
import { openReplaySource } from '../../src/replay/source.js';
import { foldAll } from '../../src/state/fold.js';
import { eventsOf, fixtureLines, removeTempDirs, runDirWith } from './runDirs.js';

afterAll(removeTempDirs);

const lines = fixtureLines('restore_session.jsonl');

/** Opens a run whose events.jsonl is `text`; checks every state against the fold of its event lines; returns the damage. */
async function openDamaged(text: string): Promise<{ damage: readonly ReplayDamage[]; count: number; marks: number[] }> {
  // Only whole lines are events: what follows the last newline is not (yet) one.
  const complete = text.slice(0, text.lastIndexOf('\n') + 1).split('\n');
  const events = eventsOf(complete);
  const source = await openReplaySource(runDirWith(text), { snapshotEvery: 25, entryEvery: 9 });
  expect(source.count()).toBe(events.length);
  for (let cursor = 0; cursor <= events.length; cursor += 7) expect(await source.stateAt(cursor)).toStrictEqual(foldAll(events.slice(0, cursor)));
  expect(await source.stateAt(events.length)).toStrictEqual(foldAll(events));
  const result = { damage: source.damage(), count: source.count(), marks: source.marks().filter((m) => m.kind === 'damage').map((m) => m.index) };
  await source.close();
  return result;
}

/** The recorded log's event lines, by their look (the garbage written here never looks like this). */
const isEventLine = (line: string) => /^\{"seq":\d+,"ts":"/.test(line);

describe('damage in events.jsonl', () => {
  it('a torn last line: the whole lines replay, the torn one is reported at its line', async () => {
    const text = lines.join('\n') + '\n' + lines[5]!.slice(0, 30);
    const { damage, count, marks } = await openDamaged(text);
    expect(damage).toEqual([{ file: 'events.jsonl', line: lines.length + 1, atIndex: count, problem: expect.stringMatching(/no newline \(30 bytes\)/) }]);
    expect(marks).toEqual([count]);
  });

  it('garbage lines: each one reported at its line, before the event that follows it', async () => {
    const written = [...lines];
    written.splice(200, 0, '{"seq":"two hundred","ts":"x","type":"tool_call"}');
    written.splice(100, 0, 'Traceback (most recent call last):', '[1,2,3]');
    written.splice(3, 0, '   ');
    const { damage } = await openDamaged(written.join('\n') + '\n');
    const expected = written
      .map((line, i) => ({ line, number: i + 1, eventsBefore: written.slice(0, i).filter(isEventLine).length }))
      .filter(({ line }) => !isEventLine(line) && line.trim() !== '');
    expect(expected).toHaveLength(3);
    expect(damage.map((d) => [d.line, d.atIndex])).toEqual(expected.map(({ number, eventsBefore }) => [number, eventsBefore]));
    expect(damage[0]!.problem).toMatch(/not JSON/);
    expect(damage[1]!.problem).toMatch(/a JSON object|no seq, ts or known type/);
    expect(damage[2]!.problem).toMatch(/no seq, ts or known type/);
  });

  it('a gap in seq: reported at the first event after it, with how many are missing', async () => {
    const written = [...lines.slice(0, 150), ...lines.slice(153)];
    const before = JSON.parse(written[149]!).seq as number;
    const after = JSON.parse(written[150]!).seq as number;
    const { damage, marks } = await openDamaged(written.join('\n') + '\n');
    expect(damage).toEqual([{ file: 'events.jsonl', line: 151, atIndex: 150, problem: `seq jumps from ${before} to ${after} (${after - before - 1} missing)` }]);
    expect(marks).toEqual([150]);
  });

  it('a repeated event: reported, and folded once', async () => {
    const written = [...lines.slice(0, 80), lines[79]!, ...lines.slice(80)];
    const { damage } = await openDamaged(written.join('\n') + '\n');
    const seq = JSON.parse(lines[79]!).seq as number;
    expect(damage).toEqual([{ file: 'events.jsonl', line: 81, atIndex: 80, problem: `seq ${seq} after ${seq} (repeated or going back)` }]);
  });

  it('an event out of time order: reported at its line with how far back it goes', async () => {
    const written = [...lines];
    const event = JSON.parse(written[60]!) as { ts: string };
    const previous = Date.parse((JSON.parse(written[59]!) as { ts: string }).ts);
    const back = new Date(previous - 10_000).toISOString();
    written[60] = written[60]!.replace(event.ts, back);
    const { damage } = await openDamaged(written.join('\n') + '\n');
    expect(damage).toEqual([{ file: 'events.jsonl', line: 61, atIndex: 60, problem: expect.stringContaining('time goes back 10000 ms') }]);
  });

  it('all of them at once, in file order, and no more', async () => {
    const written = [...lines.slice(0, 40), 'garbage', ...lines.slice(41, 300)];
    const event = JSON.parse(written[250]!) as { ts: string };
    written[250] = written[250]!.replace(event.ts, '2001-01-01T00:00:00.000Z');
    const { damage } = await openDamaged(written.join('\n') + '\n' + '{"seq":9');
    expect(damage.map((d) => d.line)).toEqual([41, 42, 251, 301]);
    expect(damage.map((d) => d.problem.split(' ').slice(0, 3).join(' '))).toEqual(['not an event', 'seq jumps from', 'time goes back', 'last line has']);
  });
});
