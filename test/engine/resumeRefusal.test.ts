// `resume --checkpoint ID` refused: a checkpoint that is not there is bad
// input (exit 2), one there that fails its checks is damage (exit 1), as
// `megatest restore` and `checkpoints verify` have it (docs/recovery.md).

import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/config/errors.js';
import { RunFileReadError } from '../../src/io/readError.js';
import { namedCheckpointRefusal } from '../../src/engine/resumeRefusal.js';

describe('namedCheckpointRefusal', () => {
  it('is bad input for a checkpoint that is not there', () => {
    const refusal = namedCheckpointRefusal('checkpoint_009', 'checkpoint checkpoint_009 cannot be used: no such checkpoint: /r/checkpoints/checkpoint_009.json not found; there are checkpoint_001 to checkpoint_002', '/r/checkpoints');
    expect(refusal).toBeInstanceOf(UsageError);
    expect(refusal.message).toBe('megatest resume --checkpoint checkpoint_009: refused: checkpoint checkpoint_009 cannot be used: no such checkpoint: /r/checkpoints/checkpoint_009.json not found; there are checkpoint_001 to checkpoint_002');
  });

  it('is damage, naming the checkpoints folder, for one that fails its checks', () => {
    const refusal = namedCheckpointRefusal('checkpoint_002', 'checkpoint checkpoint_002 cannot be used: checksum mismatch', '/r/checkpoints');
    expect(refusal).toBeInstanceOf(RunFileReadError);
    expect(refusal).not.toBeInstanceOf(UsageError);
    expect(refusal.message).toBe('megatest resume --checkpoint checkpoint_002: refused: checkpoint checkpoint_002 cannot be used: checksum mismatch');
    expect((refusal as RunFileReadError).file).toBe('/r/checkpoints');
  });
});
