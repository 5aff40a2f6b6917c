// What a project's benchmark printed, read as operations per second: a
// number marked as ops/s, else a last line that is one number alone; never a
// count of runs or seconds beside it.

import { describe, expect, it } from 'vitest';
import { readOpsPerSecond } from '../../src/measure/benchmarkOutput.js';

describe('readOpsPerSecond', () => {
  it('takes the last number marked as ops/s, whatever else the output says', () => {
    expect(readOpsPerSecond('warming up\n12345.6 ops/s over 3 runs\n')).toEqual({ opsPerSecond: 12345.6 });
    expect(readOpsPerSecond('round 1: 900 ops/s\nround 2: 1,250,000 ops/s\ndone in 5 s\n')).toEqual({ opsPerSecond: 1_250_000 });
    expect(readOpsPerSecond('1.5e5 operations per second')).toEqual({ opsPerSecond: 150_000 });
    expect(readOpsPerSecond('throughput 42 op/sec')).toEqual({ opsPerSecond: 42 });
  });

  it('takes a last line that is one number alone', () => {
    expect(readOpsPerSecond('enqueue bench\n  98765  \n')).toEqual({ opsPerSecond: 98765 });
    expect(readOpsPerSecond('3.25')).toEqual({ opsPerSecond: 3.25 });
  });

  it('refuses output whose figure cannot be told from other numbers, saying what it saw', () => {
    const seen = readOpsPerSecond('ran 3 rounds in 5 s\n');
    expect(seen).toEqual({ problem: 'printed no operations per second (its last line: "ran 3 rounds in 5 s"); print one number, or "N ops/s"' });
    expect(readOpsPerSecond('')).toEqual({ problem: 'printed no operations per second (it printed nothing); print one number, or "N ops/s"' });
    expect('problem' in readOpsPerSecond('-5')).toBe(true);
  });
});
