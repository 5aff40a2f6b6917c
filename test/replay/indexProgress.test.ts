// `megatest replay` on a long run's first open: the index build reads the
// whole log before the first frame, and a line on a terminal's stderr says
// how far it is (src/cli/replay.ts indexProgress), cleared before the console
// draws. Nothing for a short build, nothing on a stderr that is not a terminal.

import { describe, expect, it } from 'vitest';
import { INDEX_PROGRESS_AFTER_MS, indexProgress } from '../../src/cli/replay.js';

function stream(isTTY: boolean) {
  const written: string[] = [];
  return { isTTY, written, write: (text: string) => written.push(text) };
}

describe('replay index progress', () => {
  it('a long build on a terminal: a percentage, then the line cleared', () => {
    let t = 0;
    const err = stream(true);
    const progress = indexProgress(err, () => t);
    progress.onProgress!(10e6, 100e6);
    expect(err.written).toEqual([]);
    t = INDEX_PROGRESS_AFTER_MS + 1;
    progress.onProgress!(40e6, 100e6);
    t += 10;
    progress.onProgress!(41e6, 100e6); // too soon after the last: not written
    t += 1000;
    progress.onProgress!(100e6, 100e6);
    progress.done();
    expect(err.written.map((w) => w.replace(/\u001b\[K/g, ''))).toEqual([
      '\rmegatest replay: indexing events.jsonl (first open): 40% of 100 MB',
      '\rmegatest replay: indexing events.jsonl (first open): 100% of 100 MB',
      '\r',
    ]);
  });

  it('a short build, or a stderr that is not a terminal: nothing', () => {
    const err = stream(true);
    const quick = indexProgress(err, () => 0);
    quick.onProgress!(50, 100);
    quick.done();
    expect(err.written).toEqual([]);
    const piped = stream(false);
    const none = indexProgress(piped);
    expect(none.onProgress).toBeUndefined();
    none.done();
    expect(piped.written).toEqual([]);
  });
});
