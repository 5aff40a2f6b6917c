// merge_failed (an agent's branch that cannot be merged into main for another
// reason than a conflict, its retries spent) is a critical class, and is
// handled as the other critical classes are (docs/recovery.md): its error
// event, a pause_and_alert recovery and the session paused for a person (in
// CI, the session stops); a person's continue tries the merge again. Before,
// it was an error event only: nothing paused, and the session ended on time
// with that work never on main.

import { describe, expect, it } from 'vitest';
import { recoveryOver } from './recoveryHarness.js';

const MESSAGE = 'merging megatest/agent-2 ("t1") into main failed 4 times: git merge failed: not something we can merge';

describe('merge_failed', () => {
  it('pauses the session for a person, with its critical error and a pause_and_alert recovery', async () => {
    const h = recoveryOver({ pendingRecovery: null, attempts: new Map() });
    await h.recovery.onMergeFailed(h.slot, MESSAGE);
    const errors = h.events.filter((e) => e.type === 'error');
    expect(errors).toEqual([{ type: 'error', class: 'merge_failed', severity: 'critical', agent: 'agent-2', message: MESSAGE }]);
    expect(h.outcomes()).toEqual(['pause_and_alert started']);
    expect(h.pauses).toEqual([[`merge_failed on agent-2: ${MESSAGE}`, 'a person continues']]);
  });

  it('in CI, gives up: no person will continue the pause (pauseForPerson stops the session)', async () => {
    const h = recoveryOver({ pendingRecovery: null, attempts: new Map() }, { unattended: true });
    await h.recovery.onMergeFailed(h.slot, MESSAGE);
    expect(h.outcomes()).toEqual(['pause_and_alert started', 'pause_and_alert gave_up']);
  });

  it('a continue tries the failed merges again', () => {
    let retried = 0;
    const conflicts = { handOver: async () => null, reassign: async () => null, retryFailedMerges: () => void (retried += 1) };
    const h = recoveryOver({ pendingRecovery: null, attempts: new Map() }, { conflicts });
    h.recovery.reset('api');
    expect(retried).toBe(1);
  });
});
