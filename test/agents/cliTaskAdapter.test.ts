// The generic adapter for CLI agents, driven by a test spec that runs a small
// node script (test/fixtures/agents/cliTask/taskAgent.mjs) whose behaviour is
// picked by the task's name. Waits key on the adapter's messages and on the
// processes' own state (/proc), never on the clock.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_LINE_CHARS, OVER_LONG_HEAD_CHARS, readOverLongNote } from '../../src/agents/lineSplitter.js';
import { CAPABILITIES, doneTasks, phase, runsOf, started } from './cliTaskHarness.js';
import { waitFor } from './helpers.js';
import { isPidAlive } from '../../src/io/processAlive.js';

function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    return null;
  }
}

describe('CliTaskAdapter: one process per task', () => {
  it('runs each objective in its own process and turns each success into task_done', async () => {
    const { adapter, recorder, launch } = await started();
    expect(adapter.capabilities).toEqual(CAPABILITIES);
    expect(adapter.pid).toBeUndefined(); // idle: no process
    adapter.assign(phase(['ok-a', 'ok-b']));
    await waitFor(() => doneTasks(recorder).length === 2, 'both tasks done');
    expect(doneTasks(recorder)).toEqual(['ok-a', 'ok-b']);
    const runs = runsOf(launch);
    expect(runs.map((r) => r.task)).toEqual(['ok-a', 'ok-b']);
    expect(new Set(runs.map((r) => r.pid)).size).toBe(2);
    expect(runs.every((r) => r.model === 'test-model')).toBe(true);
    // Each process is told where it is, who it is and its task (docs/agents.md).
    expect(runs[1]!.megatest).toEqual({
      MEGATEST_SESSION_DIR: launch.sessionDir,
      MEGATEST_PROJECT_DIR: launch.projectDir,
      MEGATEST_AGENT_NAME: launch.name,
      MEGATEST_AGENT_ROLE: launch.role,
      MEGATEST_PHASE: 'development',
      MEGATEST_MODEL: 'test-model',
      MEGATEST_AGENT_HOME: path.join(launch.agentDir, 'home'),
      MEGATEST_TASK: 'ok-b',
    });
    // The prompt names the role, the phase and the task.
    expect(runs[0]!.prompt).toContain('developer');
    expect(runs[0]!.prompt).toContain('Phase: development');
    expect(runs[0]!.prompt).toContain('Your task now: ok-a');
    // Tokens the stream did not name the model of carry the adapter's model; the cost comes as its own message.
    expect(recorder.of('tokens')).toEqual([
      { type: 'tokens', input: 100, output: 20, model: 'test-model' },
      { type: 'tokens', input: 0, output: 0, model: 'test-model', cost_usd: 0.01 },
      { type: 'tokens', input: 100, output: 20, model: 'test-model' },
      { type: 'tokens', input: 0, output: 0, model: 'test-model', cost_usd: 0.01 },
    ]);
    expect(recorder.of('state').map((s) => `${s.status}:${s.task ?? ''}`)).toEqual(['idle:', 'working:ok-a', 'working:ok-b', 'idle:']);
    const log = readFileSync(path.join(launch.agentDir, 'output.log'), 'utf8');
    expect(log).toContain('[megatest] task "ok-a" started');
    expect(log).toContain('plain output line');
    expect(existsSync(path.join(launch.agentDir, 'home'))).toBe(true);
    expect(recorder.exits).toEqual([]);
  });

  it('reports a failed run as an error, moves on, and retries it only when told to', async () => {
    const { adapter, recorder, launch } = await started();
    adapter.assign(phase(['fail-x', 'ok-y']));
    await waitFor(() => doneTasks(recorder).includes('ok-y'), 'the second task done');
    const errors = recorder.of('error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/task "fail-x" failed \(exit code 1\): it broke/);
    await waitFor(() => recorder.of('state').at(-1)?.status === 'idle', 'idle after the round');
    expect(runsOf(launch).map((r) => r.task)).toEqual(['fail-x', 'ok-y']);
    // resume (a recovery's retry) gives the failed task another run, resuming its session natively.
    expect(adapter.control('resume')).toEqual({ ok: true });
    await waitFor(() => recorder.of('error').length === 2, 'the retry to fail again');
    expect(runsOf(launch).at(-1)).toMatchObject({ task: 'fail-x', resume: 'sess-fail-x' });
  });

  it('reads the exit code through the spec when the stream says nothing', async () => {
    const { adapter, recorder } = await started();
    adapter.assign(phase(['exit0-a', 'exit3-b']));
    await waitFor(() => recorder.of('error').length === 1, 'the exit-3 task to fail');
    expect(doneTasks(recorder)).toEqual(['exit0-a']);
    expect(recorder.of('error')[0]!.message).toMatch(/task "exit3-b" failed \(exit code 3\): exit code 3/);
  });

  it('a run with no outcome that said why on stderr: the failure, and a crash\'s exit, quote it', async () => {
    const { adapter, recorder } = await started();
    adapter.assign(phase(['enoent-a', 'stderrkill-b']));
    await waitFor(() => recorder.exits.length === 1, 'the crash');
    expect(recorder.of('error')[0]!.message).toBe(`task "enoent-a" failed (exit code 127): exit code 127; stderr: /usr/bin/env: 'node': No such file or directory`);
    // The runtime's own last line ("Node.js v…") says nothing of it and is passed over.
    expect(recorder.exits[0]).toEqual({ code: null, signal: 'SIGKILL', stderrClue: 'fatal: out of file descriptors' });
  });

  it('reads stderr as the program\'s diagnostics, not its messages, unless the kind prints messages there (selfware)', async () => {
    // codex's traces on stderr can carry lines that look like its JSONL (openai/codex#36804): counted, they were calls it never made.
    const quiet = await started();
    quiet.adapter.assign(phase(['stderrjson-a']));
    await waitFor(() => doneTasks(quiet.recorder).includes('stderrjson-a'), 'the task done');
    expect(quiet.recorder.of('tool_call')).toEqual([]);
    expect(quiet.recorder.of('parse_failure')).toEqual([]);
    const both = await started({ messagesOnStderr: true });
    both.adapter.assign(phase(['stderrjson-b']));
    await waitFor(() => doneTasks(both.recorder).includes('stderrjson-b'), 'the task done');
    expect(both.recorder.of('tool_call')).toEqual([{ type: 'tool_call', tool: 'from_stderr', ok: true, duration_ms: 1 }]);
  });

  it('counts an agent killed by a signal it did not get from megatest as a crash of the adapter', async () => {
    const { adapter, recorder } = await started();
    adapter.assign(phase(['crash-now', 'ok-later']));
    await waitFor(() => recorder.exits.length === 1, 'the crash');
    expect(recorder.exits[0]).toEqual({ code: null, signal: 'SIGKILL' });
    expect(recorder.of('error')).toEqual([]);
    adapter.assign(phase(['ok-later']));
    expect(adapter.control('pause')).toEqual({ ok: false, reason: 'agent is not running' });
    expect(doneTasks(recorder)).toEqual([]);
  });

  it('a program that cannot be started is an error of the task, not a crash', async () => {
    const { adapter, recorder } = await started({ binary: '/nonexistent/agent-cli' });
    adapter.assign(phase(['ok-a']));
    await waitFor(() => recorder.of('error').length === 1, 'the spawn failure');
    expect(recorder.of('error')[0]!.message).toMatch(/cannot start the agent program \/nonexistent\/agent-cli: ENOENT/);
    expect(recorder.exits).toEqual([]);
  });

  it('ends a run that lingers after its outcome, and still counts the task done', async () => {
    const { adapter, recorder, launch } = await started({ graceMs: 50 });
    adapter.assign(phase(['linger-a']));
    await waitFor(() => doneTasks(recorder).length === 1, 'the lingering task to count');
    const pid = runsOf(launch)[0]!.pid;
    await waitFor(() => !isPidAlive(pid), 'the lingering process to be gone');
    expect(recorder.exits).toEqual([]);
  });

  // A run that said it succeeded and then lingers (a real claude takes a moment to exit): the task is done, whatever ends
  // the process. Before, the phase moving on meanwhile dropped it, its tokens and cost counted and the task never done.
  it('counts a task done whose run said it succeeded, when the phase moves on before its process exits', async () => {
    const { adapter, recorder } = await started({ graceMs: 600_000 });
    adapter.assign(phase(['linger-a', 'ok-b']));
    await waitFor(() => recorder.of('outcome').length === 1, 'linger-a to say it succeeded');
    adapter.assign(phase(['ok-b']));
    await waitFor(() => doneTasks(recorder).includes('ok-b'), 'ok-b done');
    expect(doneTasks(recorder)).toEqual(['linger-a', 'ok-b']);
  });

  it('counts it done at the session\'s stop too, and does not restart it for a compression', async () => {
    const { adapter, recorder } = await started({ graceMs: 600_000 });
    adapter.assign(phase(['linger-a', 'ok-b']));
    await waitFor(() => recorder.of('outcome').length === 1, 'linger-a to say it succeeded');
    const compressed = await adapter.compressContext();
    expect(compressed.detail).toMatch(/^harness compression: no task running/);
    await adapter.stop(200);
    expect(doneTasks(recorder)).toEqual(['linger-a']);
  });

  it('stops the running task when its objective goes to another agent, and starts the next', async () => {
    const { adapter, recorder, launch } = await started();
    adapter.assign(phase(['tick-a', 'ok-b']));
    await waitFor(() => recorder.of('tokens').length > 0, 'tick-a to run');
    const pid = runsOf(launch)[0]!.pid;
    adapter.assign(phase(['ok-b']));
    await waitFor(() => doneTasks(recorder).includes('ok-b'), 'ok-b done');
    expect(isPidAlive(pid)).toBe(false);
    expect(recorder.of('error')).toEqual([]);
  });
});

describe('CliTaskAdapter: what an agent prints never crashes it', () => {
  it('binary garbage, malformed lines, a 10 MB line, nothing, a stream cut mid-line', async () => {
    const { adapter, recorder, launch } = await started();
    adapter.assign(phase(['garbage-a', 'huge-b', 'silent-c', 'cut-d']));
    await waitFor(() => doneTasks(recorder).length === 4, 'all four tasks done', 30_000);
    expect(doneTasks(recorder)).toEqual(['garbage-a', 'huge-b', 'silent-c', 'cut-d']);
    // Three malformed JSON-looking lines from garbage-a, the cut line from cut-d.
    const failures = recorder.of('parse_failure');
    expect(failures.map((f) => f.reason)).toEqual(['not JSON', 'not JSON', 'no type', 'not JSON']);
    // No line handed on is longer than the splitter's bound (memory stays bounded).
    const longest = Math.max(...recorder.messages.map((m) => (m.type === 'output' || m.type === 'parse_failure' ? m.line.length : 0)));
    expect(longest).toBeLessThanOrEqual(MAX_LINE_CHARS);
    // The huge line is one line, never pieces: a note naming its length, then its start.
    const huge = recorder.outputs().flatMap((l) => readOverLongNote(l) ?? []);
    expect(huge).toEqual([{ chars: 10 * 1024 * 1024, head: 'x'.repeat(OVER_LONG_HEAD_CHARS) }]);
    expect(recorder.outputs().filter((l) => /^x+$/.test(l))).toEqual([]);
    // Everything is kept raw in output.log.
    const log = readFileSync(path.join(launch.agentDir, 'output.log'));
    expect(log.length).toBeGreaterThan(10 * 1024 * 1024 + 200 * 1024);
    expect(recorder.exits).toEqual([]);
  }, 60_000);
});

describe('CliTaskAdapter: control', () => {
  it('stop kills the whole process tree of the running task', async () => {
    const { adapter, recorder } = await started();
    adapter.assign(phase(['tree-a']));
    await waitFor(() => recorder.hasOutput(/^grandchild \d+$/), 'the grandchild');
    const grandchild = Number(/^grandchild (\d+)$/.exec(recorder.outputs().find((l) => l.startsWith('grandchild'))!)![1]);
    const pid = adapter.pid!;
    expect(isPidAlive(grandchild)).toBe(true);
    const exit = await adapter.stop(1000);
    expect(exit.signal).toBe('SIGTERM');
    await waitFor(() => !isPidAlive(grandchild) && !isPidAlive(pid), 'the tree to be gone');
    expect(recorder.exits).toEqual([exit]);
    expect(adapter.control('resume')).toEqual({ ok: false, reason: 'agent is not running' });
  });

  it('pause stops the task process group in place; resume lets it go on', async () => {
    const { adapter, recorder } = await started();
    adapter.assign(phase(['tick-a']));
    await waitFor(() => recorder.of('tokens').length > 0, 'the task to run');
    const pid = adapter.pid!;
    expect(adapter.control('pause')).toEqual({ ok: true });
    await waitFor(() => procState(pid) === 'T', 'the process to be stopped');
    expect(recorder.of('state').at(-1)).toEqual({ type: 'state', status: 'waiting', task: 'tick-a' });
    expect(adapter.control('resume')).toEqual({ ok: true });
    await waitFor(() => procState(pid) !== 'T', 'the process to run again');
    const seen = recorder.of('tokens').length;
    await waitFor(() => recorder.of('tokens').length > seen, 'more output after resume');
    expect(recorder.of('state').at(-1)).toEqual({ type: 'state', status: 'working', task: 'tick-a' });
  });

  it('a run under way at a pause that fails after the resume says so; a run begun after it does not', async () => {
    const { adapter, recorder } = await started();
    adapter.assign(phase(['usr2fail-a', 'fail-b']));
    await waitFor(() => recorder.of('tokens').length > 0, 'the first task to run');
    const pid = adapter.pid!;
    adapter.control('pause');
    await waitFor(() => procState(pid) === 'T', 'the process to be stopped');
    adapter.control('resume');
    await waitFor(() => procState(pid) !== 'T', 'the process to run again');
    process.kill(pid, 'SIGUSR2');
    await waitFor(() => recorder.of('error').length === 2, 'both tasks to fail');
    const [first, second] = recorder.of('error');
    expect(first).toMatchObject({ message: expect.stringMatching(/^task "usr2fail-a" failed .*told to fail/), pausedMidRun: true });
    expect(second!.message).toMatch(/^task "fail-b" failed/);
    expect(second).not.toHaveProperty('pausedMidRun');
  });

  it('answers what it cannot do with a reason', async () => {
    const { adapter } = await started({ capabilities: { ...CAPABILITIES, pause: false } });
    expect(adapter.control('checkpoint')).toEqual({
      ok: false,
      reason: "claude-code keeps no checkpoints of its own; megatest's checkpoint records its session ids and remaining tasks",
    });
    expect(adapter.control('pause')).toEqual({ ok: false, reason: 'claude-code cannot be paused' });
    expect(adapter.resumed).toBeNull();
  });

  it('a paused idle agent starts nothing until resumed', async () => {
    const { adapter, recorder, launch } = await started();
    adapter.control('pause');
    adapter.assign(phase(['ok-a']));
    expect(runsOf(launch)).toEqual([]);
    expect(adapter.pid).toBeUndefined();
    adapter.control('resume');
    await waitFor(() => doneTasks(recorder).length === 1, 'the task after resume');
  });
});

describe('CliTaskAdapter: harness compression', () => {
  it('restarts the running task on a fresh context with a summary, and reports before and an estimated after', async () => {
    const { adapter, recorder, launch } = await started();
    // A work dir with a commit and a change, so the summary lists a changed file.
    const git = (...args: string[]) => execFileSync('git', ['-C', launch.projectDir, ...args], { stdio: 'ignore', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
    git('init', '-q', '-b', 'main');
    git('commit', '-q', '--allow-empty', '-m', 'start');
    writeFileSync(path.join(launch.projectDir, 'queue.js'), 'export const queue = [];\n');
    adapter.observeTestRun({ passed: 3, failed: 1, failing: ['queue drains in order'] });
    adapter.assign(phase(['ok-done', 'tick-work']));
    await waitFor(() => recorder.of('tokens').some((t) => t.model === 'tick-model' && t.input >= 3000), 'the long task to report its context');
    const lastInput = recorder.of('tokens').filter((t) => t.model === 'tick-model').at(-1)!.input;
    const report = await adapter.compressContext();
    expect(report.tokensBefore).toBeGreaterThanOrEqual(lastInput);
    const runs = () => runsOf(launch).filter((r) => r.task === 'tick-work');
    await waitFor(() => runs().length === 2, 'the task to start again');
    const restarted = runs()[1]!;
    expect(restarted.resume).toBeNull(); // a fresh context, not the old session
    expect(restarted.prompt).toContain('Summary of the work so far');
    expect(restarted.prompt).toContain('Task in progress when the context was reset: tick-work');
    expect(restarted.prompt).toContain('Tasks you finished: ok-done');
    expect(restarted.prompt).toContain('queue.js');
    expect(restarted.prompt).toContain('1 failed, 3 passed; failing:\n  queue drains in order');
    const summary = restarted.prompt.slice(restarted.prompt.indexOf('Summary of the work so far'), restarted.prompt.indexOf('\n\nDo this one task'));
    expect(report.tokensAfter).toBe(Math.ceil(summary.length / 4));
    expect(report.detail).toMatch(/after an estimate \(the summary's \d+ chars \/ 4\), not usage/);
    expect(recorder.of('error')).toEqual([]);
    expect(recorder.exits).toEqual([]);
  });

  it('with no task running there is nothing to restart', async () => {
    const { adapter } = await started();
    const report = await adapter.compressContext();
    expect(report).toMatchObject({ tokensBefore: 0, tokensAfter: 0 });
  });
});

describe('CliTaskAdapter: resume from state', () => {
  it('keeps each unfinished task’s native session and resumes it after a restart', async () => {
    const first = await started();
    first.adapter.assign(phase(['fail-x']));
    await waitFor(() => first.recorder.of('error').length === 1, 'the task to fail');
    const state = first.adapter.resumeState();
    expect(state.native).toEqual({ sessions: { 'fail-x': { id: 'sess-fail-x', input: 0, output: 0 } } });
    await first.adapter.stop(200);

    const second = await started({ launch: { resume: state, model: 'next-model', agentDir: first.launch.agentDir, sessionDir: first.launch.sessionDir, projectDir: first.launch.projectDir } });
    expect(second.adapter.resumed).toEqual({ ok: true, detail: 'native: 1 task session continues (sess-fail-x); 0 tasks already done' });
    second.adapter.assign(phase(['fail-x']));
    await waitFor(() => second.recorder.of('error').length === 1, 'the resumed run');
    expect(runsOf(second.launch).at(-1)).toMatchObject({ task: 'fail-x', resume: 'sess-fail-x', model: 'next-model' });
  });

  it('says when it cannot resume natively', async () => {
    const { adapter } = await started({
      capabilities: { ...CAPABILITIES, nativeResume: false },
      launch: {
        resume: { kind: 'claude-code', name: 'agent-1', role: 'developer', model: 'm', phase: 'development', objectives: ['a', 'b'], completed: ['a'], context_tokens: 0 },
      },
    });
    expect(adapter.resumed).toEqual({
      ok: false,
      reason: "claude-code cannot resume a session: its remaining task starts afresh (megatest's state keeps the 1 done)",
    });
  });
});
