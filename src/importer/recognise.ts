// Whether a recorded file is the kind of output `--agent` says it is, decided
// before any run folder is made. Every parser reads anything without failing
// (a line it cannot read is output or a parse failure, never an exception),
// so left to them 2000 random bytes, an empty file or Claude's stream-json
// given as codex would make a run folder ("interrupted, 2 errors") and exit
// 0. A file is the kind's own when at least one of its lines is one
// the kind's parser recognises; a damaged recording (malformed lines, a torn
// last line) still has those and imports as before.

import { CLAUDE_MESSAGE_TYPES } from '../agents/claudeCode/streamParser.js';
import { CODEX_EVENT_TYPES } from '../agents/codex/jsonlParser.js';
import { parseAgentLine } from '../agents/jsonl.js';
import { createSelfwareParser } from '../agents/selfware/outputParser.js';
import { visibleLines } from '../agents/selfware/lineText.js';
import { COMPLETED, HARVEST, INTENT, RECOVERING, SHUTDOWN_FORCED, SHUTDOWN_RECEIVED, STEP, TASK_FAILED, TOKENS, VERIFICATION_TITLE } from '../agents/selfware/patterns.js';
import type { AgentMessage } from '../agents/types.js';
import { UsageError } from '../config/errors.js';
import { assertNever } from '../contract/assertNever.js';
import { IMPORT_KINDS, type ImportKind } from './kinds.js';
import { jsonObjectLine, readLines } from './lineReader.js';
import type { PinnedFile } from './pinnedFile.js';

/** What a file of the kind looks like, for the refusal. */
export const KIND_LOOKS: Record<ImportKind, string> = {
  selfware: 'selfware prints markers such as "📝 Step 1 Executing..." and "✅ Task completed successfully!"',
  'claude-code': 'claude -p --verbose --output-format stream-json writes JSON lines such as {"type":"system","subtype":"init",…}',
  codex: 'codex exec --json writes JSON lines such as {"type":"thread.started",…}',
  command: 'a command agent prints JSONL-protocol lines such as {"type":"tool_call",…} among its own output; see docs/agent-protocol.md',
};

/** What the file is said not to be: a command agent's other lines are its own output, so only protocol lines count. */
const NOT_THE_KIND: Record<ImportKind, string> = {
  selfware: 'selfware output',
  'claude-code': 'claude-code output',
  codex: 'codex output',
  command: 'a JSONL-protocol message',
};

/**
 * How a line reads as a kind's output: `own` when only that kind writes such
 * a line; `shared` when it is the kind's but another's too (codex's and the
 * protocol's `{"type":"error","message":…}` are the same line, and selfware's
 * `Error: …` is anybody's); null when it is not the kind's.
 */
type Reading = 'own' | 'shared' | null;

interface Recogniser {
  line(text: string, type: string | undefined): Reading;
  /** What the parser flushes at the stream's end (selfware's `✅ Task completed` is an outcome only then). */
  end(): Reading;
}

/** A message that is more than the line kept as output or counted as unreadable. */
const said = (m: AgentMessage): boolean => m.type !== 'output' && m.type !== 'parse_failure';

/** The top-level "type" of a JSON-object line; undefined for any other line. */
function jsonType(text: string): string | undefined {
  // Cheap pre-check: plain text and binary data are not parsed.
  if (!text.trimStart().startsWith('{')) return undefined;
  const type = jsonObjectLine(text)?.type;
  return typeof type === 'string' ? type : undefined;
}

const anchored = (pattern: RegExp): RegExp => new RegExp(`^(?:${pattern.source})`, 'u');
const SELFWARE_OWN = [STEP, TOKENS, RECOVERING, INTENT].map(anchored).concat([COMPLETED, HARVEST, TASK_FAILED, VERIFICATION_TITLE]);

/** Lines only the kind writes: what a file's own lines are, and what names the kind a refused file does look like. */
const DISTINCTIVE: Record<ImportKind, (text: string, type: string | undefined) => boolean> = {
  selfware: (text) =>
    visibleLines(text).some((line) => {
      const trimmed = line.trim();
      return trimmed === SHUTDOWN_RECEIVED || trimmed === SHUTDOWN_FORCED || SELFWARE_OWN.some((p) => p.test(trimmed));
    }),
  'claude-code': (_text, type) => type !== undefined && CLAUDE_MESSAGE_TYPES.has(type),
  codex: (_text, type) => type !== undefined && type !== 'error' && CODEX_EVENT_TYPES.has(type),
  command: (text, type) => type !== undefined && type !== 'error' && said(parseAgentLine(text)),
};

/**
 * A line of codex's older `exec --json` stream (`{"id":"0","msg":{"type":"agent_message",…}}`, and its first lines
 * of settings and prompt), which codex's parser does not read: such a file was refused with "is --agent right?",
 * to someone who had given codex output to --agent codex.
 */
function isOlderCodexLine(text: string, type: string | undefined): boolean {
  if (type !== undefined || !text.includes('"msg"')) return false;
  const line = jsonObjectLine(text);
  const msg = line?.msg;
  return typeof line?.id === 'string' && msg !== null && typeof msg === 'object' && typeof (msg as { type?: unknown }).type === 'string';
}

const OLDER_CODEX =
  'it looks like codex\'s older exec --json stream ({"id":…,"msg":{"type":…}} lines), which megatest does not read: record it with a newer codex';

/** The kind's own parser's word on each line: selfware's through its state machine (a line may be inside a <tool> block). */
function recogniserOf(kind: ImportKind): Recogniser {
  switch (kind) {
    case 'selfware': {
      const parser = createSelfwareParser();
      // A <tool> block, a retry, a step are selfware's own; an error alone may be any program's `Error: …`.
      const read = (messages: AgentMessage[], distinctive: boolean): Reading =>
        distinctive || messages.some((m) => said(m) && m.type !== 'error') ? 'own' : messages.some(said) ? 'shared' : null;
      return { line: (text, type) => read(parser.line(text), DISTINCTIVE.selfware(text, type)), end: () => read(parser.end(), false) };
    }
    case 'claude-code':
      return { line: (text, type) => (DISTINCTIVE['claude-code'](text, type) ? 'own' : null), end: () => null };
    case 'codex':
      return { line: (text, type) => (type === 'error' ? 'shared' : DISTINCTIVE.codex(text, type) ? 'own' : null), end: () => null };
    case 'command':
      return {
        line: (text, type) => (DISTINCTIVE.command(text, type) ? 'own' : type === 'error' && said(parseAgentLine(text)) ? 'shared' : null),
        end: () => null,
      };
    default:
      return assertNever(kind, 'import kind');
  }
}

/**
 * Refuses (UsageError, exit 2) a file with no line the kind's parser
 * recognises, naming it as given (`shown`), what such a file looks like and,
 * when the file's lines are certainly another kind's, which. Reads only up to
 * the first line of the kind's own, so a real recording costs a line or a few.
 */
export async function checkRecordedKind(kind: ImportKind, file: PinnedFile, shown: string): Promise<void> {
  const own = recogniserOf(kind);
  const others = IMPORT_KINDS.filter((k) => k !== kind);
  const seen = new Set<ImportKind>();
  let lines = 0;
  let shared = false;
  let olderCodex = false;
  for await (const text of readLines(file)) {
    lines += 1;
    const type = jsonType(text);
    olderCodex ||= isOlderCodexLine(text, type);
    const reading = own.line(text, type);
    if (reading === 'own') return;
    shared ||= reading === 'shared';
    for (const other of others) if (!seen.has(other) && DISTINCTIVE[other](text, type)) seen.add(other);
  }
  const atEnd = own.end();
  if (atEnd === 'own') return;
  shared ||= atEnd === 'shared';
  // Lines the kind shares with another count unless that other kind's own lines are there too
  // (a protocol transcript with an error line is not codex output).
  if (shared && seen.size === 0) return;
  const looks = KIND_LOOKS[kind];
  if (lines === 0) throw new UsageError(`megatest import: FILE ${shown}: the file is empty; ${looks}`);
  // Named only when one other kind's own lines are there: a guess between two would mislead.
  const like = seen.size === 1 ? [...seen][0]! : null;
  const hint = like !== null ? `it looks like ${like} output (--agent ${like})` : olderCodex ? OLDER_CODEX : 'is --agent right?';
  const but = shared ? ' but error lines other kinds print alike' : '';
  throw new UsageError(`megatest import: FILE ${shown}: no line of it is ${NOT_THE_KIND[kind]}${but} (${looks}); ${hint}`);
}
