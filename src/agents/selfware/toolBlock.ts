// One tool call as the model wrote it in selfware's stream: a `<tool>` block
// spread over several lines (the arguments line can be tens of kilobytes).
// selfware 0.1.x parses these blocks out of the model's text itself
// (src/tool_parser.rs) and tolerates some slips but not others; a block here
// counts as one attempted call whatever its shape, and says whether selfware
// could have run it as written.

import { NAME_TAG } from './patterns.js';

/**
 * A block keeps only its start (for the excerpt a parse failure quotes); the
 * rest, tens of kilobytes of arguments or a runaway line, is scanned and let go.
 */
export const BLOCK_HEAD_CHARS = 1024;
const TOOL_NAME_CHARS = 128;

/**
 * What began the block: `<tool>`/`<tool_call>`; a bare `<function=x>` (a
 * form selfware parses without a wrapper, closed by `</function>`); or any
 * other name tag at the start of a line with no opening tag before it.
 */
export type BlockOpener = 'tool' | 'function' | 'name';

export interface BlockEnd {
  tool: string;
  /** Why selfware could not have run the call as written; null when it could. */
  flaw: string | null;
  /** The block's first BLOCK_HEAD_CHARS characters. */
  head: string;
}

export class ToolBlock {
  /** The tool's name once a name tag was seen. */
  name: string | null = null;
  /** Why selfware could not have run this block as written; null while none is known. */
  private flaw: string | null = null;
  private head = '';

  constructor(private readonly opener: BlockOpener) {
    if (opener === 'name') this.flaw = 'no opening <tool> before the name tag';
  }

  /**
   * Reads one line (or the rest of one) of the block. Returns the index just
   * after the closing tag when this text closes the block, or null.
   */
  feed(text: string): number | null {
    if (this.head.length < BLOCK_HEAD_CHARS) {
      this.head = (this.head === '' ? text : `${this.head}\n${text}`).slice(0, BLOCK_HEAD_CHARS);
    }
    if (this.name === null) this.readName(text);
    return this.findClose(text);
  }

  /** Marks the block as something selfware cannot have run (first reason wins). */
  spoil(reason: string): void {
    this.flaw ??= reason;
  }

  /** The call as megatest reports it; `closed` false when the block was cut before its closing tag. */
  end(closed: boolean, cutBy: string): BlockEnd {
    if (!closed) this.spoil(`${cutBy} before the block's closing </tool>`);
    if (this.name === null) this.spoil('no tool name in the block');
    return { tool: this.name ?? 'unknown', flaw: this.flaw, head: this.head };
  }

  /**
   * selfware accepts `<name>x</name>`, `<name=x</name>`, `<name=x>`,
   * `<function=x>`, `<function=x</function>` and `<function>x</function>`
   * (XML_TOOL_REGEX and its ALT, ALT2, FUNCTION, FUNCTION_TAG and Qwen3
   * siblings). A name tag closed by anything else (`<name>x</command>`), or
   * left open at the end of its line (`<function=x`), matches none of them.
   */
  private readName(text: string): void {
    const match = NAME_TAG.exec(text);
    if (!match) return;
    const [whole, tag, form, name] = match as unknown as [string, string, string, string];
    // A real tool name is short; a runaway one is cut so no message carries megabytes.
    this.name = name.slice(0, TOOL_NAME_CHARS);
    const from = match.index + whole.length;
    const after = text.slice(from, from + 256).trimStart();
    const closer = `</${tag}>`;
    const fits = form === '>' ? after.startsWith(closer) : after.startsWith(closer) || after.startsWith('>');
    if (name.length > TOOL_NAME_CHARS) this.spoil(`a tool name of ${name.length} characters`);
    if (fits) return;
    const other = /^<\/([\w-]+)>/.exec(after);
    if (other) this.spoil(`<${tag}${form}${this.name} is closed by </${other[1]}>, not ${closer}`);
    else this.spoil(`<${tag}${form}${this.name} is not closed on its line`);
  }

  /** The earliest closing tag in the text; a bare `<function=x>` call may also end at `</function>`. */
  private findClose(text: string): number | null {
    const closers = this.opener === 'function' ? ['</tool>', '</tool_call>', '</function>'] : ['</tool>', '</tool_call>'];
    let best: { end: number; closer: string } | null = null;
    for (const closer of closers) {
      const at = text.indexOf(closer);
      if (at !== -1 && (best === null || at < best.end - best.closer.length)) best = { end: at + closer.length, closer };
    }
    if (best === null) return null;
    if (this.opener === 'function' && best.closer !== '</function>') this.spoil('no opening <tool> before the name tag');
    return best.end;
  }
}
