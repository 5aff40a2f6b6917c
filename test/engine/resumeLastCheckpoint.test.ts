// After `megatest resume`, `status` (the control API's last_checkpoint) names
// the newest checkpoint the log recorded: the keeper set it only when it took
// one, so a run just restored from checkpoint_001 said "checkpoint none yet".

import { describe, expect, it, vi } from 'vitest';
import type { AgentPool } from '../../src/engine/agentPool.js';
import { CheckpointKeeper } from '../../src/engine/checkpointKeeper.js';
import type { EngineContext } from '../../src/engine/context.js';
import type { Measurer } from '../../src/engine/measurer.js';
import type { CheckpointView } from '../../src/state/runState.js';

const recorded: CheckpointView[] = [
  { id: 'checkpoint_001', seq: 40, ts: '2026-12-06T10:00:00.000Z', atSeconds: 60, phase: 'bootstrap', trigger: 'phase', files: 12, bytes: 3400, linesOfCode: 210, testPassRate: 1 },
  { id: 'checkpoint_002', seq: 90, ts: '2026-12-06T10:05:00.000Z', atSeconds: 360, phase: 'development', trigger: 'time', files: 20, bytes: 9100, linesOfCode: null, testPassRate: null, damaged: true },
];

function keeperOver(ids: string[]) {
  const ctx = {
    store: { ids: async () => ids },
    state: { checkpoints: recorded },
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    emit: () => undefined,
  } as unknown as EngineContext;
  const keeper = new CheckpointKeeper(ctx, {} as AgentPool, {} as Measurer);
  // The restore itself is checkpointKeeper.test.ts's business.
  vi.spyOn(keeper, 'restore').mockResolvedValue(undefined as never);
  return keeper;
}

describe('the last checkpoint after a resume', () => {
  it('is the newest the log recorded, damaged ones said invalid', async () => {
    const keeper = keeperOver(['checkpoint_001', 'checkpoint_002']);
    expect(keeper.lastCheckpoint).toBeNull();
    expect(await keeper.resumeFrom(undefined, () => undefined)).toBe(true);
    expect(keeper.lastCheckpoint).toEqual({
      id: 'checkpoint_002',
      timestamp: '2026-12-06T10:05:00.000Z',
      phase: 'development',
      trigger: 'time',
      files: 20,
      bytes: 9100,
      lines_of_code: null,
      test_pass_rate: null,
      valid: false,
    });
  });

  it('is none when the checkpoint the log names is gone from the run folder', async () => {
    const keeper = keeperOver(['checkpoint_001']);
    await keeper.resumeFrom(undefined, () => undefined);
    expect(keeper.lastCheckpoint).toBeNull();
  });
});
