// selfware 0.1.x has no JSON output: this reads what it prints (stdout and
// stderr together, one line at a time) and says it as agent messages. A pure
// state machine: no I/O, no clock, bounded memory whatever the input.
//
// What becomes what (patterns.ts has selfware's exact wording):
//   📝 Step N Executing...                → step (N may repeat: a step retried after an error)
//   <tool> … </tool> (any of its shapes)  → one tool_call per block; ok=false when selfware
//                                           cannot have run it as written (plus a parse_failure
//                                           saying why) or the next line is a `✗` result
//   📊 Tokens: P prompt + C completion    → tokens (input P, output C)
//   ⚠️ Recovering from error: …,
//   a VERIFICATION REPORT with Status ✗ FAILED → error
//   Error: … (before the task's outcome)  → outcome failed at the stream's end, with those words:
//                                           main prints it just before a failing exit, so it is
//                                           why the run failed; the exit's error quotes it and is
//                                           classified on it (a rate limit, a refused key) before
//                                           the exit code's class. As an error of its own it made
//                                           two errors, and two recovery attempts, of one failure
//   🔄 Model described intent but didn't act → retry: selfware re-prompts the model by
//                                           itself; the task has not failed (it gives up on
//                                           its own later, and says so with an error)
//   ✅ Task completed successfully! + 🌾 Task complete. … (1m 13s) → outcome succeeded
//   Received shutdown signal … [Shutdown grace period expired …] → outcome interrupted
//   ❌ Task failed: … → outcome failed (max_turns when it was the iteration limit), and
//                                           no error of its own: the adapter reports the failed
//                                           run as one error; main's `Error: Agent failed: …`
//                                           after it says the same again (output). Each was an
//                                           error too: one failure spent three recovery attempts
//   Error: … the iteration limit        → outcome max_turns (no error of its own, as above)
//   anything else                          → output (cut at 64 KB; the raw log keeps it whole)
//
// Tool calls carry duration_ms 0: selfware prints no timing for a call in this
// mode (the real durations are in its checkpoints; see checkpoints.ts).

import type { AgentMessage, AgentStreamParser, TaskOutcome } from '../types.js';
import {
  excerpt,
  hasGarbage,
  LINE_CAP_CHARS,
  MESSAGE_CAP_CHARS,
  OUTPUT_CAP_CHARS,
  printableCapped,
  splitGlued,
  visibleLines,
} from './lineText.js';
import {
  BARE_NAME_OPEN,
  BLOCK_OPEN,
  BOX_BOTTOM,
  COMPLETED,
  ERROR_LINE,
  HARVEST,
  harvestDurationMs,
  INTENT,
  ITERATION_LIMIT,
  RECOVERING,
  SHUTDOWN_FORCED,
  SHUTDOWN_RECEIVED,
  STEP,
  TASK_FAILED,
  TOKENS,
  TOOL_FAILED_LINE,
  TOOL_OK_LINE,
  VERIFICATION_TITLE,
} from './patterns.js';
import { ToolBlock, type BlockOpener } from './toolBlock.js';
import { BOX_MAX_LINES, VerificationBox } from './verificationBox.js';

// The glued markers, anchored: once splitGlued() has run, a marker can only begin a segment.
const anchored = (pattern: RegExp): RegExp => new RegExp(`^(?:${pattern.source})`, 'u');
const AT_STEP = anchored(STEP);
const AT_RECOVERING = anchored(RECOVERING);
const AT_INTENT = anchored(INTENT);
const AT_TOKENS = anchored(TOKENS);

export interface SelfwareParserOptions {
  /**
   * Put on tokens messages. selfware's token line does not name its model;
   * the adapter knows which one it launched (SELFWARE_MODEL). Default ''.
   */
  model?: string;
}

/** A call whose block closed well: held until the next line, which may be its `✗`/`✓` result. */
interface PendingCall {
  tool: string;
  ok: boolean;
}

export function createSelfwareParser(options: SelfwareParserOptions = {}): AgentStreamParser {
  return new SelfwareParser(options.model ?? '');
}

class SelfwareParser implements AgentStreamParser {
  private block: ToolBlock | null = null;
  private box: VerificationBox | null = null;
  private pending: PendingCall | null = null;
  private outcomeSent = false;
  /** `✅ Task completed…` seen and no step after it: success unless the stream says otherwise. */
  private completionSeen = false;
  private shutdownSeen = false;
  /** main's `Error: …` before any outcome: the run's failure, said at the stream's end. */
  private closingError: string | null = null;
  /** Re-prompts since the last tool call (selfware gives up after a few). */
  private intentsInARow = 0;
  private out: AgentMessage[] = [];

  constructor(private readonly model: string) {}

  line(text: string): AgentMessage[] {
    this.out = [];
    for (const visible of visibleLines(text)) {
      for (const segment of splitGlued(visible)) this.segment(segment);
    }
    return this.out;
  }

  end(): AgentMessage[] {
    this.out = [];
    if (this.box) this.closeBox();
    if (this.block) this.cutBlock('the stream ended');
    this.flushPending();
    if (!this.outcomeSent && this.shutdownSeen) {
      this.outcome('interrupted', 'received a shutdown signal and exited within its grace period');
    } else if (!this.outcomeSent && this.closingError !== null) {
      this.outcome('failed', this.closingError);
    } else if (!this.outcomeSent && this.completionSeen) {
      this.outcome('succeeded', 'selfware said the task completed successfully');
    }
    // Ready for another stream (a parser is normally made per task run).
    this.outcomeSent = false;
    this.completionSeen = false;
    this.shutdownSeen = false;
    this.closingError = null;
    this.intentsInARow = 0;
    return this.out;
  }

  private segment(text: string): void {
    if (this.box) {
      this.boxLine(text);
      return;
    }
    if (this.block) {
      if (this.isShutdown(text)) {
        // stderr interleaved with the model's stream, which goes on after it.
        this.shutdown(text);
        return;
      }
      // A doubled opening `<tool>` before any name is still the same call.
      const reopened = BLOCK_OPEN.test(text) && !(this.block.name === null && /^\s*<(tool|tool_call)>\s*$/.test(text));
      if (!this.isSelfwareLine(text) && !reopened) {
        this.blockLine(text);
        return;
      }
      this.cutBlock(reopened ? 'a new <tool> began' : `selfware printed "${excerpt(text.trim())}"`);
    }
    const trimmed = text.trim();
    if (trimmed === '') {
      this.emit({ type: 'output', line: '' });
      return;
    }
    if (this.pending) {
      if (TOOL_FAILED_LINE.test(trimmed)) this.pending.ok = false;
      const result = TOOL_FAILED_LINE.test(trimmed) || TOOL_OK_LINE.test(trimmed);
      this.flushPending();
      if (result) {
        this.output(text);
        return;
      }
    }
    this.plainLine(text, trimmed);
  }

  /** A line outside any block or box. */
  private plainLine(text: string, trimmed: string): void {
    const step = AT_STEP.exec(trimmed);
    if (step) {
      this.completionSeen = false; // the loop went on: that ✅ was the model's own words
      this.closingError = null; // and that Error: line was not main's last words (a tool's output, the model's text)
      this.emit({ type: 'step', step: Number(step[1]) });
      this.rest(trimmed, step[0].length);
      return;
    }
    const recovering = AT_RECOVERING.exec(trimmed);
    if (recovering) {
      this.error(`Recovering from error: ${trimmed.slice(recovering[0].length)}`);
      return;
    }
    if (AT_INTENT.test(trimmed)) {
      this.intentsInARow += 1;
      this.emit({
        type: 'retry',
        message: "model described intent but didn't act; selfware prompted it again to use its tools",
        attempt: this.intentsInARow,
      });
      return;
    }
    const tokens = AT_TOKENS.exec(trimmed);
    if (tokens) {
      this.tokens(tokens);
      this.rest(trimmed, tokens[0].length);
      return;
    }
    if (this.isShutdown(trimmed)) {
      this.shutdown(trimmed);
      return;
    }
    if (this.finalLine(text, trimmed)) return;
    if (VERIFICATION_TITLE.test(trimmed)) {
      this.box = new VerificationBox();
      this.boxLine(text);
      return;
    }
    const opener = this.blockOpener(text);
    if (opener) {
      this.openBlock(text, opener);
      return;
    }
    // Everything else is output; a stray `</tool>` too (the doubled closing
    // tag selfware tolerates: its block was already counted).
    this.output(text);
  }

  /** The lines that end a task: completion, failure, the error main prints before exiting. */
  private finalLine(text: string, trimmed: string): boolean {
    if (COMPLETED.test(trimmed)) {
      this.completionSeen = true;
      this.closingError = null;
      this.output(text);
      return true;
    }
    const harvest = HARVEST.exec(trimmed);
    if (harvest) {
      this.outcome('succeeded', 'selfware said the task completed successfully', harvestDurationMs(harvest));
      this.output(text);
      return true;
    }
    const failed = TASK_FAILED.exec(trimmed);
    if (failed) {
      const reason = failed[1]!.trim();
      this.outcome(ITERATION_LIMIT.test(reason) ? 'max_turns' : 'failed', printableCapped(reason, MESSAGE_CAP_CHARS));
      this.output(text);
      return true;
    }
    const error = ERROR_LINE.exec(trimmed);
    if (error) {
      const message = error[1]!.trim();
      if (ITERATION_LIMIT.test(message) && !this.outcomeSent) {
        this.outcome('max_turns', printableCapped(message, MESSAGE_CAP_CHARS));
        return true;
      }
      // main prints it at the line's start; an indented one is a tool's output or the model's text.
      if (!this.outcomeSent && !/^\s/.test(text)) this.closingError = printableCapped(`Error: ${message}`, MESSAGE_CAP_CHARS);
      this.output(text);
      return true;
    }
    return false;
  }

  private blockOpener(text: string): BlockOpener | null {
    if (BLOCK_OPEN.test(text)) return 'tool';
    if (!BARE_NAME_OPEN.test(text)) return null;
    return /^\s*<function=[^<>\s]+>/.test(text) ? 'function' : 'name';
  }

  private openBlock(text: string, opener: BlockOpener): void {
    this.flushPending();
    this.block = new ToolBlock(opener);
    this.blockLine(text);
  }

  private blockLine(text: string): void {
    const block = this.block!;
    if (text.length > LINE_CAP_CHARS) {
      this.emit({
        type: 'parse_failure',
        line: excerpt(text),
        reason: `a line of ${text.length} characters (over ${LINE_CAP_CHARS}) inside a <tool> block`,
      });
    }
    if (hasGarbage(text)) {
      block.spoil('binary garbage inside the block');
      this.emit({ type: 'parse_failure', line: excerpt(text), reason: 'binary garbage inside a <tool> block' });
    }
    const closedAt = block.feed(text);
    if (closedAt === null) return;
    const end = block.end(true, '');
    this.block = null;
    this.callEnded(end.tool, end.flaw, end.head);
    const rest = text.slice(closedAt);
    if (rest.trim() !== '') this.segment(rest);
  }

  private cutBlock(cutBy: string): void {
    const end = this.block!.end(false, cutBy);
    this.block = null;
    this.callEnded(end.tool, end.flaw, end.head);
  }

  private callEnded(tool: string, flaw: string | null, text: string): void {
    this.intentsInARow = 0;
    if (flaw === null) {
      this.pending = { tool, ok: true };
      return;
    }
    this.emit({ type: 'parse_failure', line: excerpt(text), reason: `tool call ${tool}: ${flaw}` });
    // duration_ms 0: selfware prints no timing for a call; unknown, not measured as zero.
    this.emit({ type: 'tool_call', tool, ok: false, duration_ms: 0 });
  }

  private flushPending(): void {
    if (!this.pending) return;
    const { tool, ok } = this.pending;
    this.pending = null;
    // duration_ms 0: unknown (see the top of this file).
    this.emit({ type: 'tool_call', tool, ok, duration_ms: 0 });
  }

  private boxLine(text: string): void {
    const box = this.box!;
    box.feed(text);
    this.output(text);
    if (BOX_BOTTOM.test(text.trim()) || box.lines >= BOX_MAX_LINES) this.closeBox();
  }

  private closeBox(): void {
    const failure = this.box!.failure();
    this.box = null;
    if (failure) this.error(failure);
  }

  private tokens(match: RegExpExecArray): void {
    const [input, output, total] = [Number(match[1]), Number(match[2]), Number(match[3])];
    if (input + output !== total) {
      this.emit({ type: 'parse_failure', line: excerpt(match[0]), reason: 'token line whose parts do not add up to its total' });
      return;
    }
    this.emit({ type: 'tokens', input, output, model: this.model });
  }

  private isShutdown(text: string): boolean {
    const trimmed = text.trim();
    return trimmed === SHUTDOWN_RECEIVED || trimmed === SHUTDOWN_FORCED;
  }

  private shutdown(text: string): void {
    const trimmed = text.trim();
    this.output(trimmed);
    if (trimmed === SHUTDOWN_RECEIVED) {
      this.shutdownSeen = true;
      return;
    }
    this.outcome('interrupted', 'received a shutdown signal; the grace period expired and selfware forced its exit');
  }

  private isSelfwareLine(text: string): boolean {
    const trimmed = text.trim();
    return (
      AT_STEP.test(trimmed) ||
      AT_RECOVERING.test(trimmed) ||
      AT_INTENT.test(trimmed) ||
      AT_TOKENS.test(trimmed) ||
      COMPLETED.test(trimmed) || HARVEST.test(trimmed) || TASK_FAILED.test(trimmed) || VERIFICATION_TITLE.test(trimmed)
    );
  }

  /** What follows a marker on its own line (nothing, normally) is read as a line of its own. */
  private rest(trimmed: string, from: number): void {
    const rest = trimmed.slice(from);
    if (rest.trim() !== '') this.segment(rest);
  }

  private outcome(outcome: TaskOutcome, detail: string, durationMs?: number): void {
    if (this.outcomeSent) return;
    this.outcomeSent = true;
    this.emit({ type: 'outcome', outcome, detail, ...(durationMs === undefined ? {} : { duration_ms: durationMs }) });
  }

  private error(message: string): void {
    this.emit({ type: 'error', message: printableCapped(message, MESSAGE_CAP_CHARS) });
  }

  private output(text: string): void {
    this.emit({ type: 'output', line: printableCapped(text, OUTPUT_CAP_CHARS) });
  }

  private emit(message: AgentMessage): void {
    this.out.push(message);
  }
}
