// selfware prints no task id; the id `selfware resume` takes is the name of
// the checkpoint a run saves under the agent's HOME. The lookup finds the
// run's own checkpoint (never an earlier run's), and the adapter keeps it as
// the task's native session, so a retry or a restore resumes it natively.
// Runs the real selfware spec on the fake selfware; waits key on the
// adapter's messages, never on the clock.

import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CliTaskAdapter } from '../../../src/agents/cliTaskAdapter.js';
import { listSelfwareCheckpoints, selfwareCheckpointsDir, selfwareTaskIdLookup } from '../../../src/agents/selfware/checkpoints.js';
import { SELFWARE_CONFIG_FILE } from '../../../src/agents/selfware/configFile.js';
import { selfwareSpec } from '../../../src/agents/selfware/spec.js';
import type { AgentLaunch, PhaseAssignment } from '../../../src/agents/types.js';
import { PACKAGE_ROOT } from '../../../src/paths.js';
import { makeLaunch, Recorder, removeTempDirs, tempDir, waitFor } from '../helpers.js';

const FAKE = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'agents', 'fake-selfware.mjs');
const phase = (objectives: string[]): PhaseAssignment => ({ phase: 'development', objectives, duration_seconds: 600 });

function writeCheckpoint(home: string, id: string, atSeconds: number): void {
  const dir = selfwareCheckpointsDir(home);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${id}.json`);
  writeFileSync(file, JSON.stringify({ task_id: id, status: 'in_progress' }));
  utimesSync(file, atSeconds, atSeconds);
}

describe('selfwareTaskIdLookup', () => {
  afterAll(removeTempDirs);

  it('finds the checkpoint a run saves or rewrites after it began, never one that was there before', () => {
    const home = tempDir('megatest-selfware-home-');
    const lookup0 = selfwareTaskIdLookup(home);
    expect(lookup0()).toBeNull(); // no checkpoints folder yet
    // An earlier run's task, saved in the very second this run starts (a filesystem keeping seconds).
    writeCheckpoint(home, 'earlier', 1_000);
    const lookup = selfwareTaskIdLookup(home);
    expect(lookup()).toBeNull();
    writeCheckpoint(home, 'this-run', 1_000);
    expect(lookup()).toBe('this-run');
    // A resumed task rewrites its own checkpoint: that one is the run's.
    const resumed = selfwareTaskIdLookup(home);
    writeCheckpoint(home, 'earlier', 2_000);
    expect(resumed()).toBe('earlier');
  });
});

describe('the selfware adapter keeps the task id selfware saved as the task’s native session', () => {
  const adapters: CliTaskAdapter[] = [];
  afterEach(async () => {
    for (const adapter of adapters.splice(0)) await adapter.stop(200);
  });
  afterAll(removeTempDirs);

  async function started(env: Record<string, string>): Promise<{ adapter: CliTaskAdapter; recorder: Recorder; launch: AgentLaunch; home: string }> {
    const launch = makeLaunch();
    mkdirSync(launch.projectDir, { recursive: true });
    writeFileSync(path.join(launch.sessionDir, SELFWARE_CONFIG_FILE), 'endpoint = "http://127.0.0.1:9/v1"\nmodel = "m"\n');
    const adapter = new CliTaskAdapter(launch, {
      spec: selfwareSpec,
      binary: FAKE,
      env: { FAKE_AGENT_SPEED: 'max', FAKE_AGENT_STATE_DIR: path.join(launch.sessionDir, 'fake-state'), ...env },
    });
    adapters.push(adapter);
    const recorder = new Recorder();
    await adapter.start(recorder.onMessage, recorder.onExit);
    return { adapter, recorder, launch, home: path.join(launch.agentDir, 'home') };
  }

  it('each task run reports its own selfware task id; a done task’s is let go', async () => {
    const { adapter, recorder, home } = await started({});
    adapter.assign(phase(['first', 'second']));
    await waitFor(() => recorder.of('task_done').length === 2, 'both tasks done');
    const saved = listSelfwareCheckpoints(home).map((c) => c.taskId);
    expect(saved).toHaveLength(2);
    const sessions = recorder.of('session').map((m) => m.id);
    expect(sessions).toHaveLength(2);
    expect(new Set(sessions)).toEqual(new Set(saved));
    expect(sessions[1]).toBe(saved[0]); // the newest checkpoint is the second task's
    // Reported before the task was done, from its steps.
    const order = recorder.messages.filter((m) => m.type === 'session' || m.type === 'task_done').map((m) => m.type);
    expect(order).toEqual(['session', 'task_done', 'session', 'task_done']);
    expect(adapter.resumeState().native).toBeUndefined();
  });

  it('a checkpoint taken while the task runs names it, so a restore resumes it natively', async () => {
    // Hangs after its second step (the 20th line of the log), alive, its checkpoint saved.
    const { adapter, recorder, home } = await started({ FAKE_AGENT_FAULT_PLAN: 'hang:20@1' });
    adapter.assign(phase(['long task']));
    await waitFor(() => recorder.of('session').length === 1, 'the task id, while the task runs');
    expect(adapter.pid).toBeDefined();
    const [saved] = listSelfwareCheckpoints(home);
    expect(recorder.of('session')[0]!.id).toBe(saved!.taskId);
    expect(adapter.resumeState().native).toEqual({ sessions: { 'long task': { id: saved!.taskId, input: expect.any(Number), output: expect.any(Number) } } });
  });

  it('a failed task keeps its id, and its retry runs `selfware resume <id>`', async () => {
    const { adapter, recorder, launch, home } = await started({ FAKE_AGENT_FAULT_PLAN: 'fail@1' });
    adapter.assign(phase(['flaky task']));
    // (selfware's own error lines come first; the adapter's verdict on the run last.)
    await waitFor(() => recorder.of('error').some((e) => e.message.startsWith('task "flaky task" failed')), 'the first run to fail');
    const [saved] = listSelfwareCheckpoints(home);
    expect((adapter.resumeState().native as { sessions: Record<string, { id: string }> }).sessions['flaky task']!.id).toBe(saved!.taskId);
    expect(adapter.control('resume')).toEqual({ ok: true });
    await waitFor(() => recorder.of('task_done').length === 1, 'the retry to finish the task');
    const log = readFileSync(path.join(launch.agentDir, 'output.log'), 'utf8');
    expect(log).toContain(`(resuming session ${saved!.taskId})`);
    expect(recorder.hasOutput(/^🔄 Resuming task: /u)).toBe(true);
    // Still one task, one checkpoint: the retry continued it rather than starting another.
    expect(listSelfwareCheckpoints(home).map((c) => c.taskId)).toEqual([saved!.taskId]);
  });
});
