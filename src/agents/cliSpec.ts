// What one real CLI agent kind (selfware, claude-code, codex) tells the
// generic per-task adapter: how to prepare its home, which process runs a
// task (or resumes one natively), and how to read what it prints. The
// adapter that drives a spec is the same for every kind.

import type { AgentKind } from '../config/types.js';
import type { AgentCapabilities } from '../contract/capabilities.js';
import type { AgentStreamParser, TaskOutcome } from './types.js';

// The contract's shape: agent_started carries it into the fold, status and the report.
export type { AgentCapabilities } from '../contract/capabilities.js';

export interface CliTaskInput {
  /** The agent CLI to run ([agents] binary, or the kind's default name on PATH). */
  binary: string;
  /** The task as a prompt: role, phase, objectives and any note. */
  prompt: string;
  model: string;
  /** Where the agent edits files (its worktree, or project/). */
  workDir: string;
  /** agents/<name>/: the agent's private folder. */
  agentDir: string;
  /** agents/<name>/home: HOME for the agent process. */
  homeDir: string;
  /** The run folder. */
  sessionDir: string;
  /** Resume this native session/thread/checkpoint instead of starting afresh. */
  resumeId?: string;
}

export interface CliTaskCommand {
  file: string;
  args: string[];
  /** Added to the inherited environment. */
  env: Record<string, string>;
  cwd: string;
  /** Written to stdin, then stdin is closed (undefined: stdin is closed at once). */
  stdin?: string;
}

/** What a parser may need to know about the task it reads (every field optional: a bare parser reads a fresh task). */
export interface ParserContext {
  /** The model megatest asked for; named on tokens messages when the stream does not name one (codex). */
  model?: string;
  /**
   * Tokens megatest already counted for the native session/thread this task resumes. Codex reports usage
   * cumulative over the whole thread, across `codex exec resume` runs, so its parser counts from here.
   */
  countedTokens?: { input: number; output: number };
}

export interface CliAgentSpec {
  readonly kind: Exclude<AgentKind, 'sim' | 'command'>;
  /** Default binary name looked up on PATH. */
  readonly defaultBinary: string;
  readonly capabilities: AgentCapabilities;
  taskCommand(input: CliTaskInput): CliTaskCommand;
  createParser(context?: ParserContext): AgentStreamParser;
  /**
   * For a kind that saves its native session without printing the id (selfware names its
   * checkpoint file by it): called as a task run starts, before its process; returns a lookup
   * of the id the run has saved so far (null while none). The adapter looks at the run's steps
   * and at its end, and keeps what it finds as it keeps a printed session id.
   */
  savedSessionLookup?(homeDir: string): () => string | null;
  /**
   * The resume command takes no prompt (`selfware resume <id>`): a resumed run cannot be told anything, so after
   * a restore, which the agent must be told of, its tasks start on a fresh context instead (cliTaskAdapter.ts).
   */
  readonly resumeTakesNoPrompt?: boolean;
  /**
   * Whether the kind prints messages of its own on stderr too (selfware: its shutdown and `Error:` lines).
   * Otherwise stderr is the program's diagnostics, kept in output.log and read only for a failed run's
   * clue: codex's log lines (and its traces, which can carry JSONL-looking tool output: openai/codex#36804)
   * and Claude Code's warnings are not its protocol.
   */
  readonly messagesOnStderr?: boolean;
  /**
   * Outcome implied by the exit code when the stream said none (selfware: 0/1/2/4/5/6, 124 = time limit);
   * its class (errorClass: sure; fallbackClass: when the words name none) also goes with a failure the stream reported.
   */
  outcomeOfExit(code: number | null, signal: string | null): ExitMeaning;
}

/** What an exit code says of a task run. */
export interface ExitMeaning {
  outcome: TaskOutcome;
  /** The class the exit code names for sure (selfware's 124: its time limit). */
  errorClass?: string;
  /** The class the exit code suggests, for a failure whose words name none (selfware's 4: some model API error). */
  fallbackClass?: string;
  detail: string;
}
