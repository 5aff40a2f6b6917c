// The codex agent kind: how one task runs as `codex exec --json …` (or
// `codex exec … resume <thread_id>`) and how to read it.
//
// Choices, and why:
// - Every option goes between `exec` and `resume`: only some of them are
//   accepted after the subcommand (--sandbox is not), and older releases
//   accept fewer still.
// - The prompt goes on stdin (`-` as the prompt argument; after
//   `resume <id>` too), so a long prompt never meets the argv size limit.
// - `--sandbox workspace-write`: codex exec never asks for approval, and the
//   default read-only sandbox would leave it unable to edit. It may write
//   in its work dir (and temp dirs); the network stays off, and git commits
//   from inside a worktree would write outside it: the orchestrator merges.
//   (`--full-auto` meant the same and is gone from current releases.)
// - `--skip-git-repo-check`: with isolation = "shared", project/ need not be
//   a git repository.
// - HOME and CODEX_HOME stay the real ones: codex keeps its login in
//   ~/.codex/auth.json and its session files in ~/.codex/sessions, where
//   `exec resume <id>` finds a thread by id from any work dir.
// - codex exec has no compress or checkpoint command; the harness
//   compresses by restarting on a summary. Cost is not reported.

import type { AgentCapabilities, CliAgentSpec, CliTaskCommand, CliTaskInput, ExitMeaning, ParserContext } from '../cliSpec.js';
import type { AgentStreamParser } from '../types.js';
import { createCodexParser } from './jsonlParser.js';

export const CODEX_CAPABILITIES: AgentCapabilities = {
  nativeCheckpoint: false,
  nativeCompress: false,
  nativeResume: true,
  tokenUsage: true,
  cost: false,
  // SIGSTOP/SIGCONT of its process group; a dropped model stream is retried by codex ("Reconnecting…").
  pause: true,
};

/** The arguments of one task run; the final `-` reads the prompt from stdin. */
export function codexArgs(model: string, resumeId?: string): string[] {
  const args = ['exec', '--json', '--skip-git-repo-check', '--sandbox', 'workspace-write'];
  if (model !== '') args.push('--model', model);
  if (resumeId !== undefined && resumeId !== '') args.push('resume', resumeId);
  args.push('-');
  return args;
}

export const codexSpec: CliAgentSpec = {
  kind: 'codex',
  defaultBinary: 'codex',
  capabilities: CODEX_CAPABILITIES,
  taskCommand(input: CliTaskInput): CliTaskCommand {
    return { file: input.binary, args: codexArgs(input.model, input.resumeId), env: {}, cwd: input.workDir, stdin: input.prompt };
  },
  createParser(context?: ParserContext): AgentStreamParser {
    return createCodexParser(context);
  },
  outcomeOfExit(code: number | null, signal: string | null): ExitMeaning {
    if (signal !== null) return { outcome: 'interrupted', errorClass: 'agent_crash', detail: `codex was killed by ${signal} before its turn ended` };
    // codex exec --json ends every turn with turn.completed or turn.failed: without one nothing says the task was done.
    if (code === 0) return { outcome: 'failed', detail: 'codex exited 0 without a turn.completed event, so nothing says the task was done' };
    if (code !== null && code > 128) {
      return { outcome: 'interrupted', errorClass: 'agent_crash', detail: `codex exited with code ${code} (signal ${code - 128}) before its turn ended` };
    }
    // codex exits 1 when a turn fails or a fatal error stops it; the stream's own error says why when it has one, else
    // its stderr (joined to this and classified: a usage limit, a login): a failure, not a crash.
    return { outcome: 'failed', detail: `codex exited with code ${code ?? 'unknown'} before its turn ended` };
  },
};
