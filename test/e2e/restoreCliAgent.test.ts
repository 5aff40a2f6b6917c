// A restore mid-session of a claude-code run (fake claude,
// test/fixtures/agents/fake-claude.mjs, which logs each invocation's argv and
// prompt to FAKE_CLAUDE_CALLS): the checkpoint recorded the running task's
// Claude session, and the agent went on working after it, so that session's
// transcript holds work the restore undid. The task's next run must not
// `--resume` it: it starts on a fresh context, and its prompt says first,
// plainly, which checkpoint project/ went back to, when it was taken, that
// later changes are gone, and to check the files. Waits key on events and on
// the fake's own log, never on a guessed delay.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { BUILT, eventsOf, killRunsIn, readEvents, removeDir, runCli, runHeadless, tempRunsDir, waitFor, waitForEventWhileRunning } from '../helpers/cli.js';

const FAKE_CLAUDE = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'agents', 'fake-claude.mjs');

interface Call {
  args: string[];
  prompt: string;
}

function callsIn(file: string): Call[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Call);
}

interface Body {
  timestamp: string;
  agent_states: { name: string; native?: { sessions?: Record<string, { id: string }> } }[];
}

const bodyOf = (runDir: string, id: string): Body => (JSON.parse(readFileSync(path.join(runDir, 'checkpoints', `${id}.json`), 'utf8')) as { body: Body }).body;
const sessionsOf = (body: Body) => Object.entries(body.agent_states.find((s) => s.name === 'agent-1')?.native?.sessions ?? {});

const resumedId = (call: Call): string | undefined => {
  const at = call.args.indexOf('--resume');
  return at < 0 ? undefined : call.args[at + 1];
};

describe.skipIf(!BUILT)(`a restore of a claude-code run${BUILT ? '' : ' (skipped: dist/ is not built; npm run build)'}`, () => {
  const runsDir = tempRunsDir('megatest-restore-cli-');
  const runDir = path.join(runsDir, 'restore-cli');
  const config = path.join(runsDir, 'restore-cli.toml');
  const calls = path.join(runsDir, 'claude-calls.jsonl');
  afterAll(() => {
    killRunsIn(runsDir);
    removeDir(runsDir);
  });

  it('starts the task whose session outlived the checkpoint on a fresh context, told plainly of the restore', async () => {
    writeFileSync(
      config,
      [
        '[monitoring]',
        'health_check_interval = 1',
        'control_port = 18961',
        '[agents]',
        'kind = "claude-code"',
        `binary = ${JSON.stringify(FAKE_CLAUDE)}`,
        'models = ["model-a"]',
        'isolation = "shared"',
        '[checkpoint]',
        // A checkpoint every other tool call: taken while the task runs, with its session recorded.
        'tool_call_threshold = 2',
        'interval_minutes = 60',
        '[projects.task_queue]',
        'build_command = "true"',
        'test_command = "true"',
        'coverage_command = ""',
        '',
      ].join('\n'),
    );
    const run = runHeadless(['run', 'task_queue', '--headless', '--agents', '1', '--duration', '10m', '--config', config, '--runs-dir', runsDir, '--session-id', 'restore-cli'], {
      env: { FAKE_CLAUDE_CALLS: calls, FAKE_AGENT_LINE_MS: '150' },
      timeoutMs: 280_000,
    });
    // A checkpoint that recorded the session of agent-1's running task, and a tool call after it: the session went on.
    const checkpoint = await waitForEventWhileRunning(run, runDir, 'checkpoint_created', (e) => e.trigger === 'tool_calls' && sessionsOf(bodyOf(runDir, e.id)).length === 1, 180_000);
    await waitForEventWhileRunning(run, runDir, 'tool_call', (e) => e.seq > checkpoint.seq && e.agent === 'agent-1', 120_000);
    const body = bodyOf(runDir, checkpoint.id);
    const [task, session] = sessionsOf(body)[0]!;
    const callsBefore = callsIn(calls).length;

    const restore = await runCli(['restore', runDir, '--checkpoint', checkpoint.id]);
    expect(restore.code, restore.stderr).toBe(0);
    await waitForEventWhileRunning(run, runDir, 'checkpoint_restored', (e) => e.id === checkpoint.id, 120_000);
    // The first run started after the restore: the first call whose prompt carries the notice.
    const told = await waitFor(() => callsIn(calls).findIndex((c) => c.prompt.includes('the project was restored')) + 1 || undefined, 'the first task run after the restore', 120_000);
    const stopped = await runCli(['stop', runDir]);
    expect(stopped.code, stopped.stderr).toBe(0);
    await run.done;

    const all = callsIn(calls);
    const first = all[told - 1]!;
    expect(told).toBeGreaterThan(callsBefore);
    // The session the checkpoint recorded went on after it: not resumed, then or later.
    expect(first.args).not.toContain('--resume');
    expect(all.slice(told - 1).map(resumedId)).not.toContain(session.id);
    // The task the checkpoint had under way is the one started again.
    expect(first.prompt).toContain(`Your task now: ${task}`);
    // Said first, with the checkpoint and its own time.
    const at = body.timestamp.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC');
    expect(first.prompt.split('\n').slice(0, 5).join('\n')).toBe(
      [
        `IMPORTANT, from megatest: the project was restored. Its files were put back exactly as they were at checkpoint ${checkpoint.id}, taken at ${at}.`,
        'Every change made to the project after that time, by you or by any other agent, is gone: files created since no longer exist, and files changed since hold their earlier contents again.',
        'You start on a fresh context: your conversation from before the restore is not carried over, and the files are where the work stands.',
        'Check the files (read them, look at `git status` and `git log`, run the tests) before going on, and rely on what you find, not on what you remember.',
        '',
      ].join('\n'),
    );
    // Once: the agent's later runs are not told again.
    expect(all.filter((c) => c.prompt.includes('the project was restored'))).toHaveLength(1);
    // Said where a person looks too.
    expect(readFileSync(path.join(runDir, 'agents', 'agent-1', 'output.log'), 'utf8')).toContain(`task "${task}" started: ${FAKE_CLAUDE} (fresh context after the restore to ${checkpoint.id}: its session went on after that checkpoint)`);
    expect(readFileSync(path.join(runDir, 'session.log'), 'utf8')).toContain(`restored to ${checkpoint.id}: 1 task session (${session.id}) went on after it and holds work the restore undid, so it is not resumed`);
    expect(eventsOf(readEvents(runDir), 'session_ended')).toHaveLength(1);
  }, 300_000);
});
