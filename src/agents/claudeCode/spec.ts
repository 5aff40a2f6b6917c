// The claude-code agent kind: how one task runs as
// `claude -p --verbose --output-format stream-json …` and how to read it.
//
// Choices, and why:
// - The prompt goes on stdin (`claude -p` reads it there when no prompt
//   argument is given), so a long prompt never meets the argv size limit.
// - `--verbose` is required: print mode refuses stream-json without it.
// - Permissions: print mode cannot ask a person, so a tool that needs
//   approval is simply denied. `--permission-mode acceptEdits` lets it edit
//   files and `--allowedTools Bash` lets it run the project's build and
//   tests, which a coding task needs; other tools (web access …) stay denied.
//   bypassPermissions is not used: claude refuses it when run as root.
// - HOME stays the real one and CLAUDE_CONFIG_DIR is not set: claude keeps
//   its login in ~/.claude (and ~/.claude.json), and a private home would
//   leave it logged out. Its session transcripts live there too, under
//   ~/.claude/projects/<the work dir>/, so `--resume` finds a session only
//   when run in the same work dir as the task it resumes.
// - No native compression or checkpoint command exists in print mode; the
//   harness compresses by restarting on a summary.

import type { AgentCapabilities, CliAgentSpec, CliTaskCommand, CliTaskInput, ExitMeaning, ParserContext } from '../cliSpec.js';
import type { AgentStreamParser } from '../types.js';
import { createClaudeCodeParser } from './streamParser.js';

export const CLAUDE_CODE_CAPABILITIES: AgentCapabilities = {
  nativeCheckpoint: false,
  nativeCompress: false,
  nativeResume: true,
  tokenUsage: true,
  cost: true,
  // SIGSTOP/SIGCONT of its process group; a model call in flight may time out and be retried by claude.
  pause: true,
};

/** The arguments of one task run (the prompt itself goes on stdin). */
export function claudeCodeArgs(model: string, resumeId?: string): string[] {
  const args = ['-p', '--verbose', '--output-format', 'stream-json', '--permission-mode', 'acceptEdits', '--allowedTools', 'Bash'];
  if (model !== '') args.push('--model', model);
  if (resumeId !== undefined && resumeId !== '') args.push('--resume', resumeId);
  return args;
}

export const claudeCodeSpec: CliAgentSpec = {
  kind: 'claude-code',
  defaultBinary: 'claude',
  capabilities: CLAUDE_CODE_CAPABILITIES,
  taskCommand(input: CliTaskInput): CliTaskCommand {
    return { file: input.binary, args: claudeCodeArgs(input.model, input.resumeId), env: {}, cwd: input.workDir, stdin: input.prompt };
  },
  createParser(context?: ParserContext): AgentStreamParser {
    return createClaudeCodeParser(context);
  },
  outcomeOfExit(code: number | null, signal: string | null): ExitMeaning {
    if (signal !== null) return { outcome: 'interrupted', errorClass: 'agent_crash', detail: `claude was killed by ${signal} before its result line` };
    // claude -p ends every run with a result line: without one nothing says the task was done (no figures, no outcome).
    if (code === 0) return { outcome: 'failed', detail: 'claude exited 0 without a result line, so nothing says the task was done' };
    if (code !== null && code > 128) {
      return { outcome: 'interrupted', errorClass: 'agent_crash', detail: `claude exited with code ${code} (signal ${code - 128}) before its result line` };
    }
    // A failure, not a crash: what its stderr said (joined to this) is classified (not logged in, a rate limit …).
    return { outcome: 'failed', detail: `claude exited with code ${code ?? 'unknown'} before its result line` };
  },
};
