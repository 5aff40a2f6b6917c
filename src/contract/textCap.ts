// Strings an agent chose (tool and task names, model names, error messages,
// votes) go into events, and every event is copied into events.jsonl, the
// fold, snapshots and the console. An agent that prints a 500 KB "tool name"
// must not make each of those 500 KB: such strings are cut to a bound, and
// the cut is marked so nobody mistakes it for the whole. The whole line is
// in the agent's output.log.

/** The most bytes (UTF-8) of one agent-given string an event carries. */
export const EVENT_TEXT_MAX_BYTES = 4096;

/** How a cut string ends: `… [cut: 512000 bytes in all]`. */
export const CUT_MARK = /… \[cut: \d+ bytes in all\]$/;

/**
 * The text as it may go into an event: itself when it is within maxBytes
 * of UTF-8, else its first maxBytes (never half a character) followed by
 * `… [cut: N bytes in all]`.
 */
export function capEventText(text: string, maxBytes = EVENT_TEXT_MAX_BYTES): string {
  // Cheap test first: a string has at most 3 UTF-8 bytes per UTF-16 unit.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= maxBytes) return text;
  // Decoding a prefix that ends inside a character leaves a replacement character: drop it.
  let kept = Buffer.from(text.slice(0, maxBytes), 'utf8').subarray(0, maxBytes).toString('utf8');
  if (kept.endsWith('\uFFFD') && !text.startsWith(kept)) kept = kept.slice(0, -1);
  return `${kept}… [cut: ${bytes} bytes in all]`;
}
