// Where damage shows on replay's timeline: one '!' per damaged place, where
// the damage sits (before the event at its atIndex), for the file source and
// for a legacy folder's converted events alike. The source's damage mark and
// the controller's placed damage were drawn a column apart ("!!") in a wide
// pane, and a legacy folder's damage marks all sat at time 0, the timeline's
// first column, whatever the event they sit before.

import { afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { openReplaySource } from '../../../src/replay/source.js';
import { ReplayController } from '../../../src/ui/replay/controller.js';
import { timelineModel } from '../../../src/ui/viewModels/timeline.js';
import { glyphsFor } from '../../../src/ui/components/themeContext.js';
import { fixtureLines, linesText, removeTempDirs, runDirWith } from '../../replay/runDirs.js';

afterAll(removeTempDirs);

const LEGACY = path.resolve(import.meta.dirname, '../../fixtures/legacy');

function damageColumns(controller: ReplayController, width: number): number[] {
  const { markColumns } = timelineModel(controller.position.getState(), { width, glyphs: glyphsFor(true) });
  return [...markColumns].filter(([, kind]) => kind === 'damage').map(([column]) => column);
}

describe('damage on the timeline', () => {
  it('a line of an unknown type in the middle of a log: one mark, at the event before it', async () => {
    // Events 10 s apart, so that two times a column apart in 200 columns cannot fall together.
    const t0 = Date.parse('2026-03-01T12:00:00.000Z');
    const lines = fixtureLines('sim_session.jsonl').map((line, i) => JSON.stringify({ ...(JSON.parse(line) as object), seq: i + 1, ts: new Date(t0 + i * 10_000).toISOString() }));
    const at = 100;
    const before = JSON.parse(lines[at - 1]!) as { ts: string };
    const shifted = lines.map((line, i) => (i < at ? line : JSON.stringify({ ...(JSON.parse(line) as object), seq: i + 2 })));
    const all = [...shifted.slice(0, at), JSON.stringify({ seq: at + 1, ts: before.ts, type: 'agent_dreamed' }), ...shifted.slice(at)];
    const source = await openReplaySource(runDirWith(linesText(all)));
    const controller = await ReplayController.open(source, { follow: false, at: { kind: 'start' } });
    try {
      const { damage } = controller.position.getState();
      expect(damage.map((d) => d.atMs)).toEqual([Date.parse(before.ts)]);
      const columns = damageColumns(controller, 200);
      const start = Date.parse(new Date(t0).toISOString());
      const end = t0 + (lines.length - 1) * 10_000;
      expect(columns).toEqual([Math.floor(((Date.parse(before.ts) - start) / (end - start)) * 199 + 0.5)]);
    } finally {
      controller.close();
      await source.close();
    }
  });

  it('a legacy folder killed while writing its last checkpoint: the damage is marked at the end, not at the start', async () => {
    const source = await openReplaySource(path.join(LEGACY, 'python-killed'));
    const controller = await ReplayController.open(source, { follow: false });
    try {
      const marks = source.marks().filter((m) => m.kind === 'damage');
      expect(marks).toHaveLength(1);
      expect(marks[0]!.index).toBe(source.count());
      expect(marks[0]!.atMs).toBe(source.endMs());
      expect(damageColumns(controller, 120)).toEqual([119]);
    } finally {
      controller.close();
      await source.close();
    }
  });
});
