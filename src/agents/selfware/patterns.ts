// What selfware 0.1.x itself prints, as patterns. Read from its source
// (architehc/selfware: src/agent/mod.rs run_task, src/output.rs, src/main.rs,
// src/ui/components.rs) and checked against the recorded logs in
// ../shared/fixtures/selfware/. Everything here is anchored to selfware's own
// wording, never to what a model might write in its prose.

/** `println!("{} Executing...", "📝 Step N")` at the top of every loop pass; N repeats after error recovery. */
export const STEP = /📝 Step (\d+) Executing\.\.\./u;

/** `println!("{} {}", "⚠️ Recovering from error:", error)`: the step failed and selfware retries it. */
export const RECOVERING = /\u26A0\uFE0F? ?Recovering from error:[ \t]*/u;

/** output::intent_without_action(): the model only described what it would do; selfware prompts it again. */
export const INTENT = /🔄 Model described intent but didn't act/u;

/** output::print_token_usage() with --show-tokens (not compact): one model response. */
export const TOKENS = /📊 Tokens: (\d+) prompt \+ (\d+) completion = (\d+) total/u;

/** output::print_session_summary(): a running total over the session; counting it would count twice. */
export const SESSION_TOKENS = /^📊 Session tokens:/u;

/** --compact prints only a total (`[N tokens]`, `[Session: N tokens]`): it cannot be split into input and output. */
export const COMPACT_TOKENS = /^\[(?:Session: )?\d+ tokens\]$/;

/** main.rs: first SIGINT/SIGTERM (eprintln with a leading newline, so it starts a line on stderr). */
export const SHUTDOWN_RECEIVED = 'Received shutdown signal, exiting gracefully...';

/** main.rs: ten seconds later, still running: `std::process::exit(1)`. No leading newline, so it may end a cut-off line. */
export const SHUTDOWN_FORCED = 'Shutdown grace period expired, forcing exit.';

/** AgentState::Completed (`✅ Task completed successfully!`) or the older early return (`✅ Task completed!`). */
export const COMPLETED = /^✅ Task completed(?: successfully)?!\s*$/u;

/**
 * ui::components::render_task_complete(): `🌾 Task complete. Your garden has been
 * tended. (54s)` or `(1m 13s)`: minutes are not folded into hours.
 */
export const HARVEST = /^🌾 Task complete\..*\((?:(\d+)h ?)?(?:(\d+)m ?)?(\d+)s\)\s*$/u;

/** AgentState::Failed: `❌ Task failed: <reason>` (then run_task bails with "Agent failed: <reason>"). */
export const TASK_FAILED = /^❌ Task failed:[ \t]*(.*)$/u;

/** main.rs prints `Error: {:?}` of the error cli::run() returned, just before a non-zero exit. */
export const ERROR_LINE = /^Error:[ \t]*(.*)$/;

/** run_task bails with "Max iterations reached"; AgentError::IterationLimit says "Iteration limit reached (N)". */
export const ITERATION_LIMIT = /max iterations reached|iteration limit reached/i;

/** The boxed report verification prints after a file change when a check failed. */
export const VERIFICATION_TITLE = /^║\s*VERIFICATION REPORT\b/u;
export const BOX_BOTTOM = /^╚/u;

/**
 * Tool result lines from output.rs (tool_failure, tool_result_summary,
 * tool_success): `✗ Tool failed: …`, `  ✗ Tests: some failed`, `✓ Tool succeeded`.
 * Only read right after a tool block, where they report on it.
 */
export const TOOL_FAILED_LINE = /^✗ /u;
export const TOOL_OK_LINE = /^✓ /u;

/** A tool block opens with `<tool>` (or Qwen's `<tool_call>`) at the start of a line. */
export const BLOCK_OPEN = /^\s*<(tool|tool_call)>/;
/** Without an opening tag: a name tag at the start of a line (`<name>x`, `<name=x`, `<function=x`, `<function>x`). */
export const BARE_NAME_OPEN = /^\s*<(name|function)\s*[>=]/;

/**
 * The tool's name inside a block: `<name>x`, `<name=x`, `<function=x`,
 * `<function>x`. Group 1 the tag, group 2 `>` or `=`, group 3 the name.
 */
export const NAME_TAG = /<(name|function)\s*(>|=)\s*([^<>\s"'=]+)/;

/**
 * Markers selfware prints that can land glued to the end of cut-off streamed
 * text (the model's tokens are printed without a newline), so they are looked
 * for anywhere in a line. Global: used to find every split point.
 */
export const GLUED_MARKERS = new RegExp(
  [STEP.source, RECOVERING.source, INTENT.source, TOKENS.source].map((s) => `(?:${s})`).join('|'),
  'gu',
);

/** Milliseconds from the `(1h 2m 3s)` groups of HARVEST. */
export function harvestDurationMs(match: RegExpMatchArray): number {
  const hours = Number(match[1] ?? 0);
  const minutes = Number(match[2] ?? 0);
  const seconds = Number(match[3] ?? 0);
  return ((hours * 60 + minutes) * 60 + seconds) * 1000;
}
