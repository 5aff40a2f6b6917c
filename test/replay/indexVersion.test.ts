// events.idx written by another megatest version (its snapshots in another
// encoding) is sound, just not readable here: it is rebuilt without calling it
// damage, and the states are right.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { INDEX_VERSION } from '../../src/replay/indexFile.js';
import { openReplaySource } from '../../src/replay/source.js';
import { foldAll } from '../../src/state/fold.js';
import { eventsOf, fixtureLines, linesText, removeTempDirs, runDirWith } from './runDirs.js';

afterAll(removeTempDirs);

describe('events.idx of another version', () => {
  it('is rebuilt, not reported as damage', async () => {
    const lines = fixtureLines('restore_session.jsonl');
    const events = eventsOf(lines);
    const options = { snapshotEvery: 20, entryEvery: 7 };
    const dir = runDirWith(linesText(lines));
    await (await openReplaySource(dir, options)).close();
    const file = path.join(dir, 'events.idx');
    for (const version of [INDEX_VERSION - 1, INDEX_VERSION + 1]) {
      const bytes = readFileSync(file);
      // The version field of the preamble: "MTRPIDX\n" then a u32.
      bytes.writeUInt32LE(version, 8);
      writeFileSync(file, bytes);
      const source = await openReplaySource(dir, options);
      expect(source.index?.opened).toBe('built');
      expect(source.damage()).toEqual([]);
      for (const cursor of [0, 21, 150, events.length]) expect(await source.stateAt(cursor)).toStrictEqual(foldAll(events.slice(0, cursor)));
      await source.close();
      expect(readFileSync(file).readUInt32LE(8)).toBe(INDEX_VERSION);
    }
  });
});
