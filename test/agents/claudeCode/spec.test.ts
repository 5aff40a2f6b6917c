import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliTaskInput } from '../../../src/agents/cliSpec.js';
import { claudeCodeSpec } from '../../../src/agents/claudeCode/spec.js';
import type { AgentMessage } from '../../../src/agents/types.js';
import { SHARED_FIXTURES_DIR } from '../../../src/paths.js';
import { FAKE_CLAUDE, FAKES_DIR, runFake, startFake } from '../../fixtures/agents/runFake.js';
import { removeTempDirs, tempDir, waitFor } from '../helpers.js';
import { isPidAlive } from '../../../src/io/processAlive.js';

afterAll(removeTempDirs);

function input(overrides: Partial<CliTaskInput> = {}): CliTaskInput {
  const sessionDir = tempDir('megatest-claude-');
  return {
    binary: FAKE_CLAUDE,
    prompt: 'Role: developer\nPhase: development\nTask: add the retry module',
    model: '',
    workDir: sessionDir,
    agentDir: path.join(sessionDir, 'agents', 'a1'),
    homeDir: path.join(sessionDir, 'agents', 'a1', 'home'),
    sessionDir,
    ...overrides,
  };
}

function parse(lines: string[], rest = ''): AgentMessage[] {
  const parser = claudeCodeSpec.createParser();
  return [...lines.flatMap((l) => parser.line(l)), ...(rest ? parser.line(rest) : []), ...parser.end()];
}

const FAST = { FAKE_AGENT_SPEED: '1000' };
const OWN_STREAM = path.join(FAKES_DIR, 'claude-code', 'task.ndjson');
const recordedLines = readFileSync(OWN_STREAM, 'utf8').split('\n').filter((l) => l.trim() !== '');

describe('claudeCodeSpec', () => {
  it('runs claude -p with stream-json, the prompt on stdin, in the work dir, keeping the real HOME', () => {
    const task = input({ binary: 'claude' });
    const command = claudeCodeSpec.taskCommand(task);
    expect(command.file).toBe('claude');
    expect(command.args.slice(0, 4)).toEqual(['-p', '--verbose', '--output-format', 'stream-json']);
    expect(command.args).not.toContain('--model');
    expect(command.args).not.toContain('--resume');
    expect(command.stdin).toBe(task.prompt);
    expect(command.cwd).toBe(task.workDir);
    expect(command.env).toEqual({});
    const resumed = claudeCodeSpec.taskCommand(input({ model: 'claude-sonnet-4-5', resumeId: 'sess-1' }));
    expect(resumed.args.join(' ')).toContain('--model claude-sonnet-4-5');
    expect(resumed.args.join(' ')).toContain('--resume sess-1');
  });

  it('says what it can do', () => {
    expect(claudeCodeSpec.kind).toBe('claude-code');
    expect(claudeCodeSpec.defaultBinary).toBe('claude');
    expect(claudeCodeSpec.capabilities).toMatchObject({ nativeResume: true, tokenUsage: true, cost: true, nativeCompress: false, nativeCheckpoint: false });
  });

  it.each([
    // claude -p always ends with a result line: exiting 0 without one says nothing was done
    [0, null, 'failed', undefined],
    // a failure, classified on what its stderr said (a login, a rate limit), not a crash of the agent
    [1, null, 'failed', undefined],
    [137, null, 'interrupted', 'agent_crash'],
    [null, 'SIGKILL', 'interrupted', 'agent_crash'],
  ] as const)('reads exit code %s / signal %s without a result line as %s (class %s)', (code, signal, outcome, errorClass) => {
    const read = claudeCodeSpec.outcomeOfExit(code, signal);
    expect(read.outcome).toBe(outcome);
    expect(read.errorClass).toBe(errorClass);
    expect(read.detail).toMatch(/claude/);
  });
});

describe('fake-claude', () => {
  it('replays its stream under a fresh session id with the model asked for, and leaves work in the work dir', async () => {
    const task = input({ model: 'claude-fake-model' });
    const run = await runFake(claudeCodeSpec.taskCommand(task), FAST);
    expect(run.code).toBe(0);
    expect(run.lines).toHaveLength(recordedLines.length);
    const messages = parse(run.lines);
    const [session] = messages.filter((m) => m.type === 'session');
    expect(session.type === 'session' && session.id).toMatch(/^[0-9a-f-]{36}$/);
    const tokens = messages.filter((m): m is Extract<AgentMessage, { type: 'tokens' }> => m.type === 'tokens');
    expect(new Set(tokens.map((t) => t.model))).toEqual(new Set(['claude-fake-model']));
    expect(messages.filter((m) => m.type === 'outcome')).toMatchObject([{ outcome: 'succeeded' }]);
    const work = readdirSync(path.join(task.workDir, 'fake-claude-work'));
    expect(work).toHaveLength(1);
    expect(readFileSync(path.join(task.workDir, 'fake-claude-work', work[0]), 'utf8')).toContain('Role: developer');
  });

  it('keeps the session id given to --resume and appends to the same work', async () => {
    const task = input({ resumeId: '11111111-2222-3333-4444-555555555555' });
    await runFake(claudeCodeSpec.taskCommand(task), FAST);
    const run = await runFake(claudeCodeSpec.taskCommand(task), FAST);
    expect(parse(run.lines).filter((m) => m.type === 'session')).toEqual([{ type: 'session', id: task.resumeId }]);
    const file = path.join(task.workDir, 'fake-claude-work', `${task.resumeId}.md`);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('rejects arguments claude would reject', async () => {
    const command = claudeCodeSpec.taskCommand(input());
    const run = await runFake({ ...command, args: command.args.filter((a) => a !== '--verbose') }, FAST);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/requires --verbose/);
  });

  it('fails on request: a failed result whose usage is what its messages spent, exit 1', async () => {
    const run = await runFake(claudeCodeSpec.taskCommand(input()), { ...FAST, FAKE_AGENT_FAULT: 'fail:6' });
    expect(run.code).toBe(1);
    const messages = parse(run.lines);
    expect(messages.filter((m) => m.type === 'outcome')).toMatchObject([{ outcome: 'failed' }]);
    const last = JSON.parse(run.lines[run.lines.length - 1]);
    const tokens = messages.filter((m): m is Extract<AgentMessage, { type: 'tokens' }> => m.type === 'tokens');
    const u = last.usage;
    expect(tokens.reduce((s, t) => s + t.input, 0)).toBe(u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens);
  });

  it('crashes on request: a line cut in half, then SIGKILL', async () => {
    const run = await runFake(claudeCodeSpec.taskCommand(input()), { ...FAST, FAKE_AGENT_FAULT: 'crash:3' });
    expect(run.signal).toBe('SIGKILL');
    expect(run.lines).toHaveLength(3);
    expect(run.rest.length).toBeGreaterThan(0);
    expect(parse(run.lines, run.rest).filter((m) => m.type === 'parse_failure')).toHaveLength(1);
  });

  it('hangs on request: stops printing and stays alive until killed', async () => {
    const running = startFake(claudeCodeSpec.taskCommand(input()), { ...FAST, FAKE_AGENT_FAULT: 'hang:4' });
    await waitFor(() => running.lines.length >= 4, 'four lines from the hanging fake', 30_000);
    expect(isPidAlive(running.pid!)).toBe(true);
    running.kill();
    const run = await running.done;
    expect(run.lines).toHaveLength(4);
    expect(run.signal).toBe('SIGKILL');
  });

  it('replays any stream it is given (FAKE_CLAUDE_STREAM), e.g. a shared recording', async () => {
    const shared = path.join(SHARED_FIXTURES_DIR, 'claude-code', 'basic_query.ndjson');
    const stream = existsSync(shared) ? shared : OWN_STREAM;
    const run = await runFake(claudeCodeSpec.taskCommand(input()), { ...FAST, FAKE_CLAUDE_STREAM: stream });
    expect(run.code).toBe(0);
    expect(run.lines).toHaveLength(readFileSync(stream, 'utf8').split('\n').filter((l) => l.trim() !== '').length);
  });
});
