// What an agent that exited said of itself: the last lines of its stderr
// that carry a message, for the crash's error event. Runtimes end a crash
// with lines that say nothing of it (Node's "Node.js v20.20.2" and stack
// frames, Rust's "note: run with `RUST_BACKTRACE=1`"), so those are passed
// over: "/bin/sh: 1: claude-x: not found" or the panic line stays.

/** How many of the last stderr lines are kept to find the clue in. */
export const STDERR_LINES_KEPT = 16;
const CLUE_LINES = 2;
const CLUE_CHARS = 300;

const SAYS_NOTHING: readonly RegExp[] = [
  /^Node\.js v\d/,
  /^at\s/,
  /^note: run with `RUST_BACKTRACE=/,
  /^\^+$/,
];

/** The clue in the last stderr lines (oldest first), or undefined when none says anything. */
export function stderrClue(lines: readonly string[]): string | undefined {
  const telling = lines.map((line) => line.trim()).filter((line) => line !== '' && !SAYS_NOTHING.some((pattern) => pattern.test(line)));
  if (telling.length === 0) return undefined;
  const clue = telling.slice(-CLUE_LINES).join(' | ');
  return clue.length > CLUE_CHARS ? `${clue.slice(0, CLUE_CHARS - 1)}…` : clue;
}
