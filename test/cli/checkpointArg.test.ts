// --checkpoint takes a checkpoint's id or its number alone; both name the file the store wrote.

import { describe, expect, it } from 'vitest';
import { formatCheckpointId } from '../../src/checkpoint/checkpointFiles.js';
import { checkpointArg } from '../../src/cli/checkpointArg.js';
import { UsageError } from '../../src/config/errors.js';

describe('checkpointArg', () => {
  it('gives the id the store writes for a number, padded or not, and for an id', () => {
    for (const n of [1, 3, 42, 999, 1000, 123456789]) {
      for (const given of [String(n), String(n).padStart(3, '0'), formatCheckpointId(n), `checkpoint_${n}`]) expect(checkpointArg('restore', given)).toBe(formatCheckpointId(n));
    }
  });

  it('refuses anything else with one line naming the command and the value', () => {
    for (const bad of ['latest', '', '-3', '3.0', 'checkpoint_', 'checkpoint_3x', '../checkpoint_003', '1234567890', ' 3']) {
      expect(() => checkpointArg('resume', bad)).toThrow(UsageError);
      expect(() => checkpointArg('resume', bad)).toThrow(`megatest resume: --checkpoint ${JSON.stringify(bad)}: expected a checkpoint id or its number, e.g. checkpoint_003 or 3`);
    }
  });
});
