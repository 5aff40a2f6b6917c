// A legacy run folder (no events.jsonl, written by the original Python/Bash
// runner) replays through the converter src/legacy/convert.ts provides,
// held in memory. The converter is another part's; here a test double
// stands in for it, so this checks the source's side of the contract.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { MegatestEvent } from '../../src/contract/events.js';
import { openReplaySource, type LegacyConverter } from '../../src/replay/source.js';
import { foldAll } from '../../src/state/fold.js';
import { eventsOf, fixtureLines, removeTempDirs, tempRunDir } from './runDirs.js';

afterAll(removeTempDirs);

const events = eventsOf(fixtureLines('sim_session.jsonl'));
const t = (i: number) => events[i]!.ts;

function converter(converted: MegatestEvent[]): LegacyConverter & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    isLegacyRunFolder: (dir) => {
      asked.push(dir);
      return true;
    },
    convertLegacyRun: async () => ({
      events: converted,
      sessionLog: [`${t(0)} INFO  [runner] started`, 'raw build output', `${t(100)} INFO  [runner] phase 2`, `${t(400)} INFO  [runner] done`],
      damage: [{ file: 'final_report.json', problem: 'not valid JSON (a count written as two lines)', atIndex: converted.length }],
    }),
  };
}

describe('a legacy run folder', () => {
  it('replays the converted events in memory, legacy = true, with the converter\'s damage', async () => {
    const dir = tempRunDir();
    writeFileSync(path.join(dir, 'status'), 'completed\n');
    const double = converter(events);
    const source = await openReplaySource(dir, { legacyConverter: double });
    expect(double.asked).toEqual([path.resolve(dir)]);
    expect(source.legacy).toBe(true);
    expect(source.index).toBeNull();
    expect(source.count()).toBe(events.length);
    for (const cursor of [0, 1, 57, 200, events.length]) expect(await source.stateAt(cursor)).toStrictEqual(foldAll(events.slice(0, cursor)));
    expect(await source.eventAt(3)).toStrictEqual(events[3]);
    expect(source.damage()).toEqual([{ file: 'final_report.json', problem: expect.stringContaining('two lines'), atIndex: events.length }]);
    expect(source.marks().some((m) => m.kind === 'damage')).toBe(true);
    expect(source.marks().filter((m) => m.kind === 'checkpoint')).toHaveLength(events.filter((e) => e.type === 'checkpoint_created').length);
    expect(await source.cursorOfSeq(events[10]!.seq)).toBe(11);
    // The log: lines up to the time asked; the untimed one goes with the timed line before it.
    expect(await source.logLinesAt(Date.parse(t(0)), 10)).toEqual([`${t(0)} INFO  [runner] started`, 'raw build output']);
    expect(await source.logLinesAt(Date.parse(t(400)), 2)).toEqual([`${t(100)} INFO  [runner] phase 2`, `${t(400)} INFO  [runner] done`]);
    await source.refresh();
    await source.close();
  });

  it('a folder the converter does not claim is not a run folder', async () => {
    const dir = tempRunDir();
    const refusing: LegacyConverter = { isLegacyRunFolder: () => false, convertLegacyRun: async () => ({ events: [], sessionLog: [], damage: [] }) };
    await expect(openReplaySource(dir, { legacyConverter: refusing })).rejects.toThrow(/is not a run folder \(no events\.jsonl/);
  });
});
