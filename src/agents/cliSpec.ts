// What one real CLI agent kind (selfware, claude-code, codex) tells the
// generic per-task adapter: how to prepare its home, which process runs a
// task (or resumes one natively), and how to read what it prints. The
// adapter that drives a spec is the same for every kind.

import type { AgentKind } from '../config/types.js';
import type { AgentStreamParser, TaskOutcome } from './types.js';

/** What an agent kind can do when megatest asks; shown in the console's agent detail, status and the report. */
export interface AgentCapabilities {
  /** Keeps its own checkpoints megatest can resume from. */
  nativeCheckpoint: boolean;
  /** Compresses its own context on request; otherwise the harness restarts it on a summary. */
  nativeCompress: boolean;
  /** Resumes a task's session natively (claude --resume, codex exec resume, selfware resume). */
  nativeResume: boolean;
  /** Reports real token usage (not an estimate). */
  tokenUsage: boolean;
  /** Reports cost in USD. */
  cost: boolean;
  /** Can be paused in place (SIGSTOP/SIGCONT of its process group counts). */
  pause: boolean;
}

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

export interface CliAgentSpec {
  readonly kind: Exclude<AgentKind, 'sim' | 'command'>;
  /** Default binary name looked up on PATH. */
  readonly defaultBinary: string;
  readonly capabilities: AgentCapabilities;
  taskCommand(input: CliTaskInput): CliTaskCommand;
  createParser(): AgentStreamParser;
  /** Outcome implied by the exit code when the stream said none (selfware: 0/1/2/4/5/6, 124 = time limit). */
  outcomeOfExit(code: number | null, signal: string | null): { outcome: TaskOutcome; errorClass?: string; detail: string };
}
