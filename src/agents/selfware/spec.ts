// The selfware agent kind (architehc/selfware 0.1.x) for the per-task
// adapter: one `selfware run` process per task, reading what it prints.
//
//   selfware -q -c <run>/selfware.toml -C <work dir> -y --show-tokens run -- "<task>"
//   selfware -q -c <run>/selfware.toml -C <work dir> -y --show-tokens resume <task id>
//
// -q -c -C -y --show-tokens are flags of the top-level command (src/cli/args.rs),
// so they come before the subcommand. `--` ends the options, so a task that
// begins with "-" is still the task. HOME is the agent's private home:
// selfware keeps its checkpoints in $HOME/.selfware/checkpoints, and `resume`
// finds them there only under the same HOME.

import path from 'node:path';
import type { AgentCapabilities, CliAgentSpec, CliTaskCommand, CliTaskInput, ExitMeaning } from '../cliSpec.js';
import { selfwareTaskIdLookup } from './checkpoints.js';
import { SELFWARE_CONFIG_FILE } from './configFile.js';
import { createSelfwareParser } from './outputParser.js';

export const SELFWARE_CAPABILITIES: AgentCapabilities = {
  // $HOME/.selfware/checkpoints/<id>.json, saved after every step.
  nativeCheckpoint: true,
  // selfware compacts its context on its own (agent.token_budget), but a
  // running `selfware run` takes no commands: megatest cannot ask it to.
  nativeCompress: false,
  // `selfware resume <task id>`.
  nativeResume: true,
  // `📊 Tokens: P prompt + C completion` with --show-tokens, as the endpoint reported them.
  tokenUsage: true,
  // selfware 0.1.x prints no cost.
  cost: false,
  // Like any process group, it can be stopped and continued (SIGSTOP/SIGCONT).
  pause: true,
};

/** The flags every selfware command gets, before its subcommand. */
function globalArgs(input: CliTaskInput): string[] {
  return ['-q', '-c', path.join(input.sessionDir, SELFWARE_CONFIG_FILE), '-C', input.workDir, '-y', '--show-tokens'];
}

function taskCommand(input: CliTaskInput): CliTaskCommand {
  const subcommand = input.resumeId === undefined ? ['run', '--', input.prompt] : ['resume', input.resumeId];
  return {
    file: input.binary,
    args: [...globalArgs(input), ...subcommand],
    env: {
      HOME: input.homeDir,
      SELFWARE_MODEL: input.model,
      // Plain text whatever selfware thinks of the pipe; the parser strips escapes anyway.
      NO_COLOR: '1',
    },
    cwd: input.workDir,
  };
}


/**
 * selfware's exit codes (src/errors.rs get_exit_code, src/main.rs): 0 success;
 * 1 any other error (iteration limit, step timeout, a failed task, a tool
 * error, or the forced exit after the shutdown grace period); 2 configuration;
 * 4 the model API (timeout, rate limit, authentication, HTTP status, network);
 * 5 its safety policy; 6 a tool wanted confirmation in a non-interactive run.
 * 101 is how a Rust program ends on a panic; 124 is `timeout`'s, the time limit.
 */
const EXIT_CODES: Record<number, ExitMeaning> = {
  0: { outcome: 'succeeded', detail: 'selfware exited 0' },
  1: {
    outcome: 'failed',
    fallbackClass: 'agent_error',
    // Worded so no shipped [[error_handling.rules]] pattern matches megatest's own words ("step timeout" made it agent_hang).
    detail: 'selfware exited 1: the task failed (its iteration limit, a step past its time, a tool or agent error, or a forced exit after a shutdown signal)',
  },
  2: { outcome: 'failed', fallbackClass: 'config_error', detail: 'selfware exited 2: configuration error (selfware.toml, endpoint, model or API key)' },
  // What kind of API error is in its own words (its `Error:` line, classified first); these must not name one ("rate limit" made every exit 4 one).
  4: { outcome: 'failed', fallbackClass: 'llm_error', detail: 'selfware exited 4: its model API call failed' },
  5: { outcome: 'failed', errorClass: 'safety_blocked', detail: 'selfware exited 5: its safety policy blocked a path or command' },
  6: {
    outcome: 'failed',
    errorClass: 'confirmation_required',
    detail: 'selfware exited 6: a tool needed confirmation in a non-interactive run (-y not in effect?)',
  },
  101: { outcome: 'failed', errorClass: 'agent_crash', detail: 'selfware exited 101: it panicked' },
  124: { outcome: 'interrupted', errorClass: 'time_limit', detail: 'exit 124: the time limit ended the task' },
  // Newer selfware exits 130/143 on a second SIGINT/SIGTERM; 0.1.x exits 1 after its grace period.
  130: { outcome: 'interrupted', detail: 'selfware exited 130: interrupted (SIGINT)' },
  143: { outcome: 'interrupted', detail: 'selfware exited 143: terminated (SIGTERM)' },
};

function outcomeOfExit(code: number | null, signal: string | null): ExitMeaning {
  if (signal !== null) return { outcome: 'interrupted', errorClass: 'agent_crash', detail: `selfware was killed by ${signal}` };
  if (code === null) return { outcome: 'failed', errorClass: 'agent_crash', detail: 'selfware ended without an exit code' };
  return EXIT_CODES[code] ?? { outcome: 'failed', fallbackClass: 'agent_error', detail: `selfware exited ${code}` };
}

export const selfwareSpec: CliAgentSpec = {
  kind: 'selfware',
  defaultBinary: 'selfware',
  capabilities: SELFWARE_CAPABILITIES,
  messagesOnStderr: true,
  taskCommand,
  // selfware's token line names no model: tokens carry the one megatest asked for (SELFWARE_MODEL).
  // Its usage lines are per response, not cumulative, so countedTokens needs no handling here.
  createParser: (context) => createSelfwareParser({ model: context?.model }),
  // It prints no task id: the id `selfware resume` takes is the name of the checkpoint the run saves.
  savedSessionLookup: selfwareTaskIdLookup,
  // `selfware resume <task id>` continues the saved task as it was: no new prompt reaches it.
  resumeTakesNoPrompt: true,
  outcomeOfExit,
};
