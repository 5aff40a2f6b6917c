import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliTaskInput, ParserContext } from '../../../src/agents/cliSpec.js';
import { codexSpec } from '../../../src/agents/codex/spec.js';
import type { AgentMessage } from '../../../src/agents/types.js';
import { FAKE_CODEX, FAKES_DIR, runFake, startFake } from '../../fixtures/agents/runFake.js';
import { removeTempDirs, tempDir, waitFor } from '../helpers.js';
import { isPidAlive } from '../../../src/io/processAlive.js';

afterAll(removeTempDirs);

function input(overrides: Partial<CliTaskInput> = {}): CliTaskInput {
  const sessionDir = tempDir('megatest-codex-');
  return {
    binary: FAKE_CODEX,
    prompt: 'Role: tester\nPhase: testing\nTask: cover the retry module',
    model: '',
    workDir: sessionDir,
    agentDir: path.join(sessionDir, 'agents', 'a1'),
    homeDir: path.join(sessionDir, 'agents', 'a1', 'home'),
    sessionDir,
    ...overrides,
  };
}

function parse(lines: string[], rest = '', context?: ParserContext): AgentMessage[] {
  const parser = codexSpec.createParser(context);
  return [...lines.flatMap((l) => parser.line(l)), ...(rest ? parser.line(rest) : []), ...parser.end()];
}

function tokenTotal(messages: AgentMessage[]): { input: number; output: number } {
  return messages.reduce((s, m) => (m.type === 'tokens' ? { input: s.input + m.input, output: s.output + m.output } : s), { input: 0, output: 0 });
}

const FAST = { FAKE_AGENT_SPEED: '1000' };
const recorded = readFileSync(path.join(FAKES_DIR, 'codex', 'task.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '');
const recordedUsage = JSON.parse(recorded.filter((l) => l.includes('"turn.completed"')).pop()!).usage;

describe('codexSpec', () => {
  it('runs codex exec --json with every option before resume and the prompt on stdin', () => {
    const task = input({ binary: 'codex' });
    const fresh = codexSpec.taskCommand(task);
    expect(fresh.file).toBe('codex');
    expect(fresh.args).toEqual(['exec', '--json', '--skip-git-repo-check', '--sandbox', 'workspace-write', '-']);
    expect(fresh.stdin).toBe(task.prompt);
    expect(fresh.cwd).toBe(task.workDir);
    expect(fresh.env).toEqual({});
    const resumed = codexSpec.taskCommand(input({ model: 'gpt-5-codex', resumeId: 'thread-1' }));
    expect(resumed.args).toEqual(['exec', '--json', '--skip-git-repo-check', '--sandbox', 'workspace-write', '--model', 'gpt-5-codex', 'resume', 'thread-1', '-']);
  });

  it('says what it can do', () => {
    expect(codexSpec.kind).toBe('codex');
    expect(codexSpec.defaultBinary).toBe('codex');
    expect(codexSpec.capabilities).toMatchObject({ nativeResume: true, tokenUsage: true, cost: false, nativeCompress: false, nativeCheckpoint: false });
  });

  it.each([
    // codex exec --json ends every turn with turn.completed or turn.failed: exiting 0 without one says nothing was done
    [0, null, 'failed', undefined],
    // a failure, classified on what its stderr said (a usage limit, a login), not a crash of the agent
    [1, null, 'failed', undefined],
    [143, null, 'interrupted', 'agent_crash'],
    [null, 'SIGTERM', 'interrupted', 'agent_crash'],
  ] as const)('reads exit code %s / signal %s without a turn event as %s (class %s)', (code, signal, outcome, errorClass) => {
    const read = codexSpec.outcomeOfExit(code, signal);
    expect(read.outcome).toBe(outcome);
    expect(read.errorClass).toBe(errorClass);
  });
});

describe('fake-codex', () => {
  it('replays its stream under a fresh thread id and leaves work in the work dir', async () => {
    const task = input({ model: 'gpt-fake' });
    const run = await runFake(codexSpec.taskCommand(task), FAST);
    expect(run.code).toBe(0);
    expect(run.lines).toHaveLength(recorded.length);
    const messages = parse(run.lines, '', { model: 'gpt-fake' });
    const sessions = messages.filter((m) => m.type === 'session');
    expect(sessions).toHaveLength(1);
    expect(tokenTotal(messages)).toEqual({ input: recordedUsage.input_tokens, output: recordedUsage.output_tokens });
    expect(messages.filter((m) => m.type === 'outcome')).toEqual([{ type: 'outcome', outcome: 'succeeded' }]);
    const work = readdirSync(path.join(task.workDir, 'fake-codex-work'));
    expect(work).toEqual([`${(sessions[0] as { id: string }).id}.md`]);
    expect(readFileSync(path.join(task.workDir, 'fake-codex-work', work[0]), 'utf8')).toContain('Role: tester');
  });

  it('carries a thread’s usage over its resumed runs, as codex does; the parser counts each run once', async () => {
    const stateDir = tempDir('megatest-codex-state-');
    const env = { ...FAST, FAKE_CODEX_STATE_DIR: stateDir };
    const first = await runFake(codexSpec.taskCommand(input()), env);
    const firstMessages = parse(first.lines);
    const threadId = (firstMessages.find((m) => m.type === 'session') as { id: string }).id;
    const counted = tokenTotal(firstMessages);
    const second = await runFake(codexSpec.taskCommand(input({ resumeId: threadId })), env);
    expect(parse(second.lines).filter((m) => m.type === 'session')).toEqual([{ type: 'session', id: threadId }]);
    // The resumed run's turn.completed reports the thread's total: twice the recording.
    expect(JSON.parse(second.lines[second.lines.length - 1]).usage.input_tokens).toBe(2 * recordedUsage.input_tokens);
    expect(tokenTotal(parse(second.lines, '', { countedTokens: counted }))).toEqual({ input: recordedUsage.input_tokens, output: recordedUsage.output_tokens });
  });

  it('rejects --sandbox after resume, as codex does', async () => {
    const command = codexSpec.taskCommand(input());
    const run = await runFake({ ...command, args: ['exec', '--json', 'resume', 'x', '--sandbox', 'workspace-write', '-'] }, FAST);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/--sandbox/);
  });

  it('fails on request: error and turn.failed, exit 1', async () => {
    const run = await runFake(codexSpec.taskCommand(input()), { ...FAST, FAKE_AGENT_FAULT: 'fail:5' });
    expect(run.code).toBe(1);
    const messages = parse(run.lines);
    // The error line and the turn.failed after it are one failure: the outcome, with what the error said.
    const said = run.lines.map((text) => JSON.parse(text) as { type: string; message?: string }).find((event) => event.type === 'error')!.message;
    expect(messages.filter((m) => m.type === 'outcome')).toEqual([{ type: 'outcome', outcome: 'failed', detail: said }]);
    expect(messages.filter((m) => m.type === 'error')).toHaveLength(0);
  });

  it('crashes on request: a line cut in half, then SIGKILL', async () => {
    const run = await runFake(codexSpec.taskCommand(input()), { ...FAST, FAKE_AGENT_FAULT: 'crash' });
    expect(run.signal).toBe('SIGKILL');
    expect(run.lines).toHaveLength(Math.floor(recorded.length / 2));
    expect(parse(run.lines, run.rest).filter((m) => m.type === 'parse_failure')).toHaveLength(1);
  });

  it('hangs on request: stops printing and stays alive until killed', async () => {
    const running = startFake(codexSpec.taskCommand(input()), { ...FAST, FAKE_AGENT_FAULT: 'hang:3' });
    await waitFor(() => running.lines.length >= 3, 'three lines from the hanging fake', 30_000);
    expect(isPidAlive(running.pid!)).toBe(true);
    running.kill();
    const run = await running.done;
    expect(run.lines).toHaveLength(3);
  });
});
