// The fake selfware used by end-to-end tests: spawned with the arguments the
// real spec builds, it prints a selfware log the parser reads, keeps a
// checkpoint the checkpoint reader reads, and leaves a file in its work dir.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listSelfwareCheckpoints, readSelfwareCheckpoint } from '../../../src/agents/selfware/checkpoints.js';
import { selfwareSpec } from '../../../src/agents/selfware/spec.js';
import type { AgentMessage } from '../../../src/agents/types.js';
import { PACKAGE_ROOT } from '../../../src/paths.js';
import { removeTempDirs, tempDir, waitFor } from '../helpers.js';

const FAKE = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'agents', 'fake-selfware.mjs');
const LOG = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'agents', 'selfware', 'small-task.agent.log');

interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: string | null;
}

function layout(): { sessionDir: string; workDir: string; homeDir: string } {
  const sessionDir = tempDir('megatest-fake-selfware-');
  const workDir = path.join(sessionDir, 'project');
  const homeDir = path.join(sessionDir, 'agents', 'agent-1', 'home');
  mkdirSync(workDir, { recursive: true });
  mkdirSync(homeDir, { recursive: true });
  writeFileSync(path.join(sessionDir, 'selfware.toml'), 'endpoint = "http://127.0.0.1:9/v1"\nmodel = "m"\n');
  return { sessionDir, workDir, homeDir };
}

function start(dirs: ReturnType<typeof layout>, env: Record<string, string>, resumeId?: string) {
  const command = selfwareSpec.taskCommand({
    binary: FAKE,
    prompt: 'Add a changelog entry',
    model: 'm',
    agentDir: path.dirname(dirs.homeDir),
    ...dirs,
    ...(resumeId ? { resumeId } : {}),
  });
  const child = spawn(command.file, command.args, {
    cwd: command.cwd,
    env: { ...process.env, ...command.env, FAKE_AGENT_SPEED: 'max', ...env },
  });
  const run: Run = { stdout: '', stderr: '', code: null, signal: null };
  child.stdout.on('data', (chunk: Buffer) => (run.stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString('utf8')));
  const done = new Promise<Run>((resolve) =>
    child.on('close', (code, signal) => {
      run.code = code;
      run.signal = signal;
      resolve(run);
    }),
  );
  return { child, run, done };
}

function parse(text: string): AgentMessage[] {
  const parser = selfwareSpec.createParser();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return [...lines.flatMap((line) => parser.line(line)), ...parser.end()];
}

afterEach(removeTempDirs);

describe('fake selfware', () => {
  it('replays its log, keeps a checkpoint and leaves work in its -C dir', async () => {
    const dirs = layout();
    const run = await start(dirs, {}).done;
    expect(run.code).toBe(0);
    const messages = parse(run.stdout + run.stderr);
    expect(messages.find((m) => m.type === 'outcome')).toMatchObject({ outcome: 'succeeded' });
    const tokenLines = readFileSync(LOG, 'utf8').match(/📊 Tokens: /gu) ?? [];
    expect(messages.filter((m) => m.type === 'tokens')).toHaveLength(tokenLines.length);

    const [saved] = listSelfwareCheckpoints(dirs.homeDir);
    const { checkpoint, problem } = readSelfwareCheckpoint(dirs.homeDir, saved!.taskId);
    expect(problem).toBeNull();
    expect(checkpoint).toMatchObject({ status: 'completed', description: 'Add a changelog entry' });
    const toolCalls = messages.filter((m) => m.type === 'tool_call').map((m) => (m as { tool: string }).tool);
    expect(checkpoint!.toolCalls.map((c) => c.tool)).toEqual(toolCalls);

    const work = readdirSync(path.join(dirs.workDir, 'fake-selfware'));
    expect(work).toEqual([`agent-1-${saved!.taskId}.md`]);
  });

  it('can be told to fail', async () => {
    const dirs = layout();
    const run = await start(dirs, { FAKE_AGENT_FAULT: 'fail:20' }).done;
    expect(run.code).toBe(1);
    expect(parse(run.stdout + run.stderr).find((m) => m.type === 'outcome')).toMatchObject({ outcome: 'failed' });
    const [saved] = listSelfwareCheckpoints(dirs.homeDir);
    expect(readSelfwareCheckpoint(dirs.homeDir, saved!.taskId).checkpoint).toMatchObject({ status: 'failed' });
  });

  it('can be told to crash, leaving its checkpoint for a resume', async () => {
    const dirs = layout();
    // Line 20 of the log is the arguments line of its first <tool> block: the stream is cut inside the block.
    const run = await start(dirs, { FAKE_AGENT_FAULT: 'crash:20' }).done;
    expect(run.signal).toBe('SIGKILL');
    expect(run.stdout.endsWith('\n')).toBe(false);
    const cut = parse(run.stdout);
    expect(cut.filter((m) => m.type === 'tool_call')).toEqual([{ type: 'tool_call', tool: 'file_read', ok: false, duration_ms: 0 }]);
    const [saved] = listSelfwareCheckpoints(dirs.homeDir);
    const before = readSelfwareCheckpoint(dirs.homeDir, saved!.taskId).checkpoint!;
    expect(before.status).toBe('in_progress');

    const resumed = await start(dirs, {}, saved!.taskId).done;
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('🔄 Resuming task: Add a changelog entry');
    expect(readSelfwareCheckpoint(dirs.homeDir, saved!.taskId).checkpoint!.status).toBe('completed');
  });

  it('can be told to hang: it stops printing, stays alive, and answers a shutdown as selfware does when stuck', async () => {
    const dirs = layout();
    const { child, run, done } = start(dirs, { FAKE_AGENT_FAULT: 'hang:5' });
    await waitFor(() => run.stdout.split('\n').length > 5, 'five replayed lines');
    expect(run.code).toBeNull();
    child.kill('SIGTERM');
    const ended = await done;
    expect(ended.code).toBe(1);
    expect(ended.stderr).toContain('Received shutdown signal, exiting gracefully...');
    expect(ended.stderr).toContain('Shutdown grace period expired, forcing exit.');
    expect(ended.stdout.split('\n')).toHaveLength(5 + 1); // five lines, each ended by a newline
  });

  it('refuses a resume of a task it has no checkpoint for, and arguments it does not know', async () => {
    const dirs = layout();
    const missing = await start(dirs, {}, 'no-such-task').done;
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Failed to load checkpoint for task: no-such-task');
    expect(existsSync(path.join(dirs.workDir, 'fake-selfware'))).toBe(false);
  });
});
