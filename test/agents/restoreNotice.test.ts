// What a CLI agent started after a restore is told, and which of its
// recorded sessions it resumes (AgentLaunch.restored): a session that went
// on after the checkpoint is left for a fresh context; one that cannot have
// (a stopped run's final checkpoint) is resumed, and told the restore too.
// Once per agent: its later runs are not told again. Waits key on the
// adapter's messages.

import { describe, expect, it } from 'vitest';
import { buildTaskPrompt, restoreNotice } from '../../src/agents/taskPrompt.js';
import type { AgentResumeState } from '../../src/agents/types.js';
import { CliTaskAdapter } from '../../src/agents/cliTaskAdapter.js';
import { phase, runsOf, started, testSpec } from './cliTaskHarness.js';
import { makeLaunch, waitFor } from './helpers.js';

const AT = { id: 'checkpoint_004', taken_at: '2026-03-01T10:20:30.456Z' };

function stateWith(sessions: Record<string, { id: string; input: number; output: number }>, objectives: string[]): AgentResumeState {
  return { kind: 'claude-code', name: 'agent-1', role: 'developer', model: 'm', phase: 'development', objectives, completed: [], context_tokens: 0, native: { sessions } };
}

describe('restoreNotice', () => {
  it('names the checkpoint and its time, says later changes are gone and to check the files', () => {
    const text = restoreNotice(AT, 'none');
    expect(text).toContain('files were put back exactly as they were at checkpoint checkpoint_004, taken at 2026-03-01 10:20:30 UTC.');
    expect(text).toContain('Every change made to the project after that time, by you or by any other agent, is gone');
    expect(text).toMatch(/Check the files .* before going on/);
    expect(text).not.toContain('conversation');
    expect(restoreNotice(AT, 'continues')).toContain('This conversation goes on from before the restore');
    expect(restoreNotice(AT, 'not carried over')).toContain('You start on a fresh context');
  });

  it('comes first in the task prompt', () => {
    const prompt = buildTaskPrompt({ name: 'agent-1', role: 'developer', phase: 'p', objective: 'x', otherTasks: [], done: [], projectBrief: '', restoreNotice: restoreNotice(AT, 'none') });
    expect(prompt.startsWith('IMPORTANT, from megatest: the project was restored.')).toBe(true);
    expect(buildTaskPrompt({ name: 'agent-1', role: 'developer', phase: 'p', objective: 'x', otherTasks: [], done: [], projectBrief: '' })).not.toContain('restored');
  });
});

describe('CliTaskAdapter after a restore', () => {
  it('does not resume a session that went on after the checkpoint: a fresh context, told of the restore once', async () => {
    const { adapter, launch } = await started({
      launch: { resume: stateWith({ 'fail-x': { id: 'sess-old', input: 10, output: 5 } }, ['fail-x', 'fail-y']), restored: { ...AT, worked_after: true } },
    });
    expect(adapter.resumed).toEqual({
      ok: true,
      detail:
        'restored to checkpoint_004: 1 task session (sess-old) went on after it and holds work the restore undid, so it is not resumed: its 2 remaining tasks start on a fresh context, told of the restore; 0 tasks already done',
    });
    adapter.assign(phase(['fail-x', 'fail-y']));
    await waitFor(() => runsOf(launch).length === 2, 'both tasks run');
    const [first, second] = runsOf(launch);
    expect(first).toMatchObject({ task: 'fail-x', resume: null });
    expect(first!.prompt).toMatch(/^IMPORTANT, from megatest: the project was restored\. .*checkpoint_004, taken at 2026-03-01 10:20:30 UTC\./);
    expect(first!.prompt).toContain('You start on a fresh context');
    expect(second).toMatchObject({ task: 'fail-y', resume: null });
    expect(second!.prompt).not.toContain('restored');
  });

  it('resumes a session that cannot have gone on after the checkpoint, and tells the agent of the restore', async () => {
    const { adapter, launch } = await started({
      launch: { resume: stateWith({ 'fail-x': { id: 'sess-kept', input: 0, output: 0 } }, ['fail-x']), restored: { ...AT, worked_after: false } },
    });
    expect(adapter.resumed).toEqual({ ok: true, detail: 'native: 1 task session continues (sess-kept); 0 tasks already done' });
    adapter.assign(phase(['fail-x']));
    await waitFor(() => runsOf(launch).length === 1, 'the task runs');
    const run = runsOf(launch)[0]!;
    expect(run).toMatchObject({ task: 'fail-x', resume: 'sess-kept' });
    expect(run.prompt).toMatch(/^IMPORTANT, from megatest: the project was restored\./);
    expect(run.prompt).toContain('This conversation goes on from before the restore');
  });

  it('a kind whose resume takes no prompt (selfware) starts fresh after any restore: it could not be told', () => {
    const launch = makeLaunch({ resume: stateWith({ 'fail-x': { id: 'task-7', input: 0, output: 0 } }, ['fail-x']), restored: { ...AT, worked_after: false } });
    const adapter = new CliTaskAdapter(launch, { spec: { ...testSpec(), resumeTakesNoPrompt: true }, binary: process.execPath });
    expect(adapter.resumed).toEqual({
      ok: true,
      detail:
        'restored to checkpoint_004: 1 task session (task-7) cannot be told of the restore (claude-code resumes a session without a prompt), so it is not resumed: its remaining task starts on a fresh context, told of the restore; 0 tasks already done',
    });
  });

  it('a restart that is no restore (a hung agent, a model switch) resumes as before and says nothing of a restore', async () => {
    const { launch, adapter } = await started({ launch: { resume: stateWith({ 'fail-x': { id: 'sess-same', input: 0, output: 0 } }, ['fail-x']) } });
    adapter.assign(phase(['fail-x']));
    await waitFor(() => runsOf(launch).length === 1, 'the task runs');
    expect(runsOf(launch)[0]).toMatchObject({ resume: 'sess-same' });
    expect(runsOf(launch)[0]!.prompt).not.toContain('restored');
  });
});
