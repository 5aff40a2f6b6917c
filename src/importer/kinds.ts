// The agent kinds whose recorded output megatest can import, and for each the
// same parser (and capabilities) a live run of that kind uses: the counts an
// import writes are the parser's own, which is how the parsers are checked
// from outside.

import { CLAUDE_CODE_CAPABILITIES } from '../agents/claudeCode/spec.js';
import { createClaudeCodeParser } from '../agents/claudeCode/streamParser.js';
import { CODEX_CAPABILITIES } from '../agents/codex/spec.js';
import { createCodexParser } from '../agents/codex/jsonlParser.js';
import { COMMAND_CAPABILITIES } from '../agents/command.js';
import { parseAgentLine } from '../agents/jsonl.js';
import { SELFWARE_CAPABILITIES } from '../agents/selfware/spec.js';
import { createSelfwareParser } from '../agents/selfware/outputParser.js';
import type { AgentStreamParser } from '../agents/types.js';
import { assertNever } from '../contract/assertNever.js';
import type { AgentCapabilities } from '../contract/capabilities.js';

export const IMPORT_KINDS = ['selfware', 'claude-code', 'codex', 'command'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

export function isImportKind(value: string): value is ImportKind {
  return (IMPORT_KINDS as readonly string[]).includes(value);
}

/** What a recorded file of the kind is, for messages and help. */
export const KIND_FILES: Record<ImportKind, string> = {
  selfware: 'selfware stdout+stderr (agent.log)',
  'claude-code': 'claude -p --output-format stream-json',
  codex: 'codex exec --json',
  command: 'a JSONL-protocol agent\'s stdout (its output.log)',
};

export function parserFor(kind: ImportKind): AgentStreamParser {
  switch (kind) {
    case 'selfware':
      return createSelfwareParser();
    case 'claude-code':
      return createClaudeCodeParser();
    case 'codex':
      return createCodexParser();
    case 'command':
      // The protocol is stateless, one message a line: the parser the command adapter calls per line.
      return { line: (text) => [parseAgentLine(text)], end: () => [] };
    default:
      return assertNever(kind, 'import kind');
  }
}

export function capabilitiesOf(kind: ImportKind): AgentCapabilities {
  switch (kind) {
    case 'selfware':
      return SELFWARE_CAPABILITIES;
    case 'claude-code':
      return CLAUDE_CODE_CAPABILITIES;
    case 'codex':
      return CODEX_CAPABILITIES;
    case 'command':
      return COMMAND_CAPABILITIES;
    default:
      return assertNever(kind, 'import kind');
  }
}

/** Whether the kind's stream says how its task ended (an outcome message); the JSONL protocol has no such line. */
export function reportsOutcome(kind: ImportKind): boolean {
  return kind !== 'command';
}
