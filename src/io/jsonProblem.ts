// Why JSON.parse refused a text, in words fit for a one-line message. V8's
// message quotes the start of the text ('Unexpected token '‹', "‹�v�`0:…" is
// not valid JSON'), which for a damaged or binary file puts raw bytes on the
// terminal; this names the character instead, and quotes nothing.

export function jsonProblem(error: unknown): string {
  const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
  const token = /^Unexpected token '(.)/su.exec(message);
  if (token === null || !/ is not valid JSON$/.test(message)) return message;
  return `unexpected ${describeCharacter(token[1]!.codePointAt(0))}`;
}

/** A character as a person can read it: printable ones quoted, the rest by code point (U+008B). */
export function describeCharacter(codePoint: number | undefined): string {
  if (codePoint === undefined) return 'end of text';
  // What the decoder put for bytes that are not UTF-8: a binary or damaged file.
  if (codePoint === 0xfffd) return 'bytes that are not UTF-8 text';
  const char = String.fromCodePoint(codePoint);
  const printable = /^[\p{L}\p{N}\p{P}\p{S}]$/u.test(char);
  const hex = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  return printable ? `character ${JSON.stringify(char)} (${hex})` : `character ${hex}`;
}
