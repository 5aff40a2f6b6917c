// Worktree isolation: after a task_done, a CLI agent starts its next task only
// once megatest has taken the finished task's work (AgentLaunch.workTaken: its
// worktree committed on its branch). Before, the next task started in the same
// call as the task_done, and a merge queued behind a checkpoint took the next
// task's first files with it. The check keys on the adapter's own messages:
// the next task's `working` state is said in the same call that starts it.

import { describe, expect, it } from 'vitest';
import { doneTasks, phase, started } from './cliTaskHarness.js';
import { waitFor } from './helpers.js';

describe('CliTaskAdapter with worktree isolation', () => {
  it('starts the next task only once the finished one’s work is taken', async () => {
    let release!: () => void;
    const taken = new Promise<void>((resolve) => (release = resolve));
    let asked = 0;
    let startedBeforeTaken: boolean | null = null;
    const { adapter, recorder } = await started({
      launch: {
        workTaken: () => {
          asked += 1;
          return asked === 1 ? taken : Promise.resolve();
        },
      },
      onMessage: (message) => {
        // Whatever the adapter does at the task_done is done once this call returns: looked at in the next microtask.
        if (message.type === 'task_done' && message.task === 'ok-a') {
          queueMicrotask(() => (startedBeforeTaken = recorder.of('state').some((s) => s.task === 'ok-b')));
        }
      },
    });
    adapter.assign(phase(['ok-a', 'ok-b']));
    await waitFor(() => startedBeforeTaken !== null, 'the task_done of ok-a');
    expect(startedBeforeTaken).toBe(false);
    expect(adapter.pid).toBeUndefined();
    release();
    await waitFor(() => doneTasks(recorder).length === 2, 'both tasks done');
    expect(doneTasks(recorder)).toEqual(['ok-a', 'ok-b']);
    expect(asked).toBe(2);
  });
});
