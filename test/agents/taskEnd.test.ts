// How a task run's end is judged: done, a failure of the task (with the class
// the exit code gives), or a crash of the agent.

import { describe, expect, it } from 'vitest';
import type { CliAgentSpec } from '../../src/agents/cliSpec.js';
import { judgeTaskEnd, type TaskEndInput } from '../../src/agents/taskEnd.js';
import { claudeCodeSpec } from '../../src/agents/claudeCode/spec.js';
import { codexSpec } from '../../src/agents/codex/spec.js';
import { selfwareSpec } from '../../src/agents/selfware/spec.js';
import { loadConfig } from '../../src/config/load.js';
import { classifyError } from '../../src/engine/classify.js';

// Exit codes as a selfware-like CLI gives them: 124 its time limit, 4 a model error, a signal a crash.
const spec = {
  outcomeOfExit(code: number | null, signal: string | null) {
    if (signal !== null) return { outcome: 'interrupted', errorClass: 'agent_crash', detail: `killed by ${signal}` };
    if (code === 0) return { outcome: 'succeeded', detail: 'exit 0' };
    if (code === 124) return { outcome: 'interrupted', errorClass: 'time_limit', detail: 'the time limit ended the task' };
    if (code === 4) return { outcome: 'failed', errorClass: 'llm_error', detail: 'model API error' };
    return { outcome: 'failed', detail: `exit ${code}` };
  },
} as unknown as CliAgentSpec;

const judge = (input: Partial<TaskEndInput>) =>
  judgeTaskEnd({ objective: 't', stream: null, end: { code: 0, signal: null }, endedAfterOutcome: false, spec, binary: '/bin/agent', ...input });

describe('judgeTaskEnd', () => {
  it('the stream’s own outcome decides first', () => {
    expect(judge({ stream: { type: 'outcome', outcome: 'succeeded' }, end: { code: 1, signal: null } })).toEqual({ kind: 'done' });
    expect(judge({ stream: { type: 'outcome', outcome: 'failed', detail: 'no' }, end: { code: 1, signal: null } })).toEqual({
      kind: 'failed',
      message: 'task "t" failed (exit code 1): no',
      cause: 'failed (exit code 1): no',
    });
    expect(judge({ stream: { type: 'outcome', outcome: 'max_turns' } })).toMatchObject({ kind: 'failed', message: 'task "t" stopped at its turn limit (exit code 0)' });
  });

  it('else the exit code, through the spec, with the class it knows', () => {
    expect(judge({ end: { code: 0, signal: null } })).toEqual({ kind: 'done' });
    expect(judge({ end: { code: 4, signal: null } })).toEqual({ kind: 'failed', message: 'task "t" failed (exit code 4): model API error', cause: 'failed (exit code 4): model API error', errorClass: 'llm_error' });
    // The time limit stopped it: a failure of the task for that reason, not a crash.
    expect(judge({ end: { code: 124, signal: null } })).toEqual({
      kind: 'failed',
      message: 'task "t" interrupted (exit code 124): the time limit ended the task',
      cause: 'interrupted (exit code 124): the time limit ended the task',
      errorClass: 'time_limit',
    });
  });

  it('a signal megatest did not send, or an interruption it did not ask for, is a crash', () => {
    expect(judge({ end: { code: null, signal: 'SIGKILL' } })).toEqual({ kind: 'crash' });
    expect(judge({ stream: { type: 'outcome', outcome: 'interrupted' }, end: { code: 0, signal: null } })).toEqual({ kind: 'crash' });
    // Ended by megatest after its outcome: what it said stands.
    expect(judge({ stream: { type: 'outcome', outcome: 'succeeded' }, end: { code: null, signal: 'SIGTERM' }, endedAfterOutcome: true })).toEqual({ kind: 'done' });
  });

  it('a program that could not start is a failure naming it', () => {
    expect(judge({ end: { code: null, signal: null, spawnError: 'ENOENT: spawn /bin/agent ENOENT' } })).toEqual({
      kind: 'failed',
      message: 'cannot start the agent program /bin/agent: ENOENT: spawn /bin/agent ENOENT',
      cause: 'cannot start the agent program /bin/agent: ENOENT: spawn /bin/agent ENOENT',
    });
  });

  it('gives the cause apart from the task’s title: a task titled like an error is not classified by its title', () => {
    const verdict = judgeTaskEnd({ objective: 'Reject an invalid API key and time out idle network connections', stream: { type: 'outcome', outcome: 'max_turns', detail: 'error_max_turns' }, end: { code: 1, signal: null }, endedAfterOutcome: false, spec, binary: '/bin/agent' });
    expect(verdict).toMatchObject({ kind: 'failed', cause: 'stopped at its turn limit (exit code 1): error_max_turns' });
    expect(verdict.kind === 'failed' && verdict.message).toBe(`task "Reject an invalid API key and time out idle network connections" ${verdict.kind === 'failed' ? verdict.cause : ''}`);
  });
});

describe('a CLI agent that exits with a failure and no outcome of its own, classified by the shipped rules', () => {
  const rules = loadConfig({}).error_handling.rules;
  const classOf = (spec: CliAgentSpec, code: number, stderrClue?: string) => {
    const verdict = judgeTaskEnd({ objective: 'Add the retry policy', stream: null, end: { code, signal: null, stderrClue }, endedAfterOutcome: false, spec, binary: '/bin/agent' });
    if (verdict.kind !== 'failed') throw new Error(`expected a failure, got ${verdict.kind}`);
    return classifyError(verdict.cause, rules, verdict.errorClass, verdict.fallbackClass).class;
  };
  /** selfware's run whose stream ended with main's `Error: …` line (the parser's outcome), then its exit code. */
  const selfwareSaid = (code: number, words: string) => {
    const verdict = judgeTaskEnd({ objective: 'Add the retry policy', stream: { type: 'outcome', outcome: 'failed', detail: words }, end: { code, signal: null }, endedAfterOutcome: false, spec: selfwareSpec, binary: '/bin/selfware' });
    if (verdict.kind !== 'failed') throw new Error(`expected a failure, got ${verdict.kind}`);
    return { verdict, class: classifyError(verdict.cause, rules, verdict.errorClass, verdict.fallbackClass).class };
  };

  it('claude and codex: what stderr said decides (a login, a rate limit, a usage limit), not "agent_crash" for every code', () => {
    expect(classOf(claudeCodeSpec, 1, 'Invalid API key · Please run /login')).toBe('authentication');
    expect(classOf(claudeCodeSpec, 1, 'API Error: 429 Too Many Requests')).toBe('rate_limit');
    expect(classOf(codexSpec, 1, "Error: You've hit your usage limit. Try again in 20 seconds.")).toBe('rate_limit');
  });

  it('claude and codex exiting 0 without their result line did not finish the task', () => {
    expect(judgeTaskEnd({ objective: 't', stream: null, end: { code: 0, signal: null }, endedAfterOutcome: false, spec: claudeCodeSpec, binary: '/bin/claude' }).kind).toBe('failed');
    expect(judgeTaskEnd({ objective: 't', stream: null, end: { code: 0, signal: null }, endedAfterOutcome: false, spec: codexSpec, binary: '/bin/codex' }).kind).toBe('failed');
  });

  it("selfware's own exit explanations match no shipped rule: exit 1 is its agent error, not a hang; exit 4 takes its class from stderr", () => {
    expect(classOf(selfwareSpec, 1)).toBe('agent_error');
    expect(classOf(selfwareSpec, 4)).toBe('llm_error');
    expect(classOf(selfwareSpec, 4, 'Error: API error: 429 Too Many Requests')).toBe('rate_limit');
  });

  it("selfware's `Error:` line is the failure, one error, classified on its words before the exit code's class; a sure class stays sure", () => {
    const limited = selfwareSaid(4, 'Error: API error: 429 Too Many Requests');
    expect(limited.verdict).toMatchObject({ message: 'task "Add the retry policy" failed (exit code 4): Error: API error: 429 Too Many Requests', fallbackClass: 'llm_error' });
    expect(limited.class).toBe('rate_limit');
    expect(selfwareSaid(4, 'Error: HTTP 401: invalid api key').class).toBe('authentication');
    expect(selfwareSaid(4, 'Error: the endpoint answered 418').class).toBe('llm_error');
    expect(selfwareSaid(1, 'Error: Failed to load checkpoint for task: t-1').class).toBe('agent_error');
    expect(selfwareSaid(5, 'Error: blocked: the path is outside the project').class).toBe('safety_blocked');
    // Exit 101 is a panic whatever it said before: a crash of the agent, as without the line.
    expect(judgeTaskEnd({ objective: 't', stream: { type: 'outcome', outcome: 'failed', detail: 'Error: x' }, end: { code: 101, signal: null }, endedAfterOutcome: false, spec: selfwareSpec, binary: '/bin/selfware' })).toEqual({ kind: 'crash' });
  });
});
