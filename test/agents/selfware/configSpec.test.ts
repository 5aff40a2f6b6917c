import TOML from '@iarna/toml';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderSelfwareConfig } from '../../../src/agents/selfware/configFile.js';
import { SELFWARE_CAPABILITIES, selfwareSpec } from '../../../src/agents/selfware/spec.js';
import { ConfigError } from '../../../src/config/errors.js';

describe('selfware.toml', () => {
  it("renders selfware's own keys, leaving out what was not given", () => {
    const text = renderSelfwareConfig({
      endpoint: 'http://127.0.0.1:8000/v1',
      model: 'Qwen/Qwen3-Coder-Next-FP8',
      maxTokens: 98304,
      temperature: 0.2,
      maxIterations: 80,
      stepTimeoutSecs: 600,
      tokenBudget: 120000,
      streaming: true,
      continuousWork: { enabled: true, checkpointIntervalTools: 10, checkpointIntervalSecs: 300, autoRecovery: true, maxRecoveryAttempts: 3 },
      retry: { maxRetries: 5, baseDelayMs: 1000, maxDelayMs: 60000 },
      safety: { allowedPaths: ['./**'], deniedPaths: ['**/.env', '**/secrets/**'] },
    });
    expect(TOML.parse(text)).toEqual({
      endpoint: 'http://127.0.0.1:8000/v1',
      model: 'Qwen/Qwen3-Coder-Next-FP8',
      max_tokens: 98304,
      temperature: 0.2,
      agent: { max_iterations: 80, step_timeout_secs: 600, token_budget: 120000, streaming: true, native_function_calling: false },
      continuous_work: { enabled: true, checkpoint_interval_tools: 10, checkpoint_interval_secs: 300, auto_recovery: true, max_recovery_attempts: 3 },
      retry: { max_retries: 5, base_delay_ms: 1000, max_delay_ms: 60000 },
      safety: { allowed_paths: ['./**'], denied_paths: ['**/.env', '**/secrets/**'] },
    });
    const minimal = TOML.parse(renderSelfwareConfig({ endpoint: 'http://x/v1', model: 'm' }));
    expect(minimal).toEqual({ endpoint: 'http://x/v1', model: 'm', agent: { native_function_calling: false } });
  });

  it('never writes an API key', () => {
    expect(renderSelfwareConfig({ endpoint: 'http://x/v1', model: 'm' })).not.toMatch(/^api_key/m);
  });

  it('names the selfware key of a value selfware would refuse', () => {
    expect(() => renderSelfwareConfig({ endpoint: ' ', model: 'm' })).toThrow(ConfigError);
    expect(() => renderSelfwareConfig({ endpoint: 'e', model: 'm', maxIterations: 0 })).toThrow(/agent\.max_iterations: 0/);
    expect(() => renderSelfwareConfig({ endpoint: 'e', model: 'm', stepTimeoutSecs: 1.5 })).toThrow(/step_timeout_secs/);
    expect(() => renderSelfwareConfig({ endpoint: 'e', model: 'm', retry: { baseDelayMs: 10, maxDelayMs: 5 } })).toThrow(/retry\.max_delay_ms/);
  });
});

describe('selfware spec', () => {
  const input = {
    binary: '/opt/bin/selfware',
    prompt: '- fix the failing tests',
    model: 'qwen3-coder',
    workDir: '/runs/r1/worktrees/agent-1',
    agentDir: '/runs/r1/agents/agent-1',
    homeDir: '/runs/r1/agents/agent-1/home',
    sessionDir: '/runs/r1',
  };

  it('runs a task with the global flags before `run`, the task after `--`', () => {
    const command = selfwareSpec.taskCommand(input);
    expect(command).toEqual({
      file: '/opt/bin/selfware',
      args: ['-q', '-c', path.join('/runs/r1', 'selfware.toml'), '-C', input.workDir, '-y', '--show-tokens', 'run', '--', input.prompt],
      env: { HOME: input.homeDir, SELFWARE_MODEL: 'qwen3-coder', NO_COLOR: '1' },
      cwd: input.workDir,
    });
  });

  it('resumes a task natively under the same HOME', () => {
    const command = selfwareSpec.taskCommand({ ...input, resumeId: '3f1c0a52-6a3e-4b57-9d0e-2c1f7a9b0001' });
    expect(command.args.slice(-2)).toEqual(['resume', '3f1c0a52-6a3e-4b57-9d0e-2c1f7a9b0001']);
    expect(command.args).not.toContain('run');
    expect(command.env.HOME).toBe(input.homeDir);
  });

  it('says what selfware can do', () => {
    expect(selfwareSpec.kind).toBe('selfware');
    expect(selfwareSpec.defaultBinary).toBe('selfware');
    expect(selfwareSpec.capabilities).toBe(SELFWARE_CAPABILITIES);
    expect(SELFWARE_CAPABILITIES).toMatchObject({ nativeCheckpoint: true, nativeResume: true, tokenUsage: true, cost: false, nativeCompress: false });
  });

  it("maps selfware's exit codes to outcomes and failure classes: sure ones, and ones its words go before", () => {
    const of = (code: number | null, signal: string | null = null): [string, string | undefined] => {
      const meaning = selfwareSpec.outcomeOfExit(code, signal);
      return [meaning.outcome, meaning.errorClass ?? (meaning.fallbackClass === undefined ? undefined : `${meaning.fallbackClass}, unless its words say`)];
    };
    expect(of(0)).toEqual(['succeeded', undefined]);
    expect(of(1)).toEqual(['failed', 'agent_error, unless its words say']);
    expect(of(2)).toEqual(['failed', 'config_error, unless its words say']);
    expect(of(4)).toEqual(['failed', 'llm_error, unless its words say']);
    expect(of(5)).toEqual(['failed', 'safety_blocked']);
    expect(of(6)).toEqual(['failed', 'confirmation_required']);
    expect(of(124)).toEqual(['interrupted', 'time_limit']);
    expect(of(101)).toEqual(['failed', 'agent_crash']);
    expect(of(77)).toEqual(['failed', 'agent_error, unless its words say']);
    expect(of(null, 'SIGKILL')).toEqual(['interrupted', 'agent_crash']);
    expect(selfwareSpec.outcomeOfExit(null, 'SIGKILL').detail).toContain('SIGKILL');
  });

  it('makes a fresh parser per task; tokens name the model megatest asked for', () => {
    expect(selfwareSpec.createParser()).not.toBe(selfwareSpec.createParser());
    const parser = selfwareSpec.createParser({ model: 'qwen3-coder' });
    expect(parser.line('📊 Tokens: 10 prompt + 5 completion = 15 total')).toEqual([
      { type: 'tokens', input: 10, output: 5, model: 'qwen3-coder' },
    ]);
  });
});
