// selfware.toml for a run, from plain options. Keys are selfware's own
// (architehc/selfware src/config: Config, AgentConfig, ContinuousWorkConfig,
// RetrySettings, SafetyConfig); a key left out keeps selfware's default.
// No API key is ever written here: the run folder is not a place for secrets,
// and selfware reads SELFWARE_API_KEY from the environment it inherits.

import TOML from '@iarna/toml';
import { ConfigError } from '../../config/errors.js';

export interface SelfwareConfigOptions {
  /** OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1. */
  endpoint: string;
  /** The model; SELFWARE_MODEL overrides it per process (how model fallback switches it). */
  model: string;
  /** Largest completion per request (`max_tokens`). */
  maxTokens?: number;
  temperature?: number;
  /** `[agent] max_iterations`: steps before selfware gives up ("Max iterations reached"). */
  maxIterations?: number;
  /** `[agent] step_timeout_secs`. */
  stepTimeoutSecs?: number;
  /** `[agent] token_budget`: selfware's context budget (it compresses its context to stay under it). */
  tokenBudget?: number;
  /** `[agent] streaming`: print the model's text as it arrives. */
  streaming?: boolean;
  /**
   * `[agent] native_function_calling`. Default false here: with it off the
   * model writes its calls as <tool> blocks in the text selfware prints, which
   * is where megatest counts them; with it on, calls never reach the stream.
   */
  nativeFunctionCalling?: boolean;
  continuousWork?: {
    enabled?: boolean;
    checkpointIntervalTools?: number;
    checkpointIntervalSecs?: number;
    autoRecovery?: boolean;
    maxRecoveryAttempts?: number;
  };
  retry?: { maxRetries?: number; baseDelayMs?: number; maxDelayMs?: number };
  safety?: {
    allowedPaths?: string[];
    deniedPaths?: string[];
    protectedBranches?: string[];
    requireConfirmation?: string[];
  };
}

/** The file's name; the adapter writes it into the run folder. */
export const SELFWARE_CONFIG_FILE = 'selfware.toml';

type TomlTable = { [key: string]: string | number | boolean | string[] | TomlTable };

/** selfware.toml's text. Throws ConfigError naming the selfware key for a value selfware would refuse. */
export function renderSelfwareConfig(options: SelfwareConfigOptions): string {
  const root: TomlTable = {
    endpoint: nonEmpty('endpoint', options.endpoint),
    model: nonEmpty('model', options.model),
  };
  put(root, 'max_tokens', whole('max_tokens', options.maxTokens, 1));
  if (options.temperature !== undefined) {
    if (!Number.isFinite(options.temperature) || options.temperature < 0) {
      throw new ConfigError(`selfware.toml temperature: ${options.temperature} is not a number >= 0`, { key: 'temperature' });
    }
    root.temperature = options.temperature;
  }

  const agent: TomlTable = {};
  put(agent, 'max_iterations', whole('agent.max_iterations', options.maxIterations, 1));
  put(agent, 'step_timeout_secs', whole('agent.step_timeout_secs', options.stepTimeoutSecs, 1));
  put(agent, 'token_budget', whole('agent.token_budget', options.tokenBudget, 1));
  put(agent, 'streaming', options.streaming);
  agent.native_function_calling = options.nativeFunctionCalling ?? false;
  root.agent = agent;

  const work = options.continuousWork;
  if (work) {
    const table: TomlTable = {};
    put(table, 'enabled', work.enabled);
    put(table, 'checkpoint_interval_tools', whole('continuous_work.checkpoint_interval_tools', work.checkpointIntervalTools, 1));
    put(table, 'checkpoint_interval_secs', whole('continuous_work.checkpoint_interval_secs', work.checkpointIntervalSecs, 1));
    put(table, 'auto_recovery', work.autoRecovery);
    put(table, 'max_recovery_attempts', whole('continuous_work.max_recovery_attempts', work.maxRecoveryAttempts, 0));
    if (Object.keys(table).length > 0) root.continuous_work = table;
  }

  const retry = options.retry;
  if (retry) {
    const table: TomlTable = {};
    put(table, 'max_retries', whole('retry.max_retries', retry.maxRetries, 0));
    put(table, 'base_delay_ms', whole('retry.base_delay_ms', retry.baseDelayMs, 0));
    put(table, 'max_delay_ms', whole('retry.max_delay_ms', retry.maxDelayMs, 0));
    if (retry.baseDelayMs !== undefined && retry.maxDelayMs !== undefined && retry.maxDelayMs < retry.baseDelayMs) {
      throw new ConfigError(
        `selfware.toml retry.max_delay_ms: ${retry.maxDelayMs} is below retry.base_delay_ms ${retry.baseDelayMs}`,
        { key: 'retry.max_delay_ms' },
      );
    }
    if (Object.keys(table).length > 0) root.retry = table;
  }

  const safety = options.safety;
  if (safety) {
    const table: TomlTable = {};
    put(table, 'allowed_paths', safety.allowedPaths);
    put(table, 'denied_paths', safety.deniedPaths);
    put(table, 'protected_branches', safety.protectedBranches);
    put(table, 'require_confirmation', safety.requireConfirmation);
    if (Object.keys(table).length > 0) root.safety = table;
  }

  const header = '# Written by megatest for this run; selfware reads it with -c. No API key here: selfware takes SELFWARE_API_KEY from its environment.\n';
  return header + TOML.stringify(root as TOML.JsonMap);
}

function put(table: TomlTable, key: string, value: string | number | boolean | string[] | undefined): void {
  if (value !== undefined) table[key] = value;
}

function nonEmpty(key: string, value: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigError(`selfware.toml ${key}: must be a non-empty string`, { key });
  }
  return value;
}

function whole(key: string, value: number | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(`selfware.toml ${key}: ${value} is not a whole number >= ${min}`, { key });
  }
  return value;
}
