// A bounded, streaming skim of one JSON line too long to hold (LineSplitter's
// MAX_LINE_CHARS). What makes such a line long is nearly always one string:
// a 5 MB tool_result, a base64 image, a file read whole. What a parser needs
// of the line is its structure and its short fields (type, ids, is_error,
// usage), which can come after the long string. So the skim copies the line
// as it streams past, keeping every key, number, literal and bracket and
// each string's first STRING_KEEP_CHARS, and drops the rest of a string with
// a note of how much went. What it holds never passes its bound, whatever
// the line's length; a line whose structure alone passes it (a million-item
// array) is given up on, and the splitter reports the line as cut.

/** How much of each string of an over-long JSON line is kept. */
export const STRING_KEEP_CHARS = 4096;

type Place = 'outside' | 'keeping' | 'dropping';

/** What ends a stretch of a string being dropped: its closing quote, or an escape. */
const SPECIAL = /["\\]/g;

export class JsonSkim {
  private readonly kept: string[] = [];
  private keptChars = 0;
  private place: Place = 'outside';
  /** The last character read was a backslash inside a string. */
  private escaped = false;
  /** Hex digits of a \u escape still to come. */
  private hexLeft = 0;
  /** Characters of the current string read so far. */
  private stringChars = 0;
  /** Characters of the current string dropped past STRING_KEEP_CHARS. */
  private dropped = 0;
  private failed = false;

  /** `limit`: the most the skimmed line may hold; past it the skim gives up (memory stays bounded). */
  constructor(private readonly limit: number) {}

  feed(text: string): void {
    if (this.failed) return;
    // text[copyFrom, i) is kept unless dropping.
    let copyFrom = 0;
    let i = 0;
    while (i < text.length) {
      if (this.place === 'outside') {
        // Outside strings every character is kept: on to the next string.
        const quote = text.indexOf('"', i);
        if (quote === -1) break;
        this.place = 'keeping';
        this.stringChars = 0;
        i = quote + 1;
        continue;
      }
      // An escape is kept or dropped whole, so what is kept stays valid JSON.
      const inEscape = this.escaped || this.hexLeft > 0;
      if (!inEscape && this.place === 'keeping' && this.stringChars >= STRING_KEEP_CHARS && text[i] !== '"') {
        this.keep(text.slice(copyFrom, i));
        this.place = 'dropping';
        this.dropped = 0;
      }
      if (this.place === 'dropping' && !inEscape) {
        // Fast path: jump to the next quote or backslash.
        SPECIAL.lastIndex = i;
        const next = SPECIAL.exec(text)?.index ?? text.length;
        this.dropped += next - i;
        this.stringChars += next - i;
        i = next;
        if (i === text.length) break;
      }
      const ch = text[i]!;
      i += 1;
      const closes = ch === '"' && !inEscape;
      if (this.place === 'dropping' && !closes) this.dropped += 1;
      this.stringChars += 1;
      if (this.hexLeft > 0) {
        this.hexLeft -= 1;
      } else if (this.escaped) {
        this.escaped = false;
        if (ch === 'u') this.hexLeft = 4;
      } else if (ch === '\\') {
        this.escaped = true;
      } else if (ch === '"') {
        if (this.place === 'dropping') {
          this.keep(`… [${this.dropped} chars cut by megatest]`);
          copyFrom = i - 1; // the closing quote on
        }
        this.place = 'outside';
      }
    }
    if (this.place !== 'dropping') this.keep(text.slice(copyFrom));
  }

  /** The skimmed line, or undefined when the skim gave up or what it kept is not JSON. */
  finish(): string | undefined {
    if (this.failed || this.place !== 'outside') return undefined;
    const line = this.kept.join('');
    try {
      JSON.parse(line);
    } catch {
      return undefined;
    }
    return line;
  }

  private keep(text: string): void {
    if (this.failed || text === '') return;
    this.keptChars += text.length;
    if (this.keptChars > this.limit) {
      // Given up: nothing more is held.
      this.failed = true;
      this.kept.length = 0;
      return;
    }
    this.kept.push(text);
  }
}
